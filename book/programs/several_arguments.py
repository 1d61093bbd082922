"""Five ways to give a worker function more than one argument."""

import functools
import itertools
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Pool


def scale(value, factor, offset=0):
    return value * factor + offset


def scale_pair(pair):
    value, factor = pair
    return scale(value, factor)


def scale_with_options(job):
    value, options = job
    return scale(value, **options)


if __name__ == "__main__":
    values = [1, 2, 3, 4]
    factors = [10, 20, 30, 40]
    with Pool(2) as pool:
        # 1. One argument fixed for every task: functools.partial
        print("partial: ", pool.map(functools.partial(scale, factor=10), values))
        # 2. One tuple of arguments per task: starmap unpacks it
        print("starmap: ", pool.starmap(scale, zip(values, factors, strict=True)))
        # 3. The same with a fixed last argument: zip with itertools.repeat
        print("repeat:  ", pool.starmap(scale, zip(values, factors, itertools.repeat(5))))
        # 4. Keyword arguments per task: a small module-level wrapper
        jobs = [(v, {"factor": f, "offset": 1}) for v, f in zip(values, factors, strict=True)]
        print("keywords:", pool.map(scale_with_options, jobs))
    with ProcessPoolExecutor(2) as executor:
        # 5. Executor.map takes one iterable per parameter, like the built-in map
        print("executor:", list(executor.map(scale, values, factors)))
