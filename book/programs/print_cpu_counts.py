"""Print os.cpu_count() and os.process_cpu_count() (os.cpu_count() before Python 3.13)."""

import os

process_cpu_count = getattr(os, "process_cpu_count", os.cpu_count)
print(os.cpu_count(), process_cpu_count())
