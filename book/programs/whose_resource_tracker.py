"""Fork pools started before the program's first block: their workers get trackers of their own."""

import multiprocessing
import sys
import time
from multiprocessing import resource_tracker, shared_memory


def attach_untracked(name):
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    block = shared_memory.SharedMemory(name=name)  # 3.10-3.12: no track= argument
    resource_tracker.unregister(block._name, "shared_memory")
    return block


def read_first_byte(name, track):
    block = shared_memory.SharedMemory(name=name) if track else attach_untracked(name)
    first = block.buf[0]
    block.close()
    return first


def exists(name):
    try:
        shared_memory.SharedMemory(name=name).close()
    except FileNotFoundError:
        return False
    return True


if __name__ == "__main__":
    fork = multiprocessing.get_context("fork")
    pools = {"untracked": fork.Pool(1), "tracked": fork.Pool(1)}  # no tracker runs yet
    block = shared_memory.SharedMemory(create=True, size=10)  # starts this program's tracker
    block.buf[0] = 42
    for how, pool in pools.items():
        first = pool.apply(read_first_byte, (block.name, how == "tracked"))
        print(f"the {how} worker reads", first)
        pool.close()
        pool.join()  # the worker exits
        time.sleep(0.5)  # and its tracker, if it has one of its own, cleans up
        print(f"after the {how} worker exited, the block exists:", exists(block.name))
    block.close()
    try:
        block.unlink()
    except FileNotFoundError:
        print("the creator's unlink() raised FileNotFoundError")
