"""Hand a NumPy array of a million floats to a child: sent through a Queue, or placed in a block."""

import multiprocessing as mp
import time
from multiprocessing import shared_memory

import numpy as np


def sum_received(inbox, outbox):  # the child of the first way
    while (numbers := inbox.get()) is not None:
        outbox.put(float(numbers.sum()))


def sum_in_place(block_name, conn):  # the child of the second way
    block = shared_memory.SharedMemory(name=block_name)
    while (count := conn.recv()) is not None:
        conn.send(float(np.frombuffer(block.buf, dtype=np.float64, count=count).sum()))
    block.close()


if __name__ == "__main__":
    numbers = np.arange(1_000_000, dtype=np.float64)  # 8 MB

    # 1. Send it: pickled, written into a pipe, read and unpickled by the child.
    inbox, outbox = mp.Queue(), mp.Queue()
    child = mp.Process(target=sum_received, args=(inbox, outbox))
    child.start()
    inbox.put(numbers[:1])  # a first round trip: the child has started
    outbox.get()
    start = time.perf_counter()
    inbox.put(numbers)
    print(f"through a Queue:  sum {outbox.get():.0f}, {time.perf_counter() - start:.4f} s")
    inbox.put(None)
    child.join()

    # 2. Place it: copied once into a shared block; the child reads it in place.
    block = shared_memory.SharedMemory(create=True, size=numbers.nbytes)
    shared = np.frombuffer(block.buf, dtype=np.float64)  # a view of the block, not a copy
    mine, theirs = mp.Pipe()
    child = mp.Process(target=sum_in_place, args=(block.name, theirs))
    child.start()
    mine.send(1)  # a first round trip: the child has started
    mine.recv()
    start = time.perf_counter()
    shared[:] = numbers  # the one copy
    mine.send(len(shared))  # only how much to read travels
    print(f"in shared memory: sum {mine.recv():.0f}, {time.perf_counter() - start:.4f} s")
    mine.send(None)
    child.join()
    del shared  # no view may outlive close()
    block.close()  # every process closes its own handle...
    block.unlink()  # ...and one of them destroys the block, once
