# programs/frozen_executable.py
"""A program ready to be frozen into an executable (PyInstaller, cx_Freeze, py2exe)."""

import multiprocessing
import sys


def square(number):
    return number * number


def main():
    with multiprocessing.Pool(2) as pool:
        print("squares:", pool.map(square, range(6)))


if __name__ == "__main__":
    # First line under the guard. In a frozen executable whose children are
    # started with spawn (Windows), each child runs this same executable: this
    # call runs the child's task there and exits, before main() is reached.
    multiprocessing.freeze_support()
    print("frozen:", getattr(sys, "frozen", False))  # freezers set sys.frozen
    main()
