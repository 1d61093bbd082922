"""Two processes deposit 100 each into a shared balance: without a lock, and with one."""

import multiprocessing


def deposit_unsafely(balance, amount, both_have_read, timeout=30):
    seen = balance.value  # 1. read
    both_have_read.wait(timeout)  # until every depositor has read
    balance.value = seen + amount  # 2. write, from a stale read
    return seen


def deposit(balance, amount, lock, arrived=None, timeout=30):
    if arrived is not None:
        arrived.wait(timeout)  # all depositors reach the lock at the same moment
    if not lock.acquire(timeout=timeout):
        raise TimeoutError(f"could not acquire the lock within {timeout} s")
    try:  # nobody else reads between our read and our write
        seen = balance.value
        balance.value = seen + amount
    finally:
        lock.release()
    return seen


def run_two(target, *args):
    depositors = [multiprocessing.Process(target=target, args=args) for _ in range(2)]
    for depositor in depositors:
        depositor.start()
    for depositor in depositors:
        depositor.join()


if __name__ == "__main__":
    balance = multiprocessing.Value("i", 0)
    run_two(deposit_unsafely, balance, 100, multiprocessing.Barrier(2))
    print("without a lock: two deposits of 100, balance", balance.value)

    balance = multiprocessing.Value("i", 0)
    run_two(deposit, balance, 100, multiprocessing.Lock(), multiprocessing.Barrier(2))
    print("with a lock:    two deposits of 100, balance", balance.value)
