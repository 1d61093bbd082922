"""Square five numbers with a multiprocessing Pool, then with a local Dask cluster."""

import multiprocessing

from dask.distributed import Client, LocalCluster

from mpworkers import square


def with_pool(numbers):
    with multiprocessing.Pool(processes=2) as pool:
        return pool.map(square, numbers)


def with_dask(numbers):
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = client.map(square, numbers)
        return client.gather(futures)


if __name__ == "__main__":
    numbers = [1, 2, 3, 4, 5]
    print("Pool:", with_pool(numbers))
    print("Dask:", with_dask(numbers))
