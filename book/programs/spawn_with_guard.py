"""The same program with the __main__ guard, using spawn: the fix."""

import multiprocessing


def worker():
    print("Worker process")


if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")
    p = context.Process(target=worker)
    p.start()
    p.join()
    print("parent: child exit code", p.exitcode)
