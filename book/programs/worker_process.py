"""Create a process, start it, and wait for it to finish."""

import multiprocessing


def worker():
    print("Worker process")


if __name__ == "__main__":
    p = multiprocessing.Process(target=worker)
    p.start()
    p.join()
