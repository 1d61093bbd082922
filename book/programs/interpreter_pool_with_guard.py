"""Square roots in a pool of interpreters (Python 3.14+), with the __main__ guard."""

import math
from concurrent.futures import InterpreterPoolExecutor


def root(x):
    return math.sqrt(x)


print(f"this file runs as {__name__}")

if __name__ == "__main__":
    with InterpreterPoolExecutor(max_workers=2) as pool:
        print(list(pool.map(root, [1, 4, 9, 16])))
