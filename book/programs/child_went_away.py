"""EOFError, ConnectionResetError, BrokenPipeError: the process at the other end went away."""

import multiprocessing
import os
from multiprocessing.connection import Client, Listener


def close_without_answering(connection):
    connection.close()


def die_without_answering(connection):
    os._exit(3)  # as a crash would: no clean-up, no answer


def die_with_a_message_unread(address):
    connection = Client(address)
    connection.poll(10)  # wait until the parent's message has arrived, and do not read it
    os._exit(3)


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

    # over a socket, a process that dies with a message unread resets the connection
    with Listener(("127.0.0.1", 0)) as listener:
        child = multiprocessing.Process(target=die_with_a_message_unread,
                                        args=(listener.address,))
        child.start()
        with listener.accept() as connection:
            connection.send("a task")
            try:
                connection.recv()
            except ConnectionResetError as error:
                print(f"a socket's other end died: recv() raised {type(error).__name__}: {error}")
        child.join()

    manager = multiprocessing.Manager()
    shared = manager.list([1])
    shared.append(2)  # this proxy's connection to the manager process is open
    manager.shutdown()  # the manager process ends, as if it had crashed
    try:
        shared.append(3)
    except OSError as error:
        print(f"a proxy whose manager is gone: {type(error).__name__}: {error}")
