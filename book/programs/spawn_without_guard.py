"""The same program without the __main__ guard, using spawn (do not copy: it shows the bug)."""

import multiprocessing


def worker():
    print("Worker process")


context = multiprocessing.get_context("spawn")
p = context.Process(target=worker)
p.start()
p.join()
print("parent: child exit code", p.exitcode)
