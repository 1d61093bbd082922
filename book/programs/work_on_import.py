"""Work at the top level of the main module runs again in every spawn child."""

import multiprocessing

WHO = "the parent" if __name__ == "__main__" else "a child"
# the whole line in one write: two children print it at the same moment
print(f"loading the data in {WHO}\n", end="", flush=True)
DATA = [n * n for n in range(200_000)]  # slow work on import, and only the parent needs it


def child_task():
    pass  # needs none of the data


if __name__ == "__main__":
    spawn = multiprocessing.get_context("spawn")
    children = [spawn.Process(target=child_task) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    print("the parent's sum:", sum(DATA))
