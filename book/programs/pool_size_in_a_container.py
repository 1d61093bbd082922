# programs/pool_size_in_a_container.py
"""Size a pool in a container from PYTHON_CPU_COUNT: set it to the container's CPU limit.

When you cannot set it, read the CPU quota itself: chapter 5's usable_cpus().
"""

import os
from concurrent.futures import ProcessPoolExecutor


def pool_size():
    if hasattr(os, "process_cpu_count"):  # Python 3.13+: it honours PYTHON_CPU_COUNT itself
        return os.process_cpu_count() or 1
    if os.environ.get("PYTHON_CPU_COUNT", "").isdigit():  # older Pythons ignore the variable
        return int(os.environ["PYTHON_CPU_COUNT"])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    workers = pool_size()
    with ProcessPoolExecutor(workers) as executor:
        print(f"{workers} worker(s):", list(executor.map(abs, [-1, -2, -3])))
