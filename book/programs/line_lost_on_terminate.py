"""A child prints a line, then is terminated (run with "flush" to flush the line first)."""

import multiprocessing
import sys


def print_then_wait(num, printed, never, flush):
    print(f"Process {num}: {num}", flush=flush)
    printed.set()
    never.wait()  # nobody sets this event: the child waits until it is killed


if __name__ == "__main__":
    flush = sys.argv[1:] == ["flush"]
    printed, never = multiprocessing.Event(), multiprocessing.Event()
    p = multiprocessing.Process(target=print_then_wait, args=(1, printed, never, flush))
    p.start()
    printed.wait()
    p.terminate()
    p.join()
    print("parent: the child printed its line, then was terminated")
