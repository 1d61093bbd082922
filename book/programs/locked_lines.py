"""Four processes print twenty lines each, one line at a time: a lock keeps lines whole."""

import multiprocessing


def print_many(num, barrier, lock):
    barrier.wait()
    for _ in range(20):
        with lock:
            print("Process", num, "prints", num, num, num, num, flush=True)


if __name__ == "__main__":
    barrier = multiprocessing.Barrier(4)
    lock = multiprocessing.Lock()
    processes = [
        multiprocessing.Process(target=print_many, args=(num, barrier, lock))
        for num in range(1, 5)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
