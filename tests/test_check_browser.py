"""Unit tests for the pure parts of tools/check_browser.py (the browser test
itself runs in ``make test-browser``)."""

from __future__ import annotations

import pathlib
from types import ModuleType

import pytest

from tests.tool_modules import load_tool


@pytest.fixture(scope="module")
def check_browser() -> ModuleType:
    return load_tool("check_browser")


def test_share_out_deals_biggest_first_and_keeps_every_page(check_browser: ModuleType) -> None:
    sizes = {pathlib.Path(f"p{i}.html"): size for i, size in enumerate([5, 90, 10, 80, 1])}
    shares = check_browser.share_out(list(sizes), 2, size=sizes.__getitem__)
    assert sorted(p for share in shares for p in share) == sorted(sizes)
    # by size: p1 p3 p2 p0 p4, dealt in turn
    assert shares == [[pathlib.Path("p1.html"), pathlib.Path("p2.html"),
                       pathlib.Path("p4.html")],
                      [pathlib.Path("p0.html"), pathlib.Path("p3.html")]]


def test_share_out_never_makes_an_empty_share(check_browser: ModuleType) -> None:
    pages = [pathlib.Path("a.html"), pathlib.Path("b.html")]
    assert len(check_browser.share_out(pages, 4, size=lambda p: 1)) == 2
    with pytest.raises(ValueError, match="at least 1"):
        check_browser.share_out(pages, 0, size=lambda p: 1)


def test_local_path_maps_book_urls_only(check_browser: ModuleType,
                                        tmp_path: pathlib.Path) -> None:
    (tmp_path / "book").mkdir()
    base = "http://127.0.0.1:8000/"
    local = check_browser.local_path
    assert local(base + "book/x.html#top", tmp_path, base) == tmp_path / "book" / "x.html"
    assert local(base + "book/", tmp_path, base) == tmp_path / "book" / "index.html"
    page = tmp_path / "book" / "a b.html"
    assert local(page.as_uri(), tmp_path, base) == page
    assert local("https://docs.python.org/3/", tmp_path, base) is None
