# Two targets do everything on a fresh machine with Python 3 and make:
#   make book   builds the HTML book into _build/html/index.html
#   make test   runs every test: unit tests, notebook checks, the notebooks
#               under each start method, and a warning-free book build
# Both create (or reuse) the virtual environment in $(VENV).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
START_METHODS ?= fork spawn forkserver
NB ?= book
NBVAL_OPTS := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
              --nbval-cell-timeout 50 -p no:randomly
# A constrained reader's run: no cell may raise and no process may leak, but
# outputs that adapt to fewer CPUs are not compared, and claims only report.
NBVAL_READER_OPTS := --nbval-lax --nbval-current-env --nbval-cell-timeout 120 \
              -p no:randomly --mp-claims=report

.PHONY: book test test-unit test-notebooks test-constrained test-pythons execute lint clean

# Some Pythons come without ensurepip (Debian's, for one): then the venv is
# made without pip and the pip of python3 on PATH installs pip into it.
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV) && \
	  $(PYTHON) -m venv --without-pip $(VENV) && \
	  python3 -m pip --python $(PY) install --quiet pip; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@# build matplotlib's font cache now: on first use it logs a warning that
	@# would land in a cell's output
	$(PY) -c "import matplotlib.pyplot"
	touch $@

book: $(VENV)/.installed
	$(VENV)/bin/jupyter-book build --all -W -n --keep-going .
	$(PY) tools/check_html.py _build/html

test: $(VENV)/.installed
	@status=0; \
	$(MAKE) --no-print-directory test-unit || status=1; \
	$(MAKE) --no-print-directory test-notebooks || status=1; \
	$(MAKE) --no-print-directory book || status=1; \
	exit $$status

test-unit: $(VENV)/.installed
	$(PY) -m ruff check mpworkers tests tools
	$(PY) -m mypy
	$(PY) -m pytest tests

# make test-notebooks NB=book/03_create_a_process.ipynb START_METHODS=spawn
test-notebooks: $(VENV)/.installed
	@status=0; for method in $(START_METHODS); do \
	  echo "=== notebooks under start method $$method ==="; \
	  $(PY) -m pytest $(NBVAL_OPTS) --mp-start-method=$$method $(NB) || status=1; \
	done; exit $$status

# Every notebook as a reader with one CPU runs it: inside a 1-CPU quota (as on
# mybinder.org, with the platform's default start method) and pinned to CPU 0
# (with spawn, the default on macOS and Windows). SKIP where it cannot be set up.
test-constrained: $(VENV)/.installed
	@status=0; \
	echo "=== notebooks in a 1-CPU quota ==="; \
	$(PY) tools/constrain.py --cpu-quota 1 -- $(PY) -m pytest $(NBVAL_READER_OPTS) $(NB) || status=1; \
	echo "=== notebooks with an affinity of one CPU, spawn ==="; \
	$(PY) tools/constrain.py --affinity 0 -- \
	  $(PY) -m pytest $(NBVAL_READER_OPTS) --mp-start-method=spawn $(NB) || status=1; \
	exit $$status

# The suite on every CPython >= 3.10 found on this machine, one venv each.
test-pythons:
	@status=0; for py in $$(tools/find_pythons.sh); do \
	  v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  echo "=== CPython $$v ($$py) ==="; \
	  $(MAKE) --no-print-directory test-unit test-notebooks PYTHON=$$py VENV=.venv-$$v || status=1; \
	done; exit $$status

# make execute NB=book/03_create_a_process.ipynb   (default: every notebook)
execute: $(VENV)/.installed
	$(PY) tools/execute.py $(filter %.ipynb,$(NB))

lint: $(VENV)/.installed
	$(PY) -m ruff check mpworkers tests tools
	$(PY) -m mypy

clean:
	rm -rf _build
