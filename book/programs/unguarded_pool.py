"""A pool started without the __main__ guard (do not copy: it shows the bug).

Run it as `python unguarded_pool.py METHOD`, METHOD being spawn (the default) or forkserver.
"""

import multiprocessing
import sys


def square(x):
    return x * x


method = sys.argv[1] if len(sys.argv) > 1 else "spawn"
context = multiprocessing.get_context(method)
with context.Pool(processes=2) as pool:  # no __main__ guard!
    pending = pool.map_async(square, range(4))
    for worker in multiprocessing.active_children():
        worker.join()  # wait for the first workers to die
    print("results ready:", pending.ready())
