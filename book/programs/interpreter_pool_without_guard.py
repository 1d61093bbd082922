"""The same pool of interpreters without the __main__ guard (Python 3.14+): it fails."""

import math
from concurrent.futures import InterpreterPoolExecutor


def root(x):
    return math.sqrt(x)


print(f"this file runs as {__name__}")

with InterpreterPoolExecutor(max_workers=2) as pool:
    print(list(pool.map(root, [1, 4, 9, 16])))
