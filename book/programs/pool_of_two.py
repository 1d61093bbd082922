"""A pool of two worker processes runs ten tasks, twice."""

import multiprocessing
import os


def square(x):
    return x * x


def whoami(task):
    return task, os.getpid()


if __name__ == "__main__":
    with multiprocessing.Pool(processes=2) as pool:  # two workers start here
        print(pool.map(square, range(10)))  # ten tasks for two workers
        reports = pool.map(whoami, range(10))
    worker_pids = {pid for _task, pid in reports}
    print("some task ran in this process:", os.getpid() in worker_pids)
    print("at most two processes ran the tasks:", len(worker_pids) <= 2)
