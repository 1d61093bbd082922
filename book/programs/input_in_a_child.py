"""A child process reads its standard input: it finds the end of the input at once."""

import multiprocessing


def ask():
    return input()


if __name__ == "__main__":
    child = multiprocessing.Process(target=ask)
    child.start()
    child.join()
    print("the child's exit code:", child.exitcode)
