"""A global counter, changed once by a thread and once by a child process."""

import multiprocessing
import threading

counter = 0


def add_one():
    global counter
    counter += 1


if __name__ == "__main__":
    thread = threading.Thread(target=add_one)
    thread.start()
    thread.join()
    print("after a thread added 1:  counter =", counter)

    process = multiprocessing.Process(target=add_one)
    process.start()
    process.join()
    print("after a process added 1: counter =", counter,
          f"(the child's exit code: {process.exitcode})")
