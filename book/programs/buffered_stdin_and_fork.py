"""A buffering object in sys.stdin is flushed again by every forked child; the fix."""

import multiprocessing
import os
import sys


class BufferedStream:
    """Keeps what is written to it; appends it to a file on close()."""

    def __init__(self, path):
        self.path, self.buffer = path, []

    def write(self, text):
        self.buffer.append(text)

    def close(self):
        with open(self.path, "a", encoding="utf-8") as file:
            file.write("".join(self.buffer))
        self.buffer.clear()


class ForkSafeBufferedStream(BufferedStream):
    """The documentation's fix: another process finds the buffer empty."""

    def __init__(self, path):
        super().__init__(path)
        self.pid = os.getpid()

    def close(self):
        if os.getpid() != self.pid:  # a forked child: the buffer is the parent's
            self.buffer.clear()
        super().close()


if __name__ == "__main__":
    if "fork" not in multiprocessing.get_all_start_methods():
        print("no fork here: a child never holds a copy of the parent's sys.stdin")
        sys.exit()
    for stream_type in (BufferedStream, ForkSafeBufferedStream):
        path = stream_type.__name__ + ".txt"
        sys.stdin = stream_type(path)
        sys.stdin.write("one line, written once by the parent\n")
        child = multiprocessing.get_context("fork").Process()  # a child that does nothing
        child.start()  # its first step: sys.stdin.close()
        child.join()
        sys.stdin.close()
        sys.stdin = sys.__stdin__
        with open(path, encoding="utf-8") as file:
            copies = file.read().count("written once")
        print(f"{stream_type.__name__:22} the line is in the file {copies} time(s)")
