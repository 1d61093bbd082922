"""Stop at the first task whose result you were looking for, and cancel the rest."""

import time
from concurrent.futures import ProcessPoolExecutor, as_completed


def collatz_steps(number):
    steps = 0
    while number != 1:
        number = number // 2 if number % 2 == 0 else 3 * number + 1
        steps += 1
    time.sleep(0.05)
    return steps


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as executor:
        futures = {executor.submit(collatz_steps, n): n for n in (27, 97, 871, 6171, 77031)}
        for future in as_completed(futures):
            if future.result() % 2 == 0:
                for other in futures:
                    other.cancel()
                # which number wins depends on timing: say what holds every time
                print("stopped at a number whose Collatz chain has an even number of steps:",
                      futures[future] in (97, 871, 6171, 77031))
                break
