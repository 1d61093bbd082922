"""EOFError and BrokenPipeError: the process at the other end went away."""

import multiprocessing
import os


def close_without_answering(connection):
    connection.close()


def die_without_answering(connection):
    os._exit(3)  # as a crash would: no clean-up, no answer


if __name__ == "__main__":
    for target in (close_without_answering, die_without_answering):
        parent_end, child_end = multiprocessing.Pipe()
        child = multiprocessing.Process(target=target, args=(child_end,))
        child.start()
        child_end.close()  # else the parent's own copy keeps the pipe open for ever
        try:
            parent_end.recv()
        except EOFError as error:
            print(f"{target.__name__}: recv() raised {type(error).__name__}")
        child.join()
        print(f"  the child's exit code: {child.exitcode}")

    manager = multiprocessing.Manager()
    shared = manager.list([1])
    shared.append(2)  # this proxy's connection to the manager process is open
    manager.shutdown()  # the manager process ends, as if it had crashed
    try:
        shared.append(3)
    except OSError as error:
        print(f"a proxy whose manager is gone: {type(error).__name__}: {error}")
