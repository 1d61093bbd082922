"""Open every page of the built book in Chromium, as a reader does, and check it.

    python tools/check_browser.py [_build/html]

Playwright drives the Chromium of the system (``/usr/bin/chromium``; it never
downloads a browser). Every page is opened twice: from ``file://``, as a
reader opens the book offline, and over HTTP from a server on 127.0.0.1.
On each it checks:

* no console error and no uncaught exception;
* no request that leaves the machine (such requests are also blocked);
* every link inside the book leads to a page that exists, and every
  ``#anchor`` to an element of that page;
* every image has loaded and has alt text;

and once per page (from ``file://``): screenshots at desktop and phone
widths in ``_build/screenshots/``, and no accessibility violation of any
impact found by axe-core (WCAG 2.0/2.1 A and AA, and best practices).
On chapter pages: exercise solutions start collapsed and open on a click,
the Binder button opens this page's notebook in the repository of
``_config.yml``, and the download button gives the notebook.
Once for the book: search finds a chapter by a word from it, and the
controls of a chapter's header are reached with Tab and show their focus.

A failure names the page, the check and what was found; the exit status is
then 1. Without Chromium, Playwright or axe-core it prints SKIP and why, and
exits 0 (``--require`` makes that an error).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import http.server
import json
import pathlib
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error, ViewportSize

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mpworkers.lab.machine import usable_cores  # noqa: E402

AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = pathlib.Path("/usr/bin/chromium")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
SEARCH_WORD = "forkserver"
CHAPTER_FOR_KEYBOARD = "01_what_is_multiprocessing.html"
ID = re.compile(r'\sid="([^"]+)"')


class Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, page: str, check: str, what: str) -> None:
        self.found.append(f"{page}: {check}: {what}")


@functools.cache
def ids_of(path: pathlib.Path) -> frozenset[str]:
    return frozenset(ID.findall(path.read_text(encoding="utf-8", errors="replace")))


def serve(root: pathlib.Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def copyfile(self, source: Any, outputfile: Any) -> None:
            try:
                super().copyfile(source, outputfile)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the page moved on before a file had arrived

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def local_path(url: str, root: pathlib.Path, base: str) -> pathlib.Path | None:
    """The file of the book that a URL of the book points to, or None if it is not in the book."""
    parts = urllib.parse.urlsplit(url)
    if url.startswith("file://"):
        path = pathlib.Path(urllib.parse.unquote(parts.path))
    elif url.startswith(base):
        path = root / urllib.parse.unquote(parts.path).lstrip("/")
    else:
        return None
    if path.is_dir():
        path = path / "index.html"
    return path


def repository() -> tuple[str, str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    binder = config["launch_buttons"]["binderhub_url"].rstrip("/")
    return binder, urllib.parse.urlsplit(url).path.strip("/"), config["repository"]["branch"]


# Highlighted code is thousands of <span>s per page, one per token, and
# axe's colour-contrast rule spends most of its time on them although a
# token's colours depend only on its classes and where it sits. So one span
# of each kind stays and the others become plain text of their parent
# (whose colours are then checked too), and axe runs on that page: every
# combination of colours on the page is still checked, in half the time.
SAMPLE_TOKENS = """() => {
    const seen = new Set();
    for (const span of document.querySelectorAll('.highlight span')) {
        const kind = [span.className, span.getAttribute('style'),
                      span.closest('.highlight').className,
                      span.closest('.cell_output') !== null].join('|');
        if (seen.has(kind)) span.replaceWith(...span.childNodes); else seen.add(kind);
    }
}"""

# Only the violations come back, and only what the report shows: axe's full
# result (every rule that passed, with every node) is megabytes per page.
RUN_AXE = """tags => axe.run(document, {preload: false, resultTypes: ['violations'],
                                runOnly: {type: 'tag', values: tags}})
    .then(r => r.violations.map(v => ({id: v.id, impact: v.impact,
        targets: v.nodes.slice(0, 3).map(n => n.target.join(', '))})))"""


def accessibility(page: Any, axe: str) -> list[str]:
    """Every violation axe-core finds on the page, of any impact, as text.

    It changes the page (see SAMPLE_TOKENS): run it last.
    """
    # the page's own scripts first: its fonts loaded, and two frames drawn, so
    # that what runs on load or on a resize (marking scrolling blocks) has run
    page.evaluate("() => document.fonts.ready.then(() => new Promise("
                  "r => requestAnimationFrame(() => requestAnimationFrame(r))))")
    page.evaluate(SAMPLE_TOKENS)
    page.add_script_tag(content=axe)
    return [f"{v['id']} ({v['impact']}) at {v['targets']}"
            for v in page.evaluate(RUN_AXE, AXE_TAGS)]


def check_page(page: Any, url: str, name: str, root: pathlib.Path, base: str,
               problems: Problems, errors: list[str], requests: list[str]) -> None:
    from playwright.sync_api import Error as PlaywrightError

    errors.clear()
    requests.clear()
    for attempt in (1, 2):
        page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)  # let deferred scripts report their errors
        try:
            images = page.evaluate(
                "() => [...document.images].map(i => [i.src, i.complete && i.naturalWidth > 0,"
                " i.alt])")
            break
        except PlaywrightError as failure:
            # once, on a loaded CI machine, a navigation this check did not start
            # destroyed the page while it was read: load the page again, once
            if attempt == 2 or "Execution context was destroyed" not in str(failure):
                raise
            errors.clear()
            requests.clear()
    for error in errors:
        problems.add(name, "console error", error)
    for request in requests:
        problems.add(name, "request leaving the machine", request)
    for src, loaded, alt in images:
        if not loaded:
            problems.add(name, "image not loaded", src)
        if not alt.strip():
            problems.add(name, "image without alt text", src)
    for href in set(page.evaluate("() => [...document.querySelectorAll('a[href]')]"
                                  ".map(a => a.href)")):
        target = local_path(href, root, base)
        if target is None:
            continue  # another site: a link loads nothing until followed
        if not target.exists():
            problems.add(name, "broken link", href)
            continue
        fragment = urllib.parse.urlsplit(href).fragment
        if fragment and target.suffix == ".html" and (
            urllib.parse.unquote(fragment) not in ids_of(target)
        ):
            problems.add(name, "broken anchor", href)


def check_chapter(page: Any, name: str, root: pathlib.Path, problems: Problems) -> None:
    stem = pathlib.Path(name).stem
    binder, repo, branch = repository()
    expected = f"{binder}/v2/gh/{repo}/{branch}?urlpath=lab/tree/book/{stem}.ipynb"
    launch = page.evaluate("() => [...document.querySelectorAll('a')].map(a => a.href)"
                           ".filter(h => h.includes('/v2/gh/'))")
    if launch != [expected]:
        problems.add(name, "Binder button", f"expected {expected}, found {launch}")
    download = page.evaluate(
        "() => [...document.querySelectorAll('a.btn-download-source-button')].map(a => a.href)")
    targets = [local_path(h, root, "") for h in download]
    if len(targets) != 1 or targets[0] is None or targets[0].name != f"{stem}.ipynb":
        problems.add(name, "download button", f"expected {stem}.ipynb, found {download}")
    else:
        try:
            cells = json.loads(targets[0].read_text(encoding="utf-8"))["cells"]
            assert cells
        except (OSError, ValueError, KeyError, AssertionError):
            problems.add(name, "download button", f"{targets[0]} is not a notebook")
    solutions = page.locator(".solution.dropdown")
    if solutions.count() == 0:
        problems.add(name, "solutions", "no exercise solution on a chapter page")
        return
    first = solutions.first
    if first.locator(".toggle-details, p:not(.admonition-title)").first.is_visible():
        problems.add(name, "solutions", "a solution is open before it is clicked")
    first.locator(":scope > .admonition-title").click()  # not a collapsed cell's inside
    try:
        page.wait_for_function("e => !e.classList.contains('toggle-hidden')",
                               arg=first.element_handle(), timeout=5_000)
    except Exception:  # noqa: BLE001 - a Playwright timeout: still closed
        problems.add(name, "solutions", "a click does not open the solution")


def check_search(page: Any, url: str, problems: Problems) -> None:
    page.goto(f"{url}?q={SEARCH_WORD}")
    try:
        page.wait_for_selector("#search-results li", timeout=10_000)
    except Exception:  # noqa: BLE001 - a Playwright timeout: no results
        problems.add("search.html", "search", f"no result for {SEARCH_WORD!r}")
        return
    results = page.evaluate(
        "() => [...document.querySelectorAll('#search-results li a')].map(a => a.href)")
    if not any(re.search(r"/book/\d\d_", href) for href in results):
        problems.add("search.html", "search", f"{SEARCH_WORD!r} found no chapter: {results}")


def check_keyboard(page: Any, url: str, name: str, problems: Problems) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    wanted = page.evaluate(
        "() => [...document.querySelectorAll('.article-header-buttons button')]"
        ".filter(b => b.offsetParent !== null).map(b => b.outerHTML.slice(0, 80))")
    reached: set[str] = set()
    unfocused: list[str] = []
    for _ in range(120):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const e = document.activeElement;
            if (!e || e === document.body) return null;
            const s = getComputedStyle(e);
            const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                || s.boxShadow !== 'none';
            return [e.outerHTML.slice(0, 80), visible];
        }""")
        if info is None:
            continue
        html, visible = info
        reached.add(html)
        if not visible:
            unfocused.append(html)
        if set(wanted) <= reached:
            break
    missing = [w for w in wanted if w not in reached]
    if missing:
        problems.add(name, "keyboard", f"not reached with Tab: {missing}")
    if unfocused:
        problems.add(name, "keyboard", f"focus not visible on: {sorted(set(unfocused))[:5]}")


def share_out(pages: list[pathlib.Path], browsers: int,
              size: Callable[[pathlib.Path], int]) -> list[list[pathlib.Path]]:
    """Deal the pages to ``browsers`` shares, biggest first, so that the
    shares take about as long; each share in name order, none empty."""
    if browsers < 1:
        raise ValueError(f"browsers must be at least 1, got {browsers}")
    by_size = sorted(pages, key=size, reverse=True)
    return [sorted(by_size[i::browsers]) for i in range(min(browsers, len(pages)))]


def check_share(pages: list[pathlib.Path], *, root: pathlib.Path, base: str, axe: str,
                shots: pathlib.Path, chromium: str, problems: Problems,
                book_wide: bool) -> None:
    """Check some pages in a browser of this thread's own; with ``book_wide``,
    search and the keyboard too."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for mode in ("file", "http"):
            context = browser.new_context(viewport=DESKTOP)
            errors: list[str] = []
            requests: list[str] = []

            def route(r: Any, requests: list[str] = requests) -> None:
                url = r.request.url
                if url.startswith(("file://", "data:", "blob:", base)):
                    r.continue_()
                else:
                    requests.append(url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()

            def on_console(message: ConsoleMessage, errors: list[str] = errors) -> None:
                if message.type == "error":
                    errors.append(message.text)

            def on_pageerror(exc: Error, errors: list[str] = errors) -> None:
                errors.append(f"uncaught: {exc}")

            page.on("console", on_console)
            page.on("pageerror", on_pageerror)
            for path in pages:
                name = str(path.relative_to(root))
                url = path.as_uri() if mode == "file" else base + name
                check_page(page, url, f"{name} ({mode})", root, base, problems,
                           errors, requests)
                if mode != "file":
                    continue
                for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    page.set_viewport_size(viewport)
                    target = shots / size / f"{name.replace('/', '_')}.png"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(target))
                page.set_viewport_size(DESKTOP)
                if re.fullmatch(r"book/\d\d_\w+\.html", name):
                    check_chapter(page, name, root, problems)
                for violation in accessibility(page, axe):
                    problems.add(name, "accessibility", violation)
            if mode == "file" and book_wide:
                check_search(page, (root / "search.html").as_uri(), problems)
                chapter = root / "book" / CHAPTER_FOR_KEYBOARD
                check_keyboard(page, chapter.as_uri(), str(chapter.relative_to(root)),
                               problems)
            context.close()
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--screenshots", default=str(ROOT / "_build" / "screenshots"))
    parser.add_argument("--axe", default=str(AXE))
    parser.add_argument("--chromium", default=str(CHROMIUM))
    parser.add_argument("--require", action="store_true",
                        help="fail, instead of SKIP, without Chromium, Playwright or axe-core")
    args = parser.parse_args(argv)
    root = pathlib.Path(args.html).resolve()
    skip = 1 if args.require else 0
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        print("SKIP: Playwright for Python is not installed (pip install playwright)")
        return skip
    for what, path in (("Chromium", args.chromium), ("axe-core", args.axe)):
        if not pathlib.Path(path).exists():
            print(f"SKIP: {what} not found at {path}")
            return skip
    pages = sorted(p for p in root.rglob("*.html")
                   if not p.relative_to(root).parts[0].startswith("_"))
    if not pages:
        print(f"check_browser: no pages under {root}", file=sys.stderr)
        return 1
    axe = pathlib.Path(args.axe).read_text(encoding="utf-8")
    shots = pathlib.Path(args.screenshots)
    problems = Problems()
    start = time.perf_counter()
    server, base = serve(root)
    # A page costs Chromium's CPU time, not waiting: one browser per usable
    # CPU, at most 4.
    browsers = max(1, min(4, usable_cores(), len(pages)))
    shares = share_out(pages, browsers, size=lambda p: p.stat().st_size)
    task = functools.partial(check_share, root=root, base=base, axe=axe, shots=shots,
                             chromium=args.chromium, problems=problems)
    try:
        with concurrent.futures.ThreadPoolExecutor(browsers) as pool:
            futures = [pool.submit(task, share, book_wide=i == 0)
                       for i, share in enumerate(shares)]
            for future in futures:
                future.result()
    finally:
        server.shutdown()
    elapsed = time.perf_counter() - start
    if problems.found:
        print(f"check_browser: {len(problems.found)} problem(s) on {len(pages)} pages:",
              file=sys.stderr)
        print("\n".join(problems.found), file=sys.stderr)
        return 1
    print(f"check_browser: {len(pages)} pages, each from file:// and http://127.0.0.1, "
          f"in {elapsed:.0f} s with {browsers} browser(s): no console error, no request "
          f"leaving the machine, no broken "
          f"link or anchor or image, no accessibility violation; screenshots in {shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
