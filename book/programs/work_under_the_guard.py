"""Nothing runs on import: the parent does its work under the guard, once."""

import multiprocessing


def load_data():
    print("loading the data", flush=True)
    return [n * n for n in range(200_000)]


def child_task():
    pass  # needs none of the data


if __name__ == "__main__":
    multiprocessing.freeze_support()  # does something only in a frozen executable
    data = load_data()
    spawn = multiprocessing.get_context("spawn")
    children = [spawn.Process(target=child_task) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    print("the parent's sum:", sum(data))
