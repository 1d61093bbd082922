"""Four processes print twenty lines each, all starting at the same moment."""

import multiprocessing


def print_many(num, barrier):
    barrier.wait()  # all four start printing at the same moment
    for _ in range(20):
        print("Process", num, "prints", num, num, num, num)


if __name__ == "__main__":
    barrier = multiprocessing.Barrier(4)
    processes = [
        multiprocessing.Process(target=print_many, args=(num, barrier)) for num in range(1, 5)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
