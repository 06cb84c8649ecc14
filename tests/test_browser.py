"""The site in a real headless Chromium, against `timeline serve` run as a user runs it.

Debian's chromium (/usr/bin/chromium) drives the pages through Playwright; no
browser is ever downloaded.  Every request the pages make must stay on the
local server: the site works offline.  Screenshots go to the test's own
temporary folder: `make test` leaves the work tree as it found it.
"""
from pathlib import Path

import pytest
from click.testing import CliRunner

from timeline.cli import cli as timeline_cli

from .serving import timeline_serve
from .test_publish import SCRIPT_SUMMARY, build_log

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip("Debian chromium is not installed (/usr/bin/chromium; apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`timeline serve` on a free port over the synthetic log; yields (base URL, log, published file)."""
    directory = tmp_path_factory.mktemp("browser")
    db = build_log(directory)
    out = directory / "site" / "timeline.db"
    with timeline_serve(db, directory, out) as (base, printed):
        assert "published 13 events" in printed and f"{base}/-/timeline" in printed, printed
        yield base, db, out


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    """A fresh page that records every request leaving the local server."""
    base = served[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.elsewhere = []

    def only_local(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            page.elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    yield page
    context.close()
    assert page.elsewhere == [], f"the page tried to load from elsewhere: {page.elsewhere}"


def state_value(page, key):
    return page.locator("table.tl-state tr", has=page.locator("td", has_text=key)).locator("td").nth(1).inner_text()


def test_browse_from_home_to_an_entity_and_back_in_time(page, served, tmp_path):
    base = served[0]
    page.goto(base + "/")
    page.get_by_role("link", name="Browse the entity timelines").click()
    page.wait_for_url(base + "/-/timeline")
    page.get_by_role("link", name="Nova Motors Inc.").click()
    page.wait_for_url(base + "/-/timeline/nova")
    assert page.locator("h1").inner_text() == "Nova Motors Inc."
    assert state_value(page, "headquarters") == "Singapore"
    assert state_value(page, "revenue/quarter") == "156,100,000 USD"
    assert page.locator("#event-4 time").inner_text() == "Q2 2025"
    assert page.locator("#event-4 .tl-badge").inner_text().lower() == "superseded"
    assert page.locator("svg[role=img]").count() >= 1

    screenshot = tmp_path / "entity-page.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes().startswith(b"\x89PNG")

    # as of a date: the state changes and the form keeps the date
    page.fill("input[name=as_of]", "2025-01-15")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(base + "/-/timeline/nova?as_of=2025-01-15&known_at=")
    assert state_value(page, "headquarters") == "Shanghai"
    assert state_value(page, "revenue/quarter") == "150,000,000 USD"
    assert page.input_value("input[name=as_of]") == "2025-01-15"

    # known at a date before the correction was published
    page.fill("input[name=as_of]", "")
    page.fill("input[name=known_at]", "2025-09-30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**known_at=2025-09-30")
    assert state_value(page, "revenue/quarter") == "155,600,000 USD"

    # a correction links to what it corrected
    page.get_by_role("link", name="back to now").click()
    page.locator("#event-12 .tl-change a").first.click()
    page.wait_for_url(base + "/-/timeline/nova#event-4")


def test_follow_a_source_link(page, served):
    base = served[0]
    page.goto(base + "/-/timeline/nova")
    event = page.locator("#event-12")
    assert event.locator("a.tl-source").get_attribute("href") == "https://example.com/nova-10q-2025-q2"
    event.get_by_role("link", name="source record").click()
    page.wait_for_url(base + "/timeline/sources/2")
    assert "Nova 10-Q for the second quarter of 2025" in page.locator("body").inner_text()


def test_run_a_canned_query_with_a_parameter(page, served):
    base = served[0]
    page.goto(base + "/-/timeline")
    page.get_by_role("link", name="State as of a date").click()
    page.wait_for_url(base + "/timeline/state_as_of")
    page.fill("input[name=entity]", "Nova Motors")
    page.fill("input[name=as_of]", "2025-01-15")
    page.locator("form.sql input[type=submit], form.sql button[type=submit]").first.click()
    page.wait_for_url("**as_of=2025-01-15**")
    table = page.locator("table.rows-and-columns").inner_text()
    assert "Shanghai" in table and "Singapore" not in table


def test_download_the_database_and_verify_it(page, served, tmp_path):
    base = served[0]
    page.goto(base + "/-/timeline")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download timeline.db").click()
    saved = tmp_path / "downloaded.db"
    download.value.save_as(saved)
    result = CliRunner().invoke(timeline_cli, ["verify", str(saved)])
    assert result.exit_code == 0 and result.output.startswith("ok: 13 events"), result.output
    assert saved.read_bytes() == served[2].read_bytes()


def test_a_script_in_a_summary_runs_nowhere(page, served):
    base = served[0]
    for path in ("/-/timeline/nova", "/timeline/events/11", "/timeline/timeline?_search=escaping"):
        page.goto(base + path)
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        assert page.get_by_text(SCRIPT_SUMMARY, exact=False).first.is_visible(), path
