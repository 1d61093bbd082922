"""Start four processes that print, join them in reverse order; ten times."""

import multiprocessing


def print_number(num):
    print(f"Process {num}: {num}")


def run_once():
    processes = []
    for num in range(1, 5):
        p = multiprocessing.Process(target=print_number, args=(num,))
        processes.append((num, p))
        p.start()

    for num, p in reversed(processes):
        p.join()
        print(f"parent: joined process {num}")


if __name__ == "__main__":
    for _ in range(10):
        run_once()
        print("--- end of run")
