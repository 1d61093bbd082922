"""A parent that exits without joining its daemonic child."""

import multiprocessing


def wait_for(event):
    event.wait()


if __name__ == "__main__":
    never = multiprocessing.Event()  # nobody sets it: the child would wait forever
    child = multiprocessing.Process(target=wait_for, args=(never,), daemon=True)
    child.start()
    print("daemon:", child.daemon, "- alive:", child.is_alive())
    print("the parent exits without joining its child")
