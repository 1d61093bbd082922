"""Create a shared-memory block, close it, and forget to unlink it."""

from multiprocessing import shared_memory

block = shared_memory.SharedMemory(create=True, size=1_000_000)
block.buf[:5] = b"hello"
block.close()  # closed, but never unlinked
print(block.name)
