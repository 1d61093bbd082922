"""Read a pickled function from standard input, load it with pickle, and call it with 4."""

import pickle
import sys

try:
    function = pickle.loads(sys.stdin.buffer.read())
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
else:
    print(function(4))
