"""A pool used from a class: a bound method travels with its whole object."""

import pickle
from multiprocessing import Pool


class Thumbnailer:
    def __init__(self, size, cache):
        self.size = size
        self.cache = cache  # imagine megabytes: they are pickled with every task batch

    def shrink(self, width):
        return min(width, self.size)

    def run(self, widths):
        with Pool(2) as pool:
            # self.shrink is a bound method: pickling it pickles self, cache and all
            return pool.map(self.shrink, widths)


def shrink(width, size):
    """The module-level alternative: only what the task needs travels."""
    return min(width, size)


if __name__ == "__main__":
    maker = Thumbnailer(size=100, cache=bytes(1_000_000))
    print("bound method:", maker.run([50, 150, 250]))
    print(f"pickled bound method: {len(pickle.dumps(maker.shrink)) / 1e6:.1f} MB")
    with Pool(2) as pool:
        print("module function:", pool.starmap(shrink, [(50, 100), (150, 100), (250, 100)]))
    size = len(pickle.dumps(shrink))
    print("pickled function:", "under 100 bytes" if size < 100 else f"{size} bytes")
