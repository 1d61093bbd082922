"""Ctrl-C with an executor: leave at once instead of waiting for every queued task."""

import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def slow_square(number):
    time.sleep(0.1)
    return number * number


def run(tasks):
    executor = ProcessPoolExecutor(2)
    futures = [executor.submit(slow_square, n) for n in range(tasks)]
    try:
        futures[0].result()
        signal.raise_signal(signal.SIGINT)  # what pressing Ctrl-C does, for this demo
        return [f.result() for f in futures]
    except KeyboardInterrupt:
        # `with executor:` would wait here for all the queued tasks to run.
        if sys.version_info >= (3, 14):
            executor.terminate_workers()  # stops the running tasks too
        else:
            executor.shutdown(wait=False, cancel_futures=True)
        print("interrupted: the tasks not yet started were cancelled")
        return None


if __name__ == "__main__":
    run(100)
    print("the program ended without running the 100 tasks")
