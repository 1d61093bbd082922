#!/usr/bin/env sh
# Print one interpreter path per CPython version >= 3.10 found on this machine:
# python3.N on PATH, pyenv's versions, and CPythons unpacked into
# ~/.cache/newer-python/3.N (where CI's set-up puts the newest ones).
#   tools/find_pythons.sh          every version
#   tools/find_pythons.sh 3.14     that version only (nothing if not found)
set -u
only=${1:-}
seen=""
candidates=""
for n in 10 11 12 13 14 15; do
  p=$(command -v "python3.$n" 2>/dev/null) && candidates="$candidates $p"
done
if command -v pyenv >/dev/null 2>&1; then
  for d in "$(pyenv root)"/versions/3.*; do
    [ -x "$d/bin/python3" ] && candidates="$candidates $d/bin/python3"
  done
fi
for p in "${NEWER_PYTHON_HOME:-$HOME/.cache/newer-python}"/3.*/usr/bin/python3.*; do
  case "$p" in *-config) continue ;; esac
  [ -x "$p" ] && candidates="$candidates $p"
done
for p in $candidates; do
  v=$("$p" -c 'import sys, platform
ok = sys.version_info >= (3, 10) and platform.python_implementation() == "CPython"
print("%d.%d" % sys.version_info[:2] if ok else "")' 2>/dev/null) || continue
  [ -n "$v" ] || continue
  [ -z "$only" ] || [ "$v" = "$only" ] || continue
  case " $seen " in *" $v "*) continue ;; esac
  seen="$seen $v"
  echo "$p"
done
