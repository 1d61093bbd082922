"""Run the program from the question of chapter 6 several times under each start method.

python four_processes_ten_runs.py [RUNS [METHOD ...]]

Before each method's runs it prints "=== METHOD", after each run "--- end of run".
"""

import multiprocessing
import sys


def print_number(num):
    print(f"Process {num}: {num}")


def run_once(ctx):
    processes = []
    for num in range(1, 5):
        p = ctx.Process(target=print_number, args=(num,))
        processes.append(p)
        p.start()

    for p in processes:
        p.join()


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    methods = sys.argv[2:] or multiprocessing.get_all_start_methods()
    for method in methods:
        ctx = multiprocessing.get_context(method)
        print(f"=== {method}")
        for _ in range(runs):
            run_once(ctx)
            print("--- end of run")
