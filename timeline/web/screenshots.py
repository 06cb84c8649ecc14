"""Screenshots of the site for the README, from the real corpus: `python -m timeline.web.screenshots`.

Builds a fresh log from events/ in a temporary folder, publishes it, serves it
in this process on a free port of 127.0.0.1, and photographs the ECARX pages
with Debian's Chromium through Playwright (nothing is downloaded; every request
outside the local server is refused).  Writes PNGs to docs/screenshots/ (or
--out).  `make screenshots` runs it; the test suite never does.
"""
import argparse
import asyncio
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from .server import PROJECT_ROOT, datasette_for, default_metadata_path

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}

# (file, path, what to photograph: None for the window, a CSS selector for one element)
SHOTS = [
    ("index.png", "/-/timeline", None),
    ("entity-page.png", "/-/timeline/{entity}", None),
    ("entity-state.png", "/-/timeline/{entity}", "#state"),
    ("entity-charts.png", "/-/timeline/{entity}", "#metrics"),
    ("entity-timeline.png", "/-/timeline/{entity}", "#visual"),
    ("entity-events.png", "/-/timeline/{entity}?kind=financial_result&kind=operating_metric", "#events"),
    ("statement.png", "/-/timeline/{entity}/statement", None),
    ("changes.png", "/-/timeline/{entity}/changes", None),
    ("search.png", "/-/timeline/-/search?q=Lotus", None),
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_site(events, directory):
    """The corpus imported into a new log and published; returns the published file."""
    from .. import Timeline

    timeline = Timeline.init(str(directory / "timeline-live.db"))
    report = timeline.import_paths([str(events)])
    print(report.summary(), file=sys.stderr)
    out = directory / "site" / "timeline.db"
    out.parent.mkdir()
    timeline.publish(str(out))
    return out


class Server:
    """Datasette on the published file, served by uvicorn in a thread of this process."""

    def __init__(self, path):
        import uvicorn

        datasette = datasette_for(path, default_metadata_path())
        asyncio.run(datasette.invoke_startup())
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(datasette.app(), host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 30 seconds")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


def photograph(base, out, entity, chromium):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("playwright is not installed: pip install -e '.[test]' (make does)") from None
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        for name, path, selector in SHOTS:
            page.goto(base + path.format(entity=entity))
            target = out / name
            if selector is None:
                page.screenshot(path=str(target))
            else:
                element = page.locator(selector)
                box = element.bounding_box()
                clip = {"x": 0, "y": box["y"] - 8, "width": VIEWPORT["width"], "height": min(box["height"] + 16, 1400)}
                page.screenshot(path=str(target), clip=clip, full_page=True)
            print(f"wrote {target}", file=sys.stderr)
        browser.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, default=PROJECT_ROOT / "events", help="the corpus (default: events/)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "screenshots",
                        help="where to write the PNGs (default: docs/screenshots/)")
    parser.add_argument("--entity", default="ecarx", help="the entity photographed (default: ecarx)")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"), help="the Chromium to drive")
    args = parser.parse_args(argv)
    if not args.chromium.exists():
        raise SystemExit(f"no Chromium at {args.chromium} (apt-get install chromium, or --chromium PATH)")
    with tempfile.TemporaryDirectory() as directory:
        published = build_site(args.events, Path(directory))
        with Server(published) as server:
            photograph(server.base, args.out, args.entity, args.chromium)


if __name__ == "__main__":
    main()
