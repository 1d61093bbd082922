"""Fail fast: stop at the first task that raises, and cancel the tasks not yet started."""

import time
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait


def check_record(number):
    if number == 3:
        raise ValueError(f"record {number} is corrupt")
    time.sleep(0.2)
    return number


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as executor:
        futures = [executor.submit(check_record, n) for n in range(20)]
        done, not_done = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in done if f.exception() is not None]
        if failed:
            cancelled = sum(f.cancel() for f in not_done)  # only tasks not yet running
            print("first error:", repr(failed[0].exception()))
            print("tasks cancelled before they started:", "most" if cancelled > 10 else cancelled)
    ran = sum(f.done() and not f.cancelled() for f in futures)
    print("tasks that ran:", "fewer than half of the 20" if ran < 10 else ran)
