"""A starting point for a program that uses a process pool. Copy it, then change work()."""

import logging
import logging.handlers
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed

log = logging.getLogger("myprogram")


def usable_cpus():
    """The CPUs this process may use (3.13+ also honours PYTHON_CPU_COUNT).

    A container's CPU quota is not seen here: chapter 5 of the course reads it.
    """
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def start_worker(log_queue):
    """Runs once in each worker: send its log records to the parent."""
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(logging.INFO)


def work(item):
    """The task. It must live at module level, so that every start method finds it."""
    if item == 13:
        log.warning("item %d looks odd, skipped", item)
        return 0
    return item * item


def main():
    items = range(100)
    log_queue = multiprocessing.Queue()
    listener = logging.handlers.QueueListener(log_queue, logging.StreamHandler(sys.stdout))
    listener.start()
    total = done = 0
    executor = ProcessPoolExecutor(min(usable_cpus(), 8), initializer=start_worker,
                                   initargs=(log_queue,))
    try:
        futures = [executor.submit(work, item) for item in items]
        for future in as_completed(futures, timeout=60):  # TimeoutError if stuck
            total += future.result()
            done += 1
            if done % 25 == 0:
                print(f"progress: {done}/{len(futures)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted: cancelling what has not started", file=sys.stderr)
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        executor.shutdown()
        listener.stop()
    print("total:", total)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # needed only in a frozen executable
    logging.basicConfig(level=logging.INFO)
    main()
