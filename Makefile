# Two targets do everything on a fresh machine with Python 3 and make:
#   make book   builds the HTML book into _build/html/index.html
#   make test   runs every test (see the README for the list)
# Both create (or reuse) the virtual environment in $(VENV).

PYTHON ?= python3
VENV ?= .venv
# Children started with spawn and forkserver import multiprocessing and
# mpworkers afresh: let Python cache the compiled modules (a machine may set
# this variable, which makes every child compile them again).
unexport PYTHONDONTWRITEBYTECODE
# Kernels and children import mpworkers from this checkout, whatever venv runs them.
export PYTHONPATH := $(CURDIR)
PY := $(VENV)/bin/python
START_METHODS ?= fork spawn forkserver
NB ?= book
# The newest Python, which CI also runs (under its own default start method)
NEWEST ?= 3.14
NEWEST_PY = $(shell tools/find_pythons.sh $(NEWEST))
# The strict run's options, written once in tests/nbval.opts (tools/soak.py reads them too)
NBVAL_OPTS := $(shell sed 's/\#.*//' tests/nbval.opts)
# A constrained reader's run: no cell may raise and no process or shared-memory
# block may leak, but outputs that adapt to fewer CPUs are not compared and
# claims only report their verdicts, as in a reader's kernel.
NBVAL_READER_OPTS := --nbval-lax --nbval-current-env --nbval-cell-timeout 120 \
              -p no:randomly --mp-claims=report

.PHONY: lock binder-lock book test test-browser test-unit test-notebooks test-constrained test-quota test-affinity test-binder \
        test-newest test-newest-unit test-pythons soak new-chapter execute lint clean

# Some Pythons come without ensurepip (Debian's, for one): then the venv is
# made without pip, python3's pip downloads the newest pip wheel, and the new
# venv's Python installs pip from that wheel.
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml $(wildcard constraints/*.txt)
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV) && \
	  $(PYTHON) -m venv --without-pip $(VENV) && \
	  python3 -m pip download --quiet --no-deps --dest $(VENV)/pip-wheel pip && \
	  $(PY) $$(ls $(VENV)/pip-wheel/pip-*.whl)/pip install --quiet $(VENV)/pip-wheel/pip-*.whl; }
	$(PY) -m pip install --quiet --upgrade pip
	@# on the Pythons CI uses, every package at its tested version (make lock)
	v=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	pins=; [ -f constraints/$$v.txt ] && [ -z "$(UNPINNED)" ] && pins="-c constraints/$$v.txt"; \
	$(PY) -m pip install --quiet -r requirements-dev.txt $$pins
	@# a Python unpacked without its compiled standard library compiles it in
	@# every child it starts: compile it once
	$(PY) -m compileall -q -j0 "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')" >/dev/null 2>&1 || true
	@# build matplotlib's font cache now: on first use it logs a warning that
	@# would land in a cell's output
	$(PY) -c "import matplotlib.pyplot"
	touch $@

book: $(VENV)/.installed
	@rm -rf _build/html  # pages of files no longer in the book must not linger
	$(VENV)/bin/jupyter-book build --all -W -n --keep-going .
	$(PY) tools/check_html.py _build/html

# The browser test: Debian's Chromium (installed with apt-get when missing and
# run as root), axe-core from the npm registry, Playwright from requirements-dev.
AXE_VERSION := 4.14.1
AXE := .cache/axe/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --silent --no-save --prefix .cache/axe axe-core@$(AXE_VERSION) \
	  || echo "axe-core could not be installed: the browser test will SKIP"

test-browser: book $(AXE)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } || true
	$(PY) tools/check_browser.py _build/html

# Phase 1 runs what does not measure time side by side (unit tests, the book
# and its browser test, the constrained readers, the Binder environment, the
# newest Python's unit tests); phase 2 runs the notebooks whose timing claims
# are strict, one suite at a time, alone.
test: $(VENV)/.installed
	@status=0; start=$$(date +%s); \
	$(MAKE) --no-print-directory -j6 --output-sync=target -k \
	  test-unit test-browser test-quota test-affinity test-newest-unit test-binder || status=1; \
	echo "=== phase 1 done in $$(( $$(date +%s) - start )) s"; \
	$(MAKE) --no-print-directory test-notebooks || status=1; \
	$(MAKE) --no-print-directory test-newest || status=1; \
	echo "=== make test: $$(( $$(date +%s) - start )) s, $$( [ $$status = 0 ] && echo passed || echo FAILED)"; \
	exit $$status

test-unit: $(VENV)/.installed
	$(PY) -m ruff check mpworkers tests tools book/programs book/*.ipynb
	$(PY) -m mypy
	$(PY) tools/reader_metrics.py --check
	$(PY) -m pytest tests

# make test-notebooks NB=book/03_create_a_process.ipynb START_METHODS=spawn
# (START_METHODS=default: the Python's own default start method)
test-notebooks: $(VENV)/.installed
	@status=0; for method in $(START_METHODS); do \
	  echo "=== notebooks under start method $$method ($$($(PY) -V)) ==="; \
	  flag=--mp-start-method=$$method; [ $$method = default ] && flag=; \
	  $(PY) -m pytest $(NBVAL_OPTS) $$flag $(NB) || status=1; \
	done; exit $$status

# Every notebook as a reader with one CPU runs it: inside a 1-CPU quota (as on
# mybinder.org, with the platform's default start method) and pinned to CPU 0
# (with spawn, the default on macOS and Windows). SKIP where it cannot be set up.
test-constrained: test-quota test-affinity

test-quota: $(VENV)/.installed
	@echo "=== notebooks in a 1-CPU quota ==="
	$(PY) tools/constrain.py --cpu-quota 1 -- $(PY) -m pytest $(NBVAL_READER_OPTS) $(NB)

test-affinity: $(VENV)/.installed
	@echo "=== notebooks with an affinity of one CPU, start method spawn ==="
	$(PY) tools/constrain.py --affinity 0 -- \
	  $(PY) -m pytest $(NBVAL_READER_OPTS) --mp-start-method=spawn $(NB)

# The Binder environment without Docker (tools/binder_env.sh): a fresh venv of
# binder/runtime.txt's Python with binder/requirements.txt and binder/postBuild
# only, mpworkers checked to be the editable checkout; then every notebook in
# kernels of that venv (pytest and nbval stay in $(VENV)) as a reader's kernel
# runs it, inside a 1-CPU quota. SKIP where the Python or the quota is missing.
test-binder: $(VENV)/.installed
	tools/binder_env.sh --venv .venv-binder -- $(PY) tools/constrain.py --cpu-quota 1 -- \
	  $(PY) -m pytest $(filter-out --nbval-current-env,$(NBVAL_READER_OPTS)) --nbval-kernel-name binder $(NB)

# The newest Python (NEWEST=3.14): unit tests, then the notebooks under its
# own default start method. It says SKIP, and passes, where it is not installed.
test-newest-unit:
	@if [ -z "$(NEWEST_PY)" ]; then echo "SKIP: Python $(NEWEST) not found (tools/find_pythons.sh)"; \
	else $(MAKE) --no-print-directory .venv-$(NEWEST)/.installed PYTHON=$(NEWEST_PY) VENV=.venv-$(NEWEST) \
	  && .venv-$(NEWEST)/bin/python -m pytest tests; fi

test-newest:
	@if [ -z "$(NEWEST_PY)" ]; then echo "SKIP: Python $(NEWEST) not found (tools/find_pythons.sh)"; \
	else $(MAKE) --no-print-directory test-notebooks PYTHON=$(NEWEST_PY) VENV=.venv-$(NEWEST) \
	  START_METHODS=default; fi

# The suite on every CPython >= 3.10 found on this machine, one venv each.
test-pythons:
	@status=0; for py in $$(tools/find_pythons.sh); do \
	  v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  echo "=== CPython $$v ($$py) ==="; \
	  $(MAKE) --no-print-directory test-unit test-notebooks PYTHON=$$py VENV=.venv-$$v || status=1; \
	done; exit $$status

# make soak N=10: the notebook suite N times under each start method, with a
# count of failures per notebook and cell, and of each claim's verdicts.
N ?= 10
soak: $(VENV)/.installed
	$(PY) tools/soak.py --runs $(N) --methods $(shell echo $(START_METHODS) | tr ' ' ,) $(NB)

# make new-chapter NB=book/15_name.ipynb TITLE="..." PART="..."
new-chapter: $(VENV)/.installed
	$(PY) tools/new_chapter.py $(NB) --title "$(TITLE)" --part "$(PART)"

# make execute NB=book/03_create_a_process.ipynb   (default: every notebook)
# It rewrites the notebooks' stored outputs: commit them if they are right.
# The notebooks in NEWEST_NOTEBOOKS show APIs of the newest Python, so their
# stored outputs are made with it (.venv-$(NEWEST)).
NEWEST_NOTEBOOKS := book/13_beyond_the_gil.ipynb
execute: $(VENV)/.installed
	@all="$(filter %.ipynb,$(NB))"; [ -n "$$all" ] || all="$$(ls book/*.ipynb)"; \
	usual=""; newest=""; \
	for nb in $$all; do case " $(NEWEST_NOTEBOOKS) " in \
	  *" $$nb "*) newest="$$newest $$nb" ;; *) usual="$$usual $$nb" ;; esac; done; \
	if [ -n "$$usual" ]; then $(PY) tools/execute.py $$usual || exit 1; fi; \
	if [ -n "$$newest" ]; then \
	  [ -n "$(NEWEST_PY)" ] || { echo "make execute: $$newest needs Python $(NEWEST), not found"; exit 1; }; \
	  $(MAKE) --no-print-directory .venv-$(NEWEST)/.installed PYTHON=$(NEWEST_PY) VENV=.venv-$(NEWEST) \
	  && .venv-$(NEWEST)/bin/python tools/execute.py $$newest; fi

lint: $(VENV)/.installed
	$(PY) -m ruff check mpworkers tests tools book/programs book/*.ipynb
	$(PY) -m mypy

clean:
	rm -rf _build

# make lock: pin every package of the development environment again, for the
# Pythons CI uses (3.11 and NEWEST), from fresh venvs with the newest releases
# that requirements-dev.txt allows. Review the diff, run make test, commit.
LOCK_PYTHONS ?= 3.11 $(NEWEST)
lock:
	@for v in $(LOCK_PYTHONS); do py=$$(tools/find_pythons.sh $$v | head -n 1); \
	  [ -n "$$py" ] || { echo "make lock: Python $$v not found"; exit 1; }; \
	  rm -rf .venv-lock && $(MAKE) --no-print-directory .venv-lock/.installed \
	    PYTHON=$$py VENV=.venv-lock UNPINNED=1 >/dev/null && \
	  { sed -n '1,/^# Other Pythons/p' constraints/$$v.txt 2>/dev/null | grep '^#' \
	      || echo "# Pinned for Python $$v by make lock."; \
	    .venv-lock/bin/python -m pip freeze --exclude-editable \
	      | grep -viE '^(mpworkers|setuptools|wheel)='; } > constraints/$$v.txt.new && \
	  mv constraints/$$v.txt.new constraints/$$v.txt && echo "constraints/$$v.txt: pinned"; \
	done; rm -rf .venv-lock

# make binder-lock: binder/requirements.txt again, from requirements.txt with
# the versions that constraints/$(NEWEST).txt pins (run make lock first).
binder-lock:
	@[ -n "$(NEWEST_PY)" ] || { echo "make binder-lock: Python $(NEWEST) not found"; exit 1; }
	$(MAKE) --no-print-directory .venv-$(NEWEST)/.installed PYTHON=$(NEWEST_PY) VENV=.venv-$(NEWEST)
	@mkdir -p .cache && grep -v '^-e' requirements.txt > .cache/binder-requirements.txt
	.venv-$(NEWEST)/bin/python -m pip install --quiet --dry-run --ignore-installed \
	  -r .cache/binder-requirements.txt -c constraints/$(NEWEST).txt --report .cache/binder.json
	{ sed -n '/^#/p' binder/requirements.txt; \
	  .venv-$(NEWEST)/bin/python tools/pins.py .cache/binder.json; } > binder/requirements.txt.new
	mv binder/requirements.txt.new binder/requirements.txt
