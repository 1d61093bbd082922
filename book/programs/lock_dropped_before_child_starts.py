"""A lock that only the Process object refers to can be gone before the child opens it."""

import multiprocessing


def use(lock):
    with lock:
        pass


if __name__ == "__main__":
    spawn = multiprocessing.get_context("spawn")

    child = spawn.Process(target=use, args=(spawn.Lock(),))  # the only reference to the lock
    child.start()
    child.join()
    print("a lock that only the Process referred to: exit code", child.exitcode)

    lock = spawn.Lock()  # the parent keeps a reference until the child is done
    child = spawn.Process(target=use, args=(lock,))
    child.start()
    child.join()
    print("a lock that the parent kept:              exit code", child.exitcode)
