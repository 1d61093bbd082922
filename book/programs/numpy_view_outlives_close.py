"""An array made with np.ndarray(buffer=block.buf) outlives close(): the interpreter crashes."""

from multiprocessing import shared_memory

import numpy as np

block = shared_memory.SharedMemory(create=True, size=8_000_000)
numbers = np.ndarray((1_000_000,), dtype=np.float64, buffer=block.buf)
block.close()  # no error...
block.unlink()
numbers[0] = 1.0  # ...but this writes to memory that is no longer mapped
print("never printed")
