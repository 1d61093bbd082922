"""Random numbers in workers: the same draws after fork, independent ones with seeds."""

import multiprocessing
import random

import numpy as np


def draw_inherited(results):
    # no seeding here: whatever state the child started with
    results.put((random.random(), float(np.random.random())))


def draw_seeded(seed_sequence):
    generator = np.random.default_rng(seed_sequence)
    return float(generator.random())


if __name__ == "__main__":
    if "fork" in multiprocessing.get_all_start_methods():  # not on Windows
        random.seed(42)
        np.random.seed(42)
        fork = multiprocessing.get_context("fork")
        results = fork.Queue()
        children = [fork.Process(target=draw_inherited, args=(results,)) for _ in range(4)]
        for child in children:
            child.start()
        draws = [results.get() for _ in children]
        for child in children:
            child.join()
        print("4 forked children, distinct draws of random.random():   ",
              len({python for python, _ in draws}))
        print("4 forked children, distinct draws of np.random.random():",
              len({numpy for _, numpy in draws}))

    streams = np.random.SeedSequence(2026).spawn(4)  # one independent stream per task
    with multiprocessing.Pool(2) as pool:
        draws = pool.map(draw_seeded, streams)
    print("4 tasks with SeedSequence.spawn, distinct draws:", len(set(draws)))
    again = [draw_seeded(s) for s in np.random.SeedSequence(2026).spawn(4)]
    print("the same root seed gives the same draws again:  ", draws == again)
