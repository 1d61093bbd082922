"""Print ``name==version`` lines, sorted, from a ``pip install --report`` file.

``make binder-lock`` resolves requirements.txt with ``pip install --dry-run
--report`` and pins what pip would install with this.
"""

from __future__ import annotations

import json
import sys


def pins(report: dict[str, object]) -> list[str]:
    """The ``name==version`` lines of what a pip report would install, sorted by name."""
    installs = report.get("install", [])
    assert isinstance(installs, list)
    found = [(i["metadata"]["name"], i["metadata"]["version"]) for i in installs]
    return [f"{name}=={version}" for name, version in sorted(found, key=lambda p: p[0].lower())]


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        print("\n".join(pins(json.load(f))))
