# programs/hung_pool.py
"""A pool that hangs: print the stacks of the parent and of every worker, and end it in time."""

import faulthandler
import logging
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

go = None  # each worker's copy of the event, set by the initializer


def start_worker(event):
    """Pool initializer: `kill -USR1 PID` now prints this worker's stacks to stderr."""
    global go
    go = event
    faulthandler.register(signal.SIGUSR1)


def wait_for_the_go(item):
    go.wait()  # the bug: nothing ever sets the event
    return item


def signal_the_workers():
    """What `kill -USR1 PID` does from a shell, once for each worker."""
    for worker in multiprocessing.active_children():
        os.kill(worker.pid, signal.SIGUSR1)
        time.sleep(0.3)  # one dump at a time, so that their lines do not mix


def hang():
    multiprocessing.log_to_stderr(logging.DEBUG)  # what the pool does, line by line
    # the watchdog: if the program is still running in 3 s, print every thread's stack, and quit
    faulthandler.dump_traceback_later(3, exit=True)
    with multiprocessing.Pool(2, initializer=start_worker,
                              initargs=(multiprocessing.Event(),)) as pool:
        threading.Timer(1.5, signal_the_workers).start()
        print(pool.map(wait_for_the_go, [1, 2]))  # waits for ever


FRAME = re.compile(r'File "(?P<path>.*)", line \d+ in (?P<function>\S+)')


def where_each_thread_waits(dumps):
    """One line per stack that faulthandler printed, by function names only."""
    lines = []
    for stack in re.split(r"^.*most recent call first.*$", dumps, flags=re.M)[1:]:
        frames = [(m["function"], os.path.basename(m["path"])) for m in FRAME.finditer(stack)]
        mine = [i for i, (_, file) in enumerate(frames) if file == "hung_pool.py"]
        if mine:  # innermost call first: the program's own function, and the call it is in
            function, (called, file) = frames[mine[0]][0], frames[mine[0] - 1]
            lines.append(f"{function}() waits in {called} ({file})")
        else:  # a thread that the pool started: the function it runs
            name = [name for name, file in frames if file == "pool.py"][-1]
            lines.append(f"a thread of the pool runs {name} (pool.py)")
    return sorted(lines)


def diagnose():
    """Run the hanging program, then print what it wrote, less what changes from run to run."""
    with tempfile.TemporaryDirectory() as folder, open(os.path.join(folder, "err"), "w+") as err:
        started = time.monotonic()
        program = subprocess.Popen([sys.executable, __file__, "hang"], stderr=err,
                                   env=dict(os.environ, TMPDIR=folder), start_new_session=True)
        program.wait(timeout=60)
        seconds = time.monotonic() - started
        try:  # exit=True ended the parent only: end the workers, in its process group
            os.killpg(program.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        err.seek(0)
        workers_dumps, timeout, parent_dump = err.read().partition("Timeout (")
    print(f"the program ended with exit code {program.returncode}, within 10 s: {seconds < 10}")
    logged = {re.sub(r"/\w+PoolWorker-\d+]", "/...PoolWorker-N]", line)
              for line in workers_dumps.splitlines()
              if re.search(r"] (added worker|child process calling self.run)", line)}
    print("log_to_stderr wrote, among other lines:", *sorted(logged), sep="\n  ")
    print("each worker, on SIGUSR1:", *where_each_thread_waits(workers_dumps), sep="\n  ")
    print(f"the parent, after 3 s: {timeout}{parent_dump.splitlines()[0]}",
          *where_each_thread_waits(parent_dump), sep="\n  ")


if __name__ == "__main__":
    if not hasattr(signal, "SIGUSR1"):
        print("faulthandler.register() and SIGUSR1 need Linux or macOS")
    elif sys.argv[1:] == ["hang"]:
        hang()
    else:
        diagnose()
