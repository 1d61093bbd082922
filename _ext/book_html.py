"""Sphinx extension: the fixes this book's HTML needs, applied after each build.

The theme (sphinx-book-theme on pydata-sphinx-theme) and jupyter-book's
defaults produce a few things that a reader's browser complains about; the
browser test (``tools/check_browser.py``) fails on each of them, and this
extension removes them:

* sphinx-thebe's configuration script is included twice on every page, so
  the second copy throws ``Identifier 'THEBE_JS_URL' has already been
  declared``. The book does not use Thebe (live code runs on Binder), and
  its script would load from the network, so its scripts and stylesheet go.
* The search buttons have ``aria-label="Search"`` while they show "Search
  Ctrl+K", and the colour-mode button's icons carry titles ("Light",
  "Dark", "System Settings") that its label "Color mode" does not contain
  (axe-core: label-content-name-mismatch, serious). The search buttons take
  their name from what they show; the icons become decorative.
* The primary sidebar (the book's title and table of contents) is in no
  landmark (axe-core: region): it gets the role of a labelled
  ``complementary`` landmark.

Each fix is a plain text replacement of what the theme writes; a theme
upgrade that changes it makes the browser test fail, not this extension.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

from sphinx.application import Sphinx

THEBE = [
    re.compile(r'\s*<script>const THEBE_JS_URL = [^<]*</script>'),
    re.compile(r'\s*<script async="async" src="[^"]*sphinx-thebe\.js[^"]*"></script>'),
    re.compile(r'\s*<link rel="stylesheet" type="text/css" href="[^"]*sphinx-thebe\.css[^"]*" />'),
]
SEARCH_FIELD = re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"')
MODE_ICON = re.compile(r'(<i class="theme-switch [^"]*" data-mode="\w+")\s+title="[^"]*"')
SIDEBAR = re.compile(r'(<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar")>')


def fix(html: str) -> str:
    for pattern in THEBE:
        html = pattern.sub("", html)
    html = SEARCH_FIELD.sub(r"\1", html)
    html = MODE_ICON.sub(r'\1 aria-hidden="true"', html)
    html = SIDEBAR.sub(r'\1 role="complementary" aria-label="Book contents">', html, count=1)
    return html


def patch_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in pathlib.Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = fix(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", patch_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
