"""Fail if the built book loads anything from the network.

    python tools/check_html.py _build/html

A reader must be able to open the HTML offline, so no page may load a
script, stylesheet, font, image or frame from an http(s) or protocol-relative
URL. Ordinary links (<a href>) to other sites are fine: they load nothing.
"""

from __future__ import annotations

import pathlib
import sys
from html.parser import HTMLParser

LOADING = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}


class ExternalLoads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = LOADING.get(tag)
        if attr is None:
            return
        values = dict(attrs)
        loads = ("stylesheet", "preload", "icon", "modulepreload")
        if tag == "link" and values.get("rel") not in loads:
            return
        url = values.get(attr) or ""
        if url.startswith(("http://", "https://", "//")):
            self.found.append(f"<{tag} {attr}={url!r}>")


def main(argv: list[str]) -> int:
    root = pathlib.Path(argv[1] if len(argv) > 1 else "_build/html")
    pages = sorted(root.rglob("*.html"))
    if not pages:
        print(f"check_html: no HTML pages under {root}", file=sys.stderr)
        return 1
    problems = []
    for page in pages:
        parser = ExternalLoads()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        problems += [f"{page.relative_to(root)}: loads {item}" for item in parser.found]
    if problems:
        print("check_html: pages that need the network:", file=sys.stderr)
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"check_html: {len(pages)} pages, none loads anything from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
