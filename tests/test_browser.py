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


def state_value(page, label):
    """The value beside `label` in the entity page's state sections."""
    row = page.locator("table.tl-state tr", has=page.locator("td.tl-label", has_text=label)).first
    return row.locator("td.tl-value-cell").inner_text().strip()


def shot(page, tmp_path, name):
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_browse_from_home_to_an_entity_and_back_in_time(page, served, tmp_path):
    base = served[0]
    page.goto(base + "/")
    page.get_by_role("link", name="Browse the entity timelines").click()
    page.wait_for_url(base + "/-/timeline")
    page.get_by_role("cell", name="Nova Motors Inc. nova").get_by_role("link").click()
    page.wait_for_url(base + "/-/timeline/nova")
    assert page.locator("h1").inner_text() == "Nova Motors Inc."
    assert state_value(page, "Headquarters") == "Singapore"
    assert state_value(page, "Revenue (quarterly)") == "156,100,000 USD"
    assert page.locator("#event-4 time").inner_text() == "Q2 2025"
    assert page.locator("#event-4 .tl-badge").inner_text().lower() == "superseded"
    assert page.locator("#metrics svg[role=img]").count() == 1
    shot(page, tmp_path, "entity-page")

    # as of a date: the state changes and the form keeps the date
    page.fill("input[name=as_of]", "2025-01-15")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(base + "/-/timeline/nova?as_of=2025-01-15&known_at=")
    assert state_value(page, "Headquarters") == "Shanghai"
    assert state_value(page, "Revenue (quarterly)") == "150,000,000 USD"
    assert page.input_value("input[name=as_of]") == "2025-01-15"

    # known at a date before the correction was published; the permalink carries the dates
    page.fill("input[name=as_of]", "")
    page.fill("input[name=known_at]", "2025-09-30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**known_at=2025-09-30")
    assert state_value(page, "Revenue (quarterly)") == "155,600,000 USD"
    assert "known_at=2025-09-30" in page.get_by_role("link", name="permalink").get_attribute("href")

    # a correction links to what it corrected
    page.get_by_role("link", name="back to now").click()
    page.wait_for_url(base + "/-/timeline/nova")
    assert page.get_by_role("link", name="permalink").get_attribute("href") == "/-/timeline/nova?known_at=2025-10-15"
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


def test_statement_shows_restated_values_and_downloads(page, served, tmp_path):
    base = served[0]
    page.goto(base + "/-/timeline/nova")
    page.get_by_role("navigation", name="Nova Motors Inc.").get_by_role("link", name="Statement").click()
    page.wait_for_url(base + "/-/timeline/nova/statement")
    quarters = page.locator("#quarter table.tl-statement")
    assert quarters.locator("thead th").all_inner_texts()[2:] == ["Q3 2024", "Q4 2024", "Q1 2025", "Q2 2025"]
    restated = quarters.locator("td.tl-restated")
    assert restated.count() == 1
    assert "156.1M USD" in restated.inner_text() and "first reported 155.6M USD" in restated.inner_text()
    assert "reported 2025-10-15" in restated.locator("a").first.get_attribute("title")
    shot(page, tmp_path, "statement")
    csv_text = page.request.get(base + page.get_by_role("link", name="CSV").get_attribute("href")).text()
    assert csv_text.startswith("period_type,section,metric,label,series,unit,Q3 2024")
    restated.locator("a").first.click()
    page.wait_for_url(base + "/timeline/events/12")


def test_visual_timeline_links_events_and_zooms(page, served, tmp_path):
    base = served[0]
    page.goto(base + "/-/timeline/nova")
    visual = page.locator("#visual svg")
    assert visual.locator("a").count() >= 12
    shot(page, tmp_path, "visual")
    page.locator("#visual svg a", has=page.locator("text", has_text="2025")).first.click()
    page.wait_for_url("**from_year=2025&to_year=2025#visual")
    assert page.locator("#visual h2").inner_text().startswith("Timeline 2025")
    page.locator("#visual svg a[href^='/timeline/events/']").first.click()
    page.wait_for_url("**/timeline/events/*")


def test_filter_the_events_by_kind_and_year_without_scripts(browser, served):
    base = served[0]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/-/timeline/nova")
    page.locator(".tl-facet", has_text="Kind").get_by_role("link", name="financial result").click()
    page.wait_for_url("**kind=financial_result#events")
    assert page.locator("#events li.tl-event").count() == 5
    page.locator(".tl-facet", has_text="Year").get_by_role("link", name="2024").click()
    page.wait_for_url("**year=2024#events")
    assert page.locator("#events li.tl-event").count() == 2
    page.get_by_role("link", name="clear filters").click()
    assert page.locator("#events li.tl-event").count() == 13
    context.close()


def test_what_changed_between_two_dates(page, served, tmp_path):
    base = served[0]
    page.goto(base + "/-/timeline/nova")
    page.get_by_role("link", name="What changed").click()
    page.wait_for_url(base + "/-/timeline/nova/changes")
    assert page.input_value("input[name=from]") == "2025-09-08" and page.input_value("input[name=to]") == "2025-10-15"
    assert "155,600,000 USD (reported 2025-09-08, event) → 156,100,000 USD" in page.locator("#restated").inner_text()
    assert page.locator("#corrections li").count() == 1 and page.locator("#retractions li").count() == 1
    shot(page, tmp_path, "changes")
    page.fill("input[name=from]", "2024-01-01")
    page.fill("input[name=to]", "2025-09-08")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**from=2024-01-01&to=2025-09-08")
    assert page.locator("#new-facts li").count() == 11 and page.locator("#corrections").count() == 0


def test_search_from_the_index(page, served, tmp_path):
    base = served[0]
    page.goto(base + "/-/timeline")
    page.fill("#tl-search-box", "quarter")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(base + "/-/timeline/-/search?q=quarter")
    hits = page.locator("ol.tl-hits:not(.tl-title-hits) li")
    assert hits.count() >= 4 and page.locator("#titles li").count() >= 1
    shot(page, tmp_path, "search")


def test_json_and_feeds_are_linked(page, served):
    base = served[0]
    page.goto(base + "/-/timeline/nova")
    nav = page.get_by_role("navigation", name="Nova Motors Inc.")
    data = page.request.get(base + nav.get_by_role("link", name="JSON").get_attribute("href")).json()
    assert data["entity"]["key"] == "nova" and data["events"]["total"] == 13
    feed = page.request.get(base + nav.get_by_role("link", name="Atom feed").get_attribute("href"))
    assert feed.ok and b"<feed" in feed.body()


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
    for path, where in (("/-/timeline/nova", ".tl-summary"), ("/timeline/events/11", "body"),
                        ("/timeline/timeline?_search=escaping", "body"), ("/-/timeline/-/search?q=escaping", ".tl-summary"),
                        ("/-/timeline/nova/changes?from=2025-01-01&to=2025-09-08", "body")):
        page.goto(base + path)
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        assert page.locator(where).filter(has_text=SCRIPT_SUMMARY).first.is_visible(), path
