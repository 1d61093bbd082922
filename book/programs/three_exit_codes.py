"""Three children under spawn: one ends normally, one exits with 7, one is terminated."""

import multiprocessing
import sys


def wait_for(event, exit_code=0):
    event.wait()
    sys.exit(exit_code)


if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")
    done, never = context.Event(), context.Event()
    done.set()
    children = [
        context.Process(target=wait_for, args=(done,)),
        context.Process(target=wait_for, args=(done, 7)),
        context.Process(target=wait_for, args=(never,)),
    ]
    for child in children:
        child.start()
    children[2].terminate()
    for child in children:
        child.join()
    print([child.exitcode for child in children])
