"""Start a child with fork while a second thread runs (Python 3.12+ warns about it)."""

import multiprocessing
import threading


def do_nothing():
    pass


if __name__ == "__main__":
    release = threading.Event()
    helper = threading.Thread(target=release.wait)
    helper.start()  # from here on, this process has two threads
    child = multiprocessing.get_context("fork").Process(target=do_nothing)
    child.start()
    child.join()
    release.set()
    helper.join()
    print("child's exit code:", child.exitcode)
