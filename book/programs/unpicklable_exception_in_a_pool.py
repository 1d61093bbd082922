"""A task raises an exception that pickles but cannot be unpickled, and how to repair it."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


class CodeError(Exception):
    def __init__(self, message, code):
        super().__init__(message)  # args is (message,): unpickling calls CodeError(message)
        self.code = code


class PicklableCodeError(Exception):
    def __init__(self, message, code):
        super().__init__(message, code)  # args is (message, code): unpickling works
        self.code = code


def square(x):
    return x * x


def fail_with_code(code, picklable=False):
    raise (PicklableCodeError if picklable else CodeError)("quota exceeded", code)


if __name__ == "__main__":
    with ProcessPoolExecutor(1) as executor:
        error = executor.submit(fail_with_code, 429).exception(timeout=60)
        print("ProcessPoolExecutor, CodeError:", type(error).__name__)

    with multiprocessing.Pool(1) as pool:
        try:
            pool.apply_async(fail_with_code, (429, True)).get(timeout=60)
        except PicklableCodeError as exc:
            print("Pool, PicklableCodeError: raised again here, with code", exc.code)
        failing = pool.apply_async(fail_with_code, (429,))
        later = pool.apply_async(square, (4,))
        for name, task in [("Pool, CodeError", failing), ("Pool, the task after it", later)]:
            try:
                print(f"{name}: {task.get(timeout=0.2)}")
            except multiprocessing.TimeoutError:
                print(f"{name}: no result after 0.2 s")
