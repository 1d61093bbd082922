"""Fork while a subinterpreter exists (Python 3.14+, Linux): the child crashes."""

import multiprocessing
import os
import subprocess
import sys
import time
from concurrent import interpreters


def forked_child_exit_code():
    """Fork a child that exits at once; return its exit code (negative: killed by a signal)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def process_exit_code(method):
    """Start and join a Process that does nothing, with the given start method."""
    child = multiprocessing.get_context(method).Process(target=time.sleep, args=(0,))
    child.start()
    child.join()
    return child.exitcode


if __name__ == "__main__":
    print("no subinterpreter yet, os.fork():", forked_child_exit_code())
    interp = interpreters.create()
    interp.call(len, "abc")  # it ran once and is idle now
    print("an idle subinterpreter exists, os.fork():", forked_child_exit_code())
    for method in ("fork", "spawn", "forkserver"):
        print(f"  Process with start method {method}:", process_exit_code(method))
    run = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=lambda: None)
    print("  subprocess.run with preexec_fn:", run.returncode)
    interp.close()
    print("after interp.close(), os.fork():", forked_child_exit_code())
