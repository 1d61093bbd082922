"""The program from the question of chapter 6: four processes, each prints a number."""

import multiprocessing


def print_number(num):
    print(f"Process {num}: {num}")


if __name__ == "__main__":
    processes = []
    for num in range(1, 5):
        p = multiprocessing.Process(target=print_number, args=(num,))
        processes.append(p)
        p.start()

    for p in processes:
        p.join()
