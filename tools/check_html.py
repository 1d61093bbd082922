"""Fail if the built book loads anything from the network, or its search misses an error.

    python tools/check_html.py _build/html

A reader must be able to open the HTML offline, so no page may load a
script, stylesheet, font, image or frame from an http(s) or protocol-relative
URL. Ordinary links (<a href>) to other sites are fine: they load nothing.

A reader who pastes an error message into the book's search box must land on
the error index: every word of each message that ``book/error_index.md``
lists in its headings (in backquotes) must be in the search index
(``searchindex.js``) for that page, as Sphinx's English search stores it
(stemmed, without stop words).
"""

from __future__ import annotations

import json
import pathlib
import re
import sys
from html.parser import HTMLParser

ERROR_INDEX = pathlib.Path(__file__).resolve().parent.parent / "book" / "error_index.md"
ERROR_PAGE = "book/error_index"
HEADING = re.compile(r"^###[^\n]*$", re.M)
MESSAGE = re.compile(r"`([^`]+)`")

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


def indexed_messages(index: pathlib.Path = ERROR_INDEX) -> list[str]:
    """The messages of the error index: every backquoted part of its level-3 headings."""
    return [message for heading in HEADING.findall(index.read_text(encoding="utf-8"))
            for message in MESSAGE.findall(heading)]


def distinctive_words(message: str) -> list[str]:
    """The words of a message that a search can find: 4 letters or more, no stop word."""
    from sphinx.search.en import english_stopwords

    return [word for word in re.findall(r"\w+", message)
            if len(word) >= 4 and not word.isdigit() and word.lower() not in english_stopwords]


def search_terms(root: pathlib.Path, page: str = ERROR_PAGE) -> set[str]:
    """The words that Sphinx's search index (searchindex.js) holds for one page."""
    text = (root / "searchindex.js").read_text(encoding="utf-8")
    data = json.loads(text[text.index("(") + 1:text.rindex(")")])
    number = data["docnames"].index(page)
    found = set()
    for table in ("terms", "titleterms"):
        for word, pages in data[table].items():
            if number in (pages if isinstance(pages, list) else [pages]):
                found.add(word)
    return found


def unsearchable(root: pathlib.Path, index: pathlib.Path = ERROR_INDEX) -> list[str]:
    """'message: word' for each word of an indexed message that the search would not find."""
    from sphinx.search.en import SearchEnglish

    language = SearchEnglish({})
    terms = search_terms(root)
    missing = []
    for message in indexed_messages(index):
        for word in distinctive_words(message):
            stem = language.stem(word)
            if len(stem) <= 2:  # as Sphinx indexes it: a stem that short is not used
                stem = word.lower()
            if stem not in terms:
                missing.append(f"{message}: {word}")
    return missing


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
    missing = unsearchable(root)
    if missing:
        print("check_html: words of the error index that the search does not find:",
              file=sys.stderr)
        print("\n".join(missing), file=sys.stderr)
        return 1
    print(f"check_html: the search finds every word of the {len(indexed_messages())} "
          "messages of the error index")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
