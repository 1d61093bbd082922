"""A task ends its worker process: ProcessPoolExecutor raises, a Pool's result never comes."""

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def exit_now(code):
    os._exit(code)  # no exception, no cleanup: the process is gone


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as executor:
        future = executor.submit(exit_now, 3)
        try:
            future.result(timeout=60)
        except Exception as exc:
            print("ProcessPoolExecutor raised", type(exc).__name__)

    with multiprocessing.Pool(2) as pool:
        result = pool.apply_async(exit_now, (3,))
        try:
            result.get(timeout=0.3)  # without a timeout: for ever
        except multiprocessing.TimeoutError:
            print("Pool: no result after 0.3 s, and none will come")
