"""Four processes print in a fixed order: each waits for its turn, then hands it on; ten times."""

import multiprocessing


def print_in_turn(num, my_turn, next_turn):
    my_turn.wait()
    print(f"Process {num}: {num}", flush=True)  # written before the turn passes
    if next_turn is not None:
        next_turn.set()


def run_once():
    turns = [multiprocessing.Event() for _ in range(4)]
    processes = []
    for i, num in enumerate(range(1, 5)):
        next_turn = turns[i + 1] if i < 3 else None
        p = multiprocessing.Process(target=print_in_turn, args=(num, turns[i], next_turn))
        processes.append(p)
        p.start()
    turns[0].set()  # process 1 may go
    for p in processes:
        p.join()


if __name__ == "__main__":
    for _ in range(10):
        run_once()
        print("--- end of run")
