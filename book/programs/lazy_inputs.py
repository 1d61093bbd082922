"""Huge or lazy inputs: map holds them all at once, imap streams them."""

import collections
import sys
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool

ITEMS = 400
ITEM_SIZE = 250_000  # bytes: 100 MB of input in all


def records():
    """A lazy input: each record is made only when asked for."""
    for index in range(ITEMS):
        yield bytes([index % 256]) * ITEM_SIZE


def first_byte(record):
    return record[0]


def map_in_window(executor, function, iterable, window):
    """Executor.map that keeps at most `window` tasks submitted (what buffersize= does)."""
    if sys.version_info >= (3, 14):
        yield from executor.map(function, iterable, buffersize=window)
        return
    pending = collections.deque()
    for item in iterable:
        pending.append(executor.submit(function, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def peak_share(run):
    """Run, and return the parent's peak of traced memory as a share of the whole input."""
    tracemalloc.start()
    total = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == sum(i % 256 for i in range(ITEMS))
    return peak / (ITEMS * ITEM_SIZE)


if __name__ == "__main__":
    with Pool(2) as pool:
        shares = {
            "Pool.map": peak_share(lambda: sum(pool.map(first_byte, records(), chunksize=10))),
            "Pool.imap": peak_share(lambda: sum(pool.imap(first_byte, records(), chunksize=10))),
        }
    with ProcessPoolExecutor(2) as executor:
        shares["Executor.map"] = peak_share(
            lambda: sum(executor.map(first_byte, records(), chunksize=10)))
        shares["map_in_window"] = peak_share(
            lambda: sum(map_in_window(executor, first_byte, records(), window=4)))
    for name, share in shares.items():
        verdict = "most of the input at once" if share > 0.5 else "a small part at a time"
        print(f"{name + ':':<15} held {verdict}")
