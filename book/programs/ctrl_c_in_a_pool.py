"""Ctrl-C while a pool's workers are busy. Run it as is, then with --clean."""

import multiprocessing
import os
import signal
import sys
import time

started = None  # the queue each worker announces itself on


def start_worker(queue, ignore_sigint):
    global started
    started = queue
    if ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent only


def work(seconds):
    started.put(os.getpid())
    time.sleep(seconds)
    return seconds


if __name__ == "__main__":
    clean = "--clean" in sys.argv
    os.setpgrp()  # a process group of its own, as a shell gives each program
    queue = multiprocessing.Queue()
    with multiprocessing.Pool(2, initializer=start_worker, initargs=(queue, clean)) as pool:
        pending = pool.map_async(work, [30, 30])
        busy = {queue.get(timeout=60) for _ in range(2)}
        print(len(busy), "workers busy, now Ctrl-C")
        try:
            os.killpg(os.getpgrp(), signal.SIGINT)  # what Ctrl-C in a terminal does
            print(pending.get(timeout=60))
        except KeyboardInterrupt:
            if not clean:
                raise
            print("Ctrl-C: stopping the pool")
            pool.terminate()
            pool.join()
            sys.exit(130)
