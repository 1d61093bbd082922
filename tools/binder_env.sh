#!/usr/bin/env bash
# Build the Binder environment the way repo2docker builds it, without Docker,
# then run a command that may start kernels of it.
#
#   tools/binder_env.sh [--venv DIR] -- COMMAND [ARG ...]
#
# 1. The Python that binder/runtime.txt names (python-3.14), found by
#    tools/find_pythons.sh. Without it: prints SKIP and why, exits 0.
# 2. A fresh venv in DIR (default .venv-binder), with pip bootstrapped as the
#    Makefile's venv rule does where the Python has no ensurepip (Debian's).
# 3. binder/requirements.txt installed, and nothing else; pip check.
# 4. binder/postBuild run from the repository root with the venv first on
#    PATH, as repo2docker runs it.
# 5. mpworkers must import from this checkout, installed editable, with no
#    PYTHONPATH and from outside the checkout.
# 6. A kernelspec "binder" for the venv's Python, in DIR/share/jupyter; the
#    command runs with JUPYTER_PATH pointing there and PYTHONPATH unset, so
#    that `pytest --nbval-kernel-name binder` runs the notebooks in kernels of
#    exactly what Binder installs (pytest and nbval stay outside it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv=.venv-binder
if [ "${1:-}" = --venv ]; then venv=$2; shift 2; fi
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "usage: tools/binder_env.sh [--venv DIR] -- COMMAND [ARG ...]" >&2; exit 2; }

runtime=$(tr -d '[:space:]' < binder/runtime.txt)
version=${runtime#python-}
py=$(tools/find_pythons.sh "$version" | head -n 1)
if [ -z "$py" ]; then
  echo "SKIP: the Binder environment needs Python $version (binder/runtime.txt), not found (tools/find_pythons.sh)"
  exit 0
fi

start=$(date +%s)
echo "=== Binder environment: $runtime ($py) in $venv, fresh ==="
rm -rf "$venv"
"$py" -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv" && \
  "$py" -m venv --without-pip "$venv" && \
  python3 -m pip download --quiet --no-deps --dest "$venv/pip-wheel" pip && \
  "$venv/bin/python" "$(ls "$venv"/pip-wheel/pip-*.whl)/pip" install --quiet "$venv"/pip-wheel/pip-*.whl; }
"$venv/bin/python" -m pip install --quiet -r binder/requirements.txt
(export PATH="$root/$venv/bin:$PATH"; unset PYTHONPATH; binder/postBuild >"$venv/postBuild.log" 2>&1) \
  || { cat "$venv/postBuild.log"; echo "binder/postBuild failed"; exit 1; }
"$venv/bin/python" -m pip check
# From / and without PYTHONPATH: only the installed package can be found.
(cd / && env -u PYTHONPATH "$root/$venv/bin/python" - "$root" <<'EOF'
import importlib.metadata, json, pathlib, sys
import mpworkers, mpworkers.lab
root = pathlib.Path(sys.argv[1])
where = pathlib.Path(mpworkers.__file__).resolve()
assert where.is_relative_to(root / "mpworkers"), f"mpworkers imports from {where}, not {root}"
url = json.loads(importlib.metadata.distribution("mpworkers").read_text("direct_url.json") or "{}")
assert url.get("dir_info", {}).get("editable"), f"mpworkers is not installed editable: {url}"
print(f"mpworkers {importlib.metadata.version('mpworkers')}: editable, from {where.parent}")
EOF
)
"$venv/bin/python" -m ipykernel install --prefix "$venv" --name binder \
  --display-name "Binder ($runtime)" >/dev/null
echo "=== Binder environment ready in $(( $(date +%s) - start )) s; running: $* ==="
export JUPYTER_PATH="$root/$venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
unset PYTHONPATH
exec "$@"
