"""A manager served on an address: a second program reaches its queue by address and key."""

import queue
import subprocess
import sys
import threading
from multiprocessing.managers import BaseManager

AUTHKEY = b"a long random secret shared by both programs"
jobs = queue.Queue()  # lives in the serving program; others reach it through the manager


def get_jobs():
    return jobs


class JobManager(BaseManager):
    pass


JobManager.register("get_jobs", callable=get_jobs)


def serve():
    # loopback only, port 0: the system picks a free port, server.address says which
    server = JobManager(address=("127.0.0.1", 0), authkey=AUTHKEY).get_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.address[1]
    other = subprocess.run([sys.executable, __file__, "put", str(port)], check=True)
    print("the other program's exit code:", other.returncode)
    print("jobs it put:", [jobs.get_nowait() for _ in range(jobs.qsize())])


def put(port):
    manager = JobManager(address=("127.0.0.1", port), authkey=AUTHKEY)
    manager.connect()  # checks the key both ways, then returns
    remote = manager.get_jobs()  # a proxy: each call is a message to the serving program
    for number in range(3):
        remote.put(f"job {number}")
    print("put 3 jobs into a queue of another program")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "put":
        put(int(sys.argv[2]))
    else:
        serve()
