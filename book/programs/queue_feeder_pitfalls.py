"""Two consequences of Queue's feeder thread: put() returns before the object is pickled."""

import queue
import threading
from multiprocessing import Queue

if __name__ == "__main__":
    # 1. An object changed after put() is sent as it is when the feeder pickles it.
    q = Queue()
    q.put(bytes(1_000_000))  # fills the pipe: the feeder thread waits for a reader
    numbers = [1, 2, 3]
    q.put(numbers)  # returns at once; the list waits in the queue's buffer
    numbers.append(4)  # changed after put() returned
    q.get()
    print("put [1, 2, 3], received:", q.get())

    # 2. An object that cannot be pickled: put() returns normally, the item is lost.
    q.put(threading.Lock())  # the feeder thread fails to pickle it and prints a traceback
    try:
        q.get(timeout=2)
    except queue.Empty:
        print("get(timeout=2) raised queue.Empty: the item was dropped")
