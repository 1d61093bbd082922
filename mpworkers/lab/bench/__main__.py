"""``python -m mpworkers.lab.bench``: the benchmark's command line (:mod:`.cli`)."""

import sys

from mpworkers.lab.bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
