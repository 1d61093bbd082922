"""Start a local Dask cluster without the __main__ guard: the spawned worker fails."""

from dask.distributed import Client, LocalCluster

from mpworkers import square

cluster = LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                       dashboard_address=None)
client = Client(cluster)
print(client.gather(client.map(square, [1, 2, 3])))
