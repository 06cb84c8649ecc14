"""The published site through Datasette's own test client: plugin pages, canned
queries, the Atom feed, the download, and escaping of whatever the log holds.

The Datasette is built by timeline.web.server.datasette_for, exactly as
`timeline serve` builds it (immutable file, metadata.yml, the plugin).
"""
import asyncio
import csv
import datetime as dt
import io
import re
import sqlite3
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from timeline import queries
from timeline.cli import cli as timeline_cli
from timeline.web import charts, pages, server
from timeline.web.pages import safe_url

from .test_publish import CORRECTED, RETRACTED, SCRIPT_SUMMARY, build_log, publish_log

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
CANNED = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["timeline"]["queries"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("web")
    db = build_log(directory)
    out = publish_log(db, directory / "timeline.db")
    return server.datasette_for(out, METADATA), out


@pytest.fixture(scope="module")
def ds(site):
    return site[0]


def get(ds, path, **kwargs):
    async def fetch():
        return await ds.client.get(path, **kwargs)
    return asyncio.run(fetch())


def html(ds, path, status=200):
    response = get(ds, path)
    assert response.status_code == status, f"{path}: {response.status_code}\n{response.text[:2000]}"
    return response.text


def rows(ds, path):
    separator = "&" if "?" in path else "?"
    response = get(ds, f"{path}{separator}_shape=array")
    assert response.status_code == 200, f"{path}: {response.text[:2000]}"
    return response.json()


def text_of(page):
    """The page's text with tags removed and entities left as they are."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


# ---- the plugin's pages ----

def test_home_page_links_to_the_entity_index(ds):
    page = html(ds, "/")
    assert 'href="/-/timeline"' in page
    assert "Timeline of corporate facts" in page
    assert "CC BY 4.0" in page


def test_entity_index_lists_entities_and_the_publication(ds, site):
    page = html(ds, "/-/timeline")
    for key, name in (("nova", "Nova Motors Inc."), ("orbit", "Orbit Capital"), ("nova-cockpit", "Nova cockpit platform")):
        assert f'<a href="/-/timeline/{key}">{name}</a>' in page
    head = sqlite3.connect(site[1]).execute("SELECT head_hash FROM publication").fetchone()[0]
    assert head in page
    assert 'href="/timeline.db"' in page
    assert 'href="/-/timeline.atom"' in page and 'href="/-/timeline.json"' in page
    for name in CANNED:
        assert f'href="/timeline/{name}"' in page
    assert 'action="/-/timeline/-/search"' in page  # the search box
    nova = page.split('<code>nova</code>', 1)[1].split("</tr>", 1)[0]
    assert ">2024–2025</span>" in nova  # the years its facts span


def test_the_entity_index_is_computed_once_per_version_of_the_file(ds, site):
    """The index counts the whole log, so it is kept per version of the served file: every answer
    is the first one, which is what pages.entity_index reads from the file."""
    first, page = get(ds, "/-/timeline.json").json(), html(ds, "/-/timeline")
    assert get(ds, "/-/timeline.json").json() == first and html(ds, "/-/timeline") == page
    with sa.create_engine(f"sqlite:///{site[1]}").connect() as conn:
        expected = pages.entity_index(conn)
    assert [{k: v for k, v in e.items() if k != "url"} for e in first["entities"]] == expected["entities"]
    assert first["totals"] == expected["totals"]


def section(page, key):
    """The HTML of one state section of an entity page."""
    return page.split(f'id="state-{key}"', 1)[1].split("</section>", 1)[0]


def test_entity_page_shows_state_charts_relationships_and_timeline(ds):
    page = html(ds, "/-/timeline/nova")
    assert "<h1>Nova Motors Inc.</h1>" in page
    assert "诺瓦汽车" in page and 'href="/-/timeline/nova-cockpit"' in page  # aliases, children
    # state now, in sections with the vocabulary's labels: the correction stands, headquarters moved
    financials = text_of(section(page, "financials"))
    assert "Revenue (quarterly)" in financials and "156,100,000 USD" in financials and "revenue/quarter" not in financials
    assert "Singapore" in text_of(section(page, "facilities")) and "Headquarters" in text_of(section(page, "facilities"))
    assert "Shipments (quarterly)" in text_of(section(page, "operations"))
    # dates at their precision
    for label in ("Q3 2024", "Q4 2024", "Q1 2025", "Q2 2025", "Jan 2024", "Apr 2025", "2025-09-08"):
        assert f">{label}</time>" in page, label
    assert ">2025-04-01</time>" not in page
    # a server-drawn chart of quarterly revenue with its values, its unit and the latest value
    assert "<svg" in page and "Revenue — USD, quarterly" in page
    for value in ("120M", "140M", "150M", "156.1M"):
        assert f">{value}</text>" in page, value
    assert "Latest, Q2 2025: 156,100,000 USD" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    # relationships: the investment stands, the retracted partnership does not; names link
    relationships = section(page, "relationships")
    assert "Orbit Capital" in relationships and "investee" in relationships and "partner" not in relationships
    assert 'href="/-/timeline/orbit"' in relationships
    # sources: the document and its row page
    assert 'href="https://example.com/nova-q2-2025"' in page
    assert 'href="/timeline/sources/1"' in page and 'href="/timeline/sources/2"' in page
    assert 'href="/timeline/events/4"' in page  # each event's row page
    # the visual timeline, the statement, the feed and the JSON are linked
    assert 'id="visual"' in page and 'href="/-/timeline/nova/timeline.svg"' in page
    for href in ("/-/timeline/nova/statement", "/-/timeline/nova/changes", "/-/timeline/nova.atom", "/-/timeline/nova.json"):
        assert f'href="{href}"' in page, href


def test_corrections_and_retractions_are_visible_and_linked(ds):
    page = html(ds, "/-/timeline/nova")
    original = page.split('id="event-4"', 1)[1].split("</li>", 1)[0]
    assert re.search(r'<li id="event-4" class="[^"]*tl-status-superseded', page)
    assert re.search(r'<li id="event-10" class="[^"]*tl-status-retracted', page)
    assert "Superseded by" in original and 'href="#event-12"' in original
    correction = page.split('id="event-12"', 1)[1].split("</li>", 1)[0]
    assert "Corrects" in correction and 'href="#event-4"' in correction
    assert "restated in the quarterly report" in correction
    retracted = page.split('id="event-10"', 1)[1].split("</li>", 1)[0]
    assert "Retracted by" in retracted and 'href="#event-13"' in retracted
    retraction = page.split('id="event-13"', 1)[1].split("</li>", 1)[0]
    assert "Withdraws" in retraction and 'href="#event-10"' in retraction


def test_as_of_shows_the_state_on_that_date(ds):
    page = html(ds, "/-/timeline/nova?as_of=2024-12-31")
    state = text_of(page.split('id="state"', 1)[1].split('id="metrics"', 1)[0])
    assert "Shanghai" in state and "Singapore" not in state
    assert "140,000,000 USD" in state and "Q4 2024" in state
    assert 'value="2024-12-31"' in page
    assert 'id="event-3"' not in page  # Q1 2025 had not begun


def test_known_at_shows_what_was_said_then(ds):
    page = html(ds, "/-/timeline/nova?known_at=2025-09-30")
    state = text_of(page.split('id="state"', 1)[1].split('id="metrics"', 1)[0])
    assert "155,600,000 USD" in state and "156,100,000" not in state
    assert 'id="event-12"' not in page and 'id="event-13"' not in page  # reported later
    partnership = page.split('id="event-10"', 1)[1].split("</li>", 1)[0]
    assert "Retracted" not in partnership  # the retraction came later
    assert "partner" in section(page, "relationships")
    assert ">155.6M</text>" in page and ">156.1M</text>" not in page


def test_entity_page_state_is_queries_state(site):
    """Every state key queries.state gives is on the page, with its winning event, in a section
    (relationships from the standing relationship events)."""
    _, out = site
    engine = sa.create_engine(f"sqlite:///{out}")
    with engine.connect() as conn:
        for as_of, known_at in ((None, None), ("2025-01-15", None), (None, "2025-09-30"), ("2025-06-30", "2025-10-15")):
            page = pages.entity_page(conn, "nova", as_of, known_at)
            expected = queries.state(conn, "nova", as_of=as_of, known_at=known_at).to_dict()["state"]
            shown = {key: {e["id"] for e in row["events"]} for s in page["sections"] for row in s["rows"] for key in row["keys"]}
            assert set(shown) == set(expected), (as_of, known_at)
            for key, entry in expected.items():
                assert entry["event"] in shown[key], (key, as_of, known_at)
    engine.dispose()


def test_long_timelines_are_paged(site):
    engine = sa.create_engine(f"sqlite:///{site[1]}")
    with engine.connect() as conn:
        first = pages.entity_page(conn, "nova", page_size=5)["events"]
        last = pages.entity_page(conn, "nova", page=3, page_size=5)["events"]
        oldest = pages.entity_page(conn, "nova", order="oldest", page_size=5)["events"]
        with pytest.raises(pages.BadRequest, match="3 pages"):
            pages.entity_page(conn, "nova", page=4, page_size=5)
    engine.dispose()
    assert (first["total"], first["pages"], len(first["items"]), len(last["items"])) == (13, 3, 5, 3)
    dates = [e["valid_from"] for e in first["items"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert first["items"][0]["event_id"] in ("nova/2025-09-08/escaping",)
    assert oldest["items"][0]["event_id"] == "nova/2024-01/headquarters"
    assert [g["year"] for g in first["years"]] == ["2025"]


def test_bad_dates_unknown_entities_and_aliases(ds):
    bad = html(ds, "/-/timeline/nova?as_of=2025-13-45", status=400)
    assert "as of:" in bad and "2025-13-45" in bad
    for path, words in (("/-/timeline/nova?page=0", "page"), ("/-/timeline/nova?page=abc", "page"),
                        ("/-/timeline/nova?page=99", "page of events"), ("/-/timeline/nova?kind=lanch", "unknown kind"),
                        ("/-/timeline/nova?year=20x5", "year"), ("/-/timeline/nova?from_year=2026&to_year=2024", "after"),
                        ("/-/timeline/nova?order=sideways", "order"), ("/-/timeline/nova?size=100000", "size"),
                        ("/-/timeline/nova/changes?from=2025-10-15&to=2025-09-01", "before"),
                        ("/-/timeline/nova/changes?from=yesterday", "from"), ("/-/timeline/nova/statement?known_at=x", "known at"),
                        ("/-/timeline/nova/timeline.svg?to_year=99999", "to year"), ("/-/timeline/-/search?q=x&page=-1", "page")):
        assert words in html(ds, path, status=400), path
    assert "unknown kind" in get(ds, "/-/timeline/nova.json?kind=lanch").json()["error"]
    html(ds, "/-/timeline/no-such-company", status=404)
    for name in ("NOVA", "Nova~20Motors", "%E8%AF%BA%E7%93%A6%E6%B1%BD%E8%BD%A6"):
        response = get(ds, f"/-/timeline/{name}?as_of=2025-01-15")
        if response.status_code == 302 and "~" in response.headers["location"]:  # Datasette's %-to-~ redirect
            response = get(ds, response.headers["location"])
        assert response.status_code == 302, name
        assert response.headers["location"] == "/-/timeline/nova?as_of=2025-01-15"


def test_script_tags_in_the_log_render_as_text(ds):
    for path in ("/-/timeline/nova", "/timeline/timeline", "/timeline/events/11", "/timeline/entity_timeline?entity=nova",
                 "/timeline/search?q=escaping"):
        page = html(ds, path)
        assert "<script>window.__pwned" not in page, path
        assert '<img src=x onerror' not in page, path
        assert "&lt;script&gt;window.__pwned" in page, path
    page = html(ds, "/-/timeline/nova")
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;Nova&#39;s &lt;b&gt;escaping&lt;/b&gt; note &amp; more" in page
    assert "&lt;img src=x onerror=&#34;window.__pwned = 2&#34;&gt;quoted markup" in page


def test_pages_load_nothing_from_elsewhere(ds):
    for path in ("/-/timeline", "/-/timeline/nova"):
        page = html(ds, path)
        assert not re.search(r'<script[^>]+src=', page), path
        assert not re.search(r'<link[^>]+href="(https?:)?//', page), path
    css = get(ds, "/-/timeline-static/timeline.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text and "@import" not in css.text and "@font-face" not in css.text
    for path in ("..~2Fplugin.py", "plugin.py", "nothing.css"):
        assert get(ds, f"/-/timeline-static/{path}").status_code == 404


def test_event_row_pages_link_entity_source_and_changes(ds):
    page = html(ds, "/timeline/events/12")
    assert 'href="/-/timeline/nova"' in page
    assert 'href="/timeline/sources/2">Nova 10-Q for the second quarter of 2025</a>' in page
    assert 'href="https://example.com/nova-10q-2025-q2"' in page
    assert f'href="/timeline/events?id={CORRECTED.replace("/", "%2F")}"' in page
    view = html(ds, "/timeline/timeline?entity=nova")
    assert 'href="/-/timeline/orbit"' in view  # counterparty column
    assert 'href="/timeline/sources?key=nova-q2-2025"' in view
    assert 'href="/timeline/events/4"' in view  # event_id column


def test_hidden_tables(ds):
    database = get(ds, "/timeline.json").json()
    visible = {t["name"] for t in database["tables"] if not t["hidden"]}
    hidden = {t["name"] for t in database["tables"] if t["hidden"]}
    assert {"events", "sources", "entities", "publication", "entity_state"} <= visible
    assert {"event_status", "timeline_fts"} <= hidden
    assert not {n for n in visible if n.startswith("timeline_fts")}
    assert "alembic_version" not in visible | hidden


def test_table_search_uses_the_full_text_index(ds):
    assert [r["event_id"] for r in rows(ds, "/timeline/timeline.json?_search=restated")] == [f"{CORRECTED}/v2"]
    assert [r["id"] for r in rows(ds, "/timeline/events.json?_search=restated")] == [f"{CORRECTED}/v2"]
    assert {r["event_id"] for r in rows(ds, "/timeline/timeline.json?_search=10-Q")} == {f"{CORRECTED}/v2", f"{RETRACTED}/retracted"}


def test_user_templates_override_the_plugins(site, tmp_path):
    (tmp_path / "timeline_entity.html").write_text("custom page for {{ entity.name }}", encoding="utf-8")
    custom = server.datasette_for(site[1], METADATA, template_dir=tmp_path)
    assert html(custom, "/-/timeline/nova").strip() == "custom page for Nova Motors Inc."


def test_serve_renames_the_metadata_to_the_file(site, tmp_path):
    other = tmp_path / "corporate.db"
    other.write_bytes(site[1].read_bytes())
    ds = server.datasette_for(other, METADATA)
    assert "entity_timeline" in html(ds, "/corporate")
    assert html(ds, "/-/timeline/nova")


# ---- canned queries ----

@pytest.mark.parametrize("name", list(CANNED))
def test_every_canned_query_runs_without_parameters(ds, name):
    page = html(ds, f"/timeline/{name}")
    assert CANNED[name]["title"] in page
    assert rows(ds, f"/timeline/{name}.json") is not None


def test_entity_timeline_query(ds):
    everything = rows(ds, "/timeline/entity_timeline.json")
    assert len(everything) == 13
    assert len(rows(ds, "/timeline/entity_timeline.json?entity=nova")) == 13
    by_alias = rows(ds, "/timeline/entity_timeline.json?entity=Orbit")
    assert by_alias and all("orbit" in (r["entity"], r["counterparty"]) for r in by_alias)
    assert rows(ds, "/timeline/entity_timeline.json?entity=nobody") == []


def _canned_state(ds, query, entity, **dates):
    params = "&".join(f"{k}={v or ''}" for k, v in dates.items())
    return {r["key"]: r["event_id"] for r in rows(ds, f"/timeline/{query}.json?entity={entity}&{params}")}


@pytest.mark.parametrize("as_of", [None, "2024-12-31", "2025-01-15", "2025-07-01", "2030-01-01"])
def test_state_as_of_query_is_timeline_show(ds, site, as_of):
    engine = sa.create_engine(f"sqlite:///{site[1]}")
    with engine.connect() as conn:
        for entity in ("nova", "orbit"):
            expected = {k: v["event"] for k, v in queries.state(conn, entity, as_of=as_of).to_dict()["state"].items()}
            assert _canned_state(ds, "state_as_of", entity, as_of=as_of) == expected
    engine.dispose()


@pytest.mark.parametrize("known_at,as_of", [(None, None), ("2025-09-08", None), ("2025-09-30", "2025-05-01"),
                                            ("2025-10-15", None), ("2024-01-01", None)])
def test_known_at_query_is_timeline_show(ds, site, known_at, as_of):
    engine = sa.create_engine(f"sqlite:///{site[1]}")
    with engine.connect() as conn:
        expected = {k: v["event"] for k, v in queries.state(conn, "nova", as_of=as_of, known_at=known_at).to_dict()["state"].items()}
    engine.dispose()
    assert _canned_state(ds, "known_at", "nova", known_at=known_at, as_of=as_of) == expected
    if known_at == "2025-09-30":
        assert expected["revenue/quarter"] == CORRECTED


def test_events_by_source_query(ds):
    assert len(rows(ds, "/timeline/events_by_source.json")) == 13
    by_key = rows(ds, "/timeline/events_by_source.json?source=nova-10q-2025-q2")
    assert {r["event_id"] for r in by_key} == {f"{CORRECTED}/v2", f"{RETRACTED}/retracted"}
    assert rows(ds, "/timeline/events_by_source.json?source=10-Q") == by_key


def test_metric_history_query(ds):
    revenue = rows(ds, "/timeline/metric_history.json?entity=nova&metric=revenue")
    assert [r["period"] for r in revenue] == ["Q3 2024", "Q4 2024", "Q1 2025", "Q2 2025", "Q2 2025"]
    first, restated = revenue[-2:]
    assert (first["amount"], first["status"], restated["amount"], restated["status"]) == (155600000, "superseded", 156100000, "current")
    assert restated["latest"] == 1
    everything = rows(ds, "/timeline/metric_history.json")
    assert {r["metric"] for r in everything} == {"revenue", "shipments"}


def test_events_over_time_query(ds):
    years = rows(ds, "/timeline/events_over_time.json?entity=nova")
    assert [(r["period"], r["events"]) for r in years] == [("2024", 3), ("2025", 10)]
    quarters = rows(ds, "/timeline/events_over_time.json?entity=Nova%20Motors&every=quarter&kind=financial_result")
    assert [(r["period"], r["events"], r["standing"]) for r in quarters] == [
        ("2024-Q3", 1, 1), ("2024-Q4", 1, 1), ("2025-Q1", 1, 1), ("2025-Q2", 2, 1)]
    assert [r["period"] for r in rows(ds, "/timeline/events_over_time.json?every=month")][:2] == ["2024-01", "2024-07"]


def test_relationships_query(ds):
    orbit = rows(ds, "/timeline/relationships_of.json?entity=orbit")
    assert [(r["role"], r["counterparty"], r["since"]) for r in orbit] == [("investor", "nova", "Aug 2025")]
    assert len(rows(ds, "/timeline/relationships_of.json")) == 2


def test_search_query(ds):
    assert [r["event_id"] for r in rows(ds, "/timeline/search.json?q=restated")] == [f"{CORRECTED}/v2"]
    assert len(rows(ds, "/timeline/search.json?q=")) == 13
    assert len(rows(ds, "/timeline/search.json?q=10-Q")) == 2  # FTS syntax in the box is escaped
    assert rows(ds, '/timeline/search.json?q="unbalanced') == []
    assert [r["event_id"] for r in rows(ds, "/timeline/search.json?q=Orbit%20Capital%20invested")] == ["nova/2025-08/orbit-investment"]


# ---- the feed and the download ----

ATOM = {"atom": "http://www.w3.org/2005/Atom"}


def test_atom_feed_of_newest_events(ds, site):
    response = get(ds, "/timeline/newest_events.atom")
    assert response.status_code == 200 and "xml" in response.headers["content-type"]
    feed = ET.fromstring(response.content)
    assert feed.find("atom:title", ATOM).text == "Newest events"
    entries = feed.findall("atom:entry", ATOM)
    assert len(entries) == 13
    titles = [e.find("atom:title", ATOM).text for e in entries]
    assert "Nova Motors Inc. (Q2 2025): Nova restated Q2 2025 revenue as US$156.1 million." in titles
    escaping = next(e for e in entries if "escaping" in e.find("atom:title", ATOM).text)
    assert escaping.find("atom:content", ATOM).get("type") == "text"
    assert SCRIPT_SUMMARY in escaping.find("atom:content", ATOM).text  # text, escaped in the XML
    assert b"<script>" not in response.content
    # absolute links (through the redirect that knows the database's name) and ids the site's own feed shares
    links = {e.find("atom:link", ATOM).get("href") for e in entries}
    assert links == {f"http://localhost/timeline/events/{n}" for n in range(1, 14)}
    assert get(ds, "/-/timeline/-/events/4").headers["location"] == "/timeline/events/4"
    ids = [e.find("atom:id", ATOM).text for e in entries]
    own = ET.fromstring(get(ds, "/-/timeline.atom").content)
    assert ids == [e.find("atom:id", ATOM).text for e in own.findall("atom:entry", ATOM)]
    assert all(re.fullmatch(r"tag:timeline,\d{4}:event/[a-z0-9./@~+-]+/[0-9a-f]{16}", i) for i in ids), ids


def test_entity_feed_has_absolute_links_real_times_and_ids_that_survive_a_rebuild(ds, site, tmp_path):
    response = get(ds, "/-/timeline/nova.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.find("atom:link[@rel='self']", ATOM).get("href") == "http://localhost/-/timeline/nova.atom"
    entries = feed.findall("atom:entry", ATOM)
    assert len(entries) == 13
    recorded = dict(sqlite3.connect(site[1]).execute("SELECT id, recorded_at FROM events").fetchall())
    for entry in entries:
        event_id = entry.find("atom:id", ATOM).text.split(":event/", 1)[1].rsplit("/", 1)[0]
        assert entry.find("atom:updated", ATOM).text == recorded[event_id][:19] + "Z"
        assert entry.find("atom:link", ATOM).get("href").startswith("http://localhost/timeline/events/")
    orbit = ET.fromstring(get(ds, "/-/timeline/orbit.atom").content)
    assert len(orbit.findall("atom:entry", ATOM)) == 2  # as counterparty
    assert get(ds, "/-/timeline/NOVA.atom").headers["location"] == "/-/timeline/nova.atom"
    assert get(ds, "/-/timeline/nobody.atom").status_code == 404
    # the same log built again (new recorded_at, new chain hashes): the same ids
    again = server.datasette_for(publish_log(build_log(tmp_path), tmp_path / "timeline.db"), METADATA)
    rebuilt = ET.fromstring(get(again, "/-/timeline/nova.atom").content)
    assert [e.find("atom:id", ATOM).text for e in rebuilt.findall("atom:entry", ATOM)] == \
        [e.find("atom:id", ATOM).text for e in entries]


def test_download_is_the_published_file_and_verifies(ds, site, tmp_path):
    response = get(ds, "/timeline.db")
    assert response.status_code == 200
    copy = tmp_path / "downloaded.db"
    copy.write_bytes(response.content)
    assert response.content == site[1].read_bytes()
    result = CliRunner().invoke(timeline_cli, ["verify", str(copy)])
    assert result.exit_code == 0 and result.output.startswith("ok: 13 events"), result.output


# ---- the pieces ----

def test_safe_urls_only_link_http():
    assert safe_url("https://example.com/a") == "https://example.com/a"
    assert safe_url(" HTTP://example.com ") == "HTTP://example.com"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example", "", None):
        assert safe_url(bad) is None


def test_chart_numbers():
    assert charts.compact(155_600_000) == "155.6M"
    assert charts.compact(1_000_000_000) == "1B"
    assert charts.compact(135_000) == "135K"
    assert charts.compact(-2_500_000) == "-2.5M"
    assert charts.nice_ticks(0, 156_100_000) == [0, 50_000_000, 100_000_000, 150_000_000, 200_000_000]
    ticks = charts.nice_ticks(-30, 95)
    assert ticks[0] <= -30 and ticks[-1] >= 95 and 0 in ticks
    chart = charts.bar_chart("c", "Net income — USD, quarterly", "USD", [
        {"label": "Q1 2025", "amount": -5e6, "text": "-5,000,000 USD"},
        {"label": "Q2 2025", "amount": 2e6, "text": "2,000,000 USD"}])
    negative, positive = chart["bars"]
    assert negative["negative"] and negative["y"] == chart["zero"]
    assert positive["y"] + positive["height"] == pytest.approx(chart["zero"], abs=0.2)
    assert negative["label_lines"] == ["Q1", "2025"]
    assert positive["latest"] and chart["latest"] == "Latest, Q2 2025: 2,000,000 USD" and chart["axis_label"] == "USD"


@pytest.mark.parametrize("amounts", [(0, 0), (1e-11, 2e-11), (5e-324, 5e-324), (5e-324, 0), (-1e18, 1e18), (1e18, 1e18),
                                     (-1e18, -1e18), (0.1, 0.30000000000000004), (123456789.123, 123456789.125), (-5e-324, 1e-300)])
def test_charts_draw_every_amount_the_log_accepts(amounts):
    ticks = charts.nice_ticks(*amounts)
    assert ticks[0] <= min(*amounts, 0) and ticks[-1] >= max(*amounts, 0) and ticks[0] < ticks[-1]
    chart = charts.bar_chart("c", "t", "USD", [{"label": f"Q{i} 2025", "amount": a, "text": str(a)}
                                              for i, a in enumerate(amounts, 1)])
    for bar in chart["bars"]:
        assert chart["top"] <= bar["y"] <= chart["bottom"] and bar["height"] >= 1


def test_every_table_and_view_page_renders(ds):
    database = get(ds, "/timeline.json").json()
    names = [t["name"] for t in database["tables"]] + [v["name"] for v in database["views"]]
    assert {"timeline", "current_events", "entity_summary", "corrections"} <= set(names)
    for name in names:
        html(ds, f"/timeline/{name}")
        html(ds, f"/timeline/{name}.json")
    for table, pk in (("events", 1), ("sources", 1), ("entities", 1), ("publication", 1), ("metric_history", 1)):
        html(ds, f"/timeline/{table}/{pk}")


# ---- a log with the shapes real documents give: currencies, kinds of period, words, fuzzy dates ----

def build_mixed(directory):
    """Acme: revenue in CNY for a quarter and USD for another and two years, figures in words, a
    range, a change without a level, a loss, approximate and mis-stated dates, a person, duplicates."""
    from timeline import Timeline

    tl = Timeline.init(str(directory / "mixed-live.db"))
    tl.add_entity("acme", name="Acme Motors Inc.", type="company", aliases=["ACME"])
    tl.add_entity("jane-roe", name="Jane Roe", type="person")
    tl.add_source("acme-2025", "Acme annual review 2025", "2025-09-08", url="https://example.com/acme-2025")
    add = lambda *args, **kw: tl.add("acme", *args, source="acme-2025", **kw)  # noqa: E731
    money = lambda amount, unit: {"amount": amount, "unit": unit}  # noqa: E731
    add("financial_result", "Q1 2025", "Acme Q1 revenue was RMB1 billion.", "Q1 revenue was RMB1 billion.",
        attributes={"metric": "revenue", "value": money(1_000_000_000, "CNY")})
    add("financial_result", "Q2 2025", "Acme Q2 revenue was US$155.6 million.", "Q2 revenue was $155.6 million.",
        attributes={"metric": "revenue", "value": money(155_600_000, "USD"), "change_yoy": money(-10, "percent")})
    add("financial_result", "2023", "Acme 2023 revenue was US$600 million.", "2023 revenue was $600 million.",
        attributes={"metric": "revenue", "value": money(600_000_000, "USD")})
    add("financial_result", "2024", "Acme 2024 revenue was US$657.1 million.", "2024 revenue was $657.1 million.",
        attributes={"metric": "revenue", "value": money(657_100_000, "USD")})
    add("financial_result", "Q3 2024", "Acme Q3 2024 revenue grew 12%.", "Revenue grew 12% in the third quarter.",
        attributes={"metric": "revenue", "change_yoy": money(12, "percent")})
    for quarter, rate in (("Q1 2025", 5), ("Q2 2025", 7)):
        add("financial_result", quarter, f"Acme revenue growth was {rate}%.", f"Growth was {rate}%.",
            attributes={"metric": "revenue_growth", "value": money(rate, "percent")})
    add("financial_result", "Q2 2025", "Acme turned profitable in Q2 2025.", "We turned profitable this quarter.",
        attributes={"metric": "net_income", "outcome": "turned_profitable"})
    add("financial_result", "2024", "Acme's 2024 net loss was US$4.1 million.", "Net loss was $4.1 million.",
        attributes={"metric": "net_loss", "value": money(4_100_000, "USD")})
    add("operating_metric", "Q2 2025", "Acme delivered 43,000 to 48,000 vehicles.", "Deliveries of 43,000 to 48,000.",
        attributes={"metric": "deliveries", "value": {"low": 43000, "high": 48000, "unit": "vehicles"}})
    add("headquarters", "recently", "Acme opened its headquarters in Singapore.", "We opened our Singapore HQ.",
        attributes={"location": "Singapore"}, valid_from="2025-01-01", valid_to="2025-09-08", precision="approximate",
        date_note="undated in the review")
    add("facility_opening", "recently", "Acme opened its global headquarters in Singapore.", "Our global HQ opened.",
        attributes={"facility": "global headquarters", "location": "Singapore"}, valid_from="2025-01-01",
        valid_to="2025-09-08", precision="approximate", date_note="undated in the review")
    add("launch", "by September 2025", "Acme launched the Rocket cockpit by September 2025.", "Rocket launched by September.",
        attributes={"product": "Rocket cockpit"})
    add("note", "late 2000", "As transcribed, Acme went abroad in late 2000 (probably late 2020).", "as early as late 2000",
        attributes={"topic": "expansion"}, valid_from="2020-09-01", valid_to="2020-12-31", precision="approximate",
        date_note="transcription error")
    add("note", "c. 2001", "Acme's founders met around 2001.", "We met around 2001.", attributes={"topic": "history"})
    add("guidance", "2029", "Acme targets revenue of US$2 billion in 2029.", "We target $2 billion by 2029.",
        attributes={"metric": "revenue", "target": money(2_000_000_000, "USD")})
    add("leadership", "2025-09-08", "Jane Roe is Acme's CEO.", "Jane Roe, our CEO.", counterparty="jane-roe",
        attributes={"role": "Chief Executive Officer"})
    add("certification", "Q2 2025", "Acme obtained ISO 9001.", "ISO 9001 certified.", attributes={"standard": "ISO 9001"})
    add("certification", "Q2 2025", "Acme obtained ISO 14001.", "ISO 14001 certified.", attributes={"standard": "ISO 14001"})
    out = directory / "mixed" / "timeline.db"
    out.parent.mkdir(exist_ok=True)
    tl.publish(str(out))
    return out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    out = build_mixed(tmp_path_factory.mktemp("mixed"))
    return server.datasette_for(out, METADATA), out


def test_state_reads_in_sections_with_labels_links_and_folded_duplicates(mixed):
    page = html(mixed[0], "/-/timeline/acme")
    titles = re.findall(r'<section class="tl-card tl-section-(\w+)"', page)
    assert titles == ["financials", "operations", "products", "facilities", "people", "certifications", "guidance"]
    facilities = text_of(section(page, "facilities"))
    assert facilities.count("Singapore") == 1 and "Global headquarters; Headquarters" in facilities  # folded
    assert "Jan–Sep 2025 (approx.; “recently”)" in facilities and "2025-01-01 to" not in facilities
    people = section(page, "people")
    assert 'href="/-/timeline/jane-roe">Jane Roe</a>' in people and "jane-roe<" not in people
    assert "by Sep 2025" in section(page, "products")
    assert "ISO 14001; ISO 9001" in text_of(section(page, "certifications"))
    financials = text_of(section(page, "financials"))
    assert "Net income (annual)" in financials and "-4,100,000 USD" in financials  # a loss, signed
    assert "turned profitable" in financials and "Revenue (quarterly), change only" in financials
    assert "Revenue (quarterly)" in financials and "-10% year over year" in financials
    assert "Revenue (annual)" in financials
    assert "guidance:" not in page.split('id="state"', 1)[1].split('id="metrics"', 1)[0]


def test_dates_read_as_the_source_gave_them(mixed):
    page = html(mixed[0], "/-/timeline/acme?order=oldest")
    assert ">late 2020 (stated: late 2000)</time>" in page
    assert ">c. 2001</time>" in page and ">by Sep 2025</time>" in page
    assert ">Jan–Sep 2025 (approx.; “recently”)</time>" in page
    index = html(mixed[0], "/-/timeline")
    acme = index.split("<code>acme</code>", 1)[1].split("</tr>", 1)[0]
    assert ">2023–2025</span>" in acme and "approximate notes from c. 2001" in acme and "outlook to 2029" in acme


def test_charts_never_mix_currencies_or_kinds_of_period(mixed):
    engine = sa.create_engine(f"sqlite:///{mixed[1]}")
    with engine.connect() as conn:
        found = pages.entity_page(conn, "acme")["charts"]
    engine.dispose()
    # revenue: CNY Q1 2025 and USD Q2 2025 are one point each; 2023 and 2024 in USD are a series.
    # revenue_growth has two quarters but its definition says chart: false.
    assert [(c["metric"], c["unit"], c["period_type"], [p["label"] for p in c["points"]]) for c in found] == [
        ("revenue", "USD", "year", ["2023", "2024"])]
    page = html(mixed[0], "/-/timeline/acme")
    assert "Revenue — USD, annual" in page and "Latest, 2024: 657,100,000 USD" in page
    assert 'class="tl-axis-label"' in page


def test_statement_rows_are_metrics_and_columns_periods(mixed, ds):
    page = html(mixed[0], "/-/timeline/acme/statement")
    quarters = page.split('id="quarter"', 1)[1].split("</section>", 1)[0]
    assert [re.sub("<[^>]+>", "", h) for h in re.findall(r'<th scope="col" class="tl-num"[^>]*>(.*?)</th>', quarters)] == [
        "Q3 2024", "Q1 2025", "Q2 2025"]
    assert "1B CNY" in quarters and "155.6M USD" in quarters and "-10% y/y" in quarters
    assert "turned profitable" in quarters and "43,000–48,000 vehicles" in quarters and "+12% year over year" in quarters
    years = page.split('id="year"', 1)[1].split("</section>", 1)[0]
    assert "600M USD" in years and "657.1M USD" in years and "-4.1M USD" in years
    assert "Guidance and targets" in page and "2B USD" in page
    # restated: the correction stands, the first report beside it, both linked
    nova = html(ds, "/-/timeline/nova/statement")
    cell = nova.split('class="tl-num tl-restated"', 1)[1].split("</td>", 1)[0]
    assert "156.1M USD" in cell and "first reported" in cell and "155.6M USD" in cell and "2025-09-08" in cell
    assert 'href="/timeline/events/12"' in cell and 'href="/timeline/events/4"' in cell


def test_statement_as_csv_and_json(mixed, ds):
    response = get(mixed[0], "/-/timeline/acme/statement.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0][:6] == ["period_type", "section", "metric", "label", "series", "unit"]
    assert table[0][6:9] == ["Q3 2024", "Q1 2025", "Q2 2025"] and "2023" in table[0]
    revenue_cny = next(r for r in table if r[:3] == ["quarter", "financials", "revenue"] and r[5] == "CNY")
    assert revenue_cny[table[0].index("Q1 2025")] == "1000000000"
    data = get(ds, "/-/timeline/nova/statement.json").json()
    revenue = data["groups"][0]["rows"][0]
    assert (data["entity"]["key"], revenue["metric"], revenue["unit"]) == ("nova", "revenue", "USD")
    q2 = revenue["cells"][-1]
    assert (q2["amount"], q2["restated"], q2["first_reported"]["value"]["amount"]) == (156100000, True, 155600000)
    assert q2["source"]["key"] == "nova-10q-2025-q2" and q2["first_reported"]["source"]["key"] == "nova-q2-2025"
    known = get(ds, "/-/timeline/nova/statement.json?known_at=2025-09-30").json()
    assert known["groups"][0]["rows"][0]["cells"][-1]["amount"] == 155600000


def test_visual_timeline_draws_events_at_their_precision_and_zooms(ds, mixed):
    page = html(mixed[0], "/-/timeline/acme")
    visual = page.split('id="visual"', 1)[1].split("</section>", 1)[0]
    assert "Timeline 2023–2025" in visual and "earlier</a>" in visual and "later ▶</a>" in visual
    assert 'stroke-dasharray="3 2"' in visual  # an approximate span, hatched
    assert 'href="/-/timeline/acme?from_year=2024&amp;to_year=2024#visual"' in visual  # a year zooms in
    response = get(mixed[0], "/-/timeline/acme/timeline.svg?from_year=2000&to_year=2030")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(response.content)  # a well-formed XML document
    links = svg.findall(".//{http://www.w3.org/2000/svg}a")
    assert len(links) >= 15 and all(a.get("href").startswith("/timeline/events/") for a in links)
    narrow = ET.fromstring(get(mixed[0], "/-/timeline/acme/timeline.svg?from_year=2025&to_year=2025").content)
    assert 0 < len(narrow.findall(".//{http://www.w3.org/2000/svg}a")) < len(links)
    nova = html(ds, "/-/timeline/nova")
    assert nova.count('<a href="/timeline/events/') >= 12


def test_event_list_filters_by_kind_source_counterparty_and_year(ds):
    page = html(ds, "/-/timeline/nova?kind=financial_result")
    events = page.split('id="events"', 1)[1]
    assert events.count('<li id="event-') == 5  # four quarters and the correction
    assert 'href="/-/timeline/nova#events"' in events  # clear filters
    two = html(ds, "/-/timeline/nova?kind=financial_result&kind=launch").split('id="events"', 1)[1]
    assert two.count('<li id="event-') == 6
    data = get(ds, "/-/timeline/nova.json?source=nova-10q-2025-q2").json()["events"]
    assert {e["event_id"] for e in data["items"]} == {f"{CORRECTED}/v2", f"{RETRACTED}/retracted"}
    assert {e["event_id"] for e in get(ds, "/-/timeline/nova.json?counterparty=orbit").json()["events"]["items"]} == {
        "nova/2025-08/orbit-investment", RETRACTED}
    by_year = get(ds, "/-/timeline/nova.json?year=2024").json()["events"]
    assert by_year["total"] == 3 and all(e["valid_from"].startswith("2024") for e in by_year["items"])
    facets = {f["name"]: {o["value"]: o["count"] for o in f["options"]} for f in by_year["facets"]}
    assert facets["year"] == {"2024": 3, "2025": 10}  # a facet counts with the other filters only
    assert facets["kind"] == {"financial_result": 2, "headquarters": 1}
    orbit = html(ds, "/-/timeline/orbit")
    assert "· by" in orbit and 'href="/-/timeline/nova"' in orbit  # events naming it as counterparty


def test_entity_json_has_the_page_with_its_dates(ds):
    data = get(ds, "/-/timeline/nova.json?known_at=2025-09-30&as_of=2025-06-30").json()
    assert (data["entity"]["key"], data["as_of"], data["known_at"]) == ("nova", "2025-06-30", "2025-09-30")
    rows = {row["keys"][0]: row for s in data["state"] for row in s["rows"]}
    assert rows["revenue/quarter"]["value_text"] == "155,600,000 USD" and rows["headquarters"]["value_text"] == "Singapore"
    assert data["links"]["permalink"] == "/-/timeline/nova?known_at=2025-09-30&as_of=2025-06-30"
    assert data["charts"][0]["points"][-1]["amount"] == 155600000
    assert all(e["url"].startswith("/timeline/events/") for e in data["events"]["items"])
    now = get(ds, "/-/timeline/nova.json").json()
    assert now["links"]["permalink"] == "/-/timeline/nova?known_at=2025-10-15"  # the latest report date, pinned
    assert get(ds, "/-/timeline.json").json()["entities"][1]["key"] == "nova"
    assert get(ds, "/-/timeline/NOVA.json?as_of=2025-01-01").headers["location"] == "/-/timeline/nova.json?as_of=2025-01-01"


def test_changes_between_two_known_at_dates(ds):
    data = get(ds, "/-/timeline/nova/changes.json").json()
    assert (data["since"], data["until"]) == ("2025-09-08", "2025-10-15")  # the latest report against the one before
    assert [c["event_id"] for c in data["corrections"]] == [f"{CORRECTED}/v2"]
    assert data["corrections"][0]["corrects"]["event_id"] == CORRECTED
    assert [r["withdraws"]["event_id"] for r in data["retractions"]] == [RETRACTED]
    assert [(r["period"], r["before"]["text"], r["after"]["text"]) for r in data["restated_values"]] == [
        ("Q2 2025", "155.6M USD", "156.1M USD")]
    changed = data["state"]["changed"]
    assert [(c["label"], c["change"], c["before"]["text"], c["after"]["text"]) for c in changed] == [
        ("Revenue (quarterly)", "restated", "155,600,000 USD", "156,100,000 USD")]
    assert {w["event_id"] for w in data["withdrawn"]} == {CORRECTED, RETRACTED}
    early = get(ds, "/-/timeline/nova/changes.json?from=2024-01-01&to=2025-09-08").json()
    assert early["counts"]["new_facts"] == 11 and early["counts"]["corrections"] == 0
    page = html(ds, "/-/timeline/nova/changes?from=2025-09-08&to=2025-10-15")
    assert "Restated values" in page and "Revenue (quarterly)" in page and "restated in the quarterly report" in page


def test_search_ranks_summaries_and_quotes_above_source_titles(ds):
    data = get(ds, "/-/timeline/-/search.json?q=quarter").json()
    assert data["total"] >= 4 and data["title_total"] >= 1
    word = re.compile(r"\bquarter\b", re.IGNORECASE)
    for hit in data["hits"]:
        assert word.search(hit["summary"] + " " + hit["quote"])
    for hit in data["title_hits"]:
        assert not word.search(hit["summary"] + " " + hit["quote"]) and word.search(hit["source_title"])
    page = html(ds, "/-/timeline/-/search?q=quarter")
    assert page.index("tl-hits") < page.index('id="titles"')
    canned = rows(ds, "/timeline/search.json?q=quarter")
    matched = [r["matched"] for r in canned]
    assert matched == sorted(matched, key=lambda m: m == "source title") and "source title" in matched
    assert get(ds, "/-/timeline/-/search.json?q=%22").json()["total"] == 0


def test_control_characters_in_an_old_log_never_break_the_feeds_or_pages(tmp_path):
    """New logs refuse control characters; old ones hold them.  XML forbids them: the feeds drop them."""
    out = publish_log(build_log(tmp_path), tmp_path / "timeline.db")
    conn = sqlite3.connect(out)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE events SET summary = 'bell\x07 escape\x1b tab\x0b nonchar\ufffe end' WHERE seq = 1")
    conn.execute("UPDATE events SET quote = 'quote\x07\x1b' WHERE seq = 1")
    conn.commit()
    conn.close()
    ds = server.datasette_for(out, METADATA)
    for path in ("/timeline/newest_events.atom", "/-/timeline.atom", "/-/timeline/nova.atom", "/-/timeline/nova/timeline.svg"):
        response = get(ds, path)
        assert response.status_code == 200, path
        ET.fromstring(response.content)  # well-formed XML
        assert b"\x07" not in response.content and b"\x1b" not in response.content, path
    for path in ("/-/timeline/nova", "/-/timeline/nova.json", "/-/timeline/-/search?q=bell", "/-/timeline/nova/changes"):
        assert get(ds, path).status_code == 200, path


# ---- limits on the SQL anyone can send ----

def test_the_time_limit_is_checked_every_few_steps():
    from datasette import database

    from timeline.web import plugin

    assert database.sqlite_timelimit is plugin._finer_time_limit  # installed when the plugin loads
    conn = sqlite3.connect(":memory:")
    with plugin._finer_time_limit(conn, 50):
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            conn.execute("with recursive n(i) as (select 1 union all select i + 1 from n) select max(i) from n").fetchall()
    assert conn.execute("select 1").fetchone() == (1,)  # the handler is gone afterwards


@pytest.mark.parametrize("sql", ["select trim(' x ')", "select ltrim('xxay', 'x')", "select rtrim(1.5, '5')",
                                 "select trim(12345, 15)", "select ltrim(null, 'x')", "select ltrim('abc', null)",
                                 "select ltrim(x'616162', 'a')", "select trim('ééaé', 'é')", "select ltrim(1e20, '1')",
                                 "select rtrim('abc', '')", "select trim(2.0, '0')", "select rtrim(-3.0, '0')"])
def test_served_trim_answers_as_sqlite_does(sql):
    """trim(X, Y) is replaced on served connections (SQLite's compares every pair of characters): same answers."""
    from timeline.web.plugin import prepare_connection

    plain, served = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    prepare_connection(served)
    assert served.execute(sql).fetchone() == plain.execute(sql).fetchone()


@pytest.mark.parametrize("sql, words", [
    ("select randomblob(999999999)", "too big"),
    ("select length(hex(randomblob(100000000))) + length(hex(randomblob(100000000)))", "too big"),
    ("select " + " + ".join(["1"] * 150), "too large"),  # expression depth
    ("select 1" + " union all select 1" * 30, "too many terms"),
    ("select 'x' like '" + "%a" * 300 + "'", "too complex"),
    ("select '" + "x" * 25000 + "'", "too large"),  # SQL length
    ("select " + "1, " * 300 + "1", "too many columns"),
])
def test_served_sql_runs_under_limits(ds, sql, words):
    response = get(ds, "/timeline.json?" + urlencode({"sql": sql}))
    assert response.status_code >= 400 and words in response.text.lower(), response.text[:300]
    assert get(ds, "/timeline.json?" + urlencode({"sql": "select count(*) from events"})).status_code == 200


# ---- the server's log: quiet about what clients get wrong ----

def test_not_found_and_refused_writes_leave_no_traceback_in_the_server_log(tmp_path):
    import httpx

    from .serving import timeline_serve

    db = build_log(tmp_path)
    with timeline_serve(db, tmp_path, tmp_path / "site" / "timeline.db") as (base, printed):
        log = tmp_path / "serve.log"
        before = log.read_text(encoding="utf-8")
        with httpx.Client(base_url=base, timeout=30) as http:
            for path in ("/nothing", "/-/timeline/nobody", "/timeline/no_such_table", "/timeline/events/999",
                         "/-/timeline-static/x.css", "/-/timeline/nova/nothing"):
                assert http.get(path).status_code == 404, path
            assert http.get("/-/timeline/nova?page=abc").status_code == 400
            for method, path in (("POST", "/timeline/search"), ("POST", "/-/timeline"), ("PUT", "/timeline/events"),
                                 ("DELETE", "/timeline/events/1"), ("POST", "/timeline/-/query")):
                response = http.request(method, path, data={"q": "x"})
                assert response.status_code == 405 and "read-only" in response.text, (method, path)
            assert http.get("/-/timeline/nova").status_code == 200
        time.sleep(0.5)
        written = log.read_text(encoding="utf-8")[len(before):]
    print(f"\nserver log after 12 refused requests: {len(written.splitlines())} lines")
    assert "Traceback" not in written and "│" not in written and len(written.splitlines()) <= 2, written[:2000]


# ---- every page, on any log the log accepts ----

AMOUNTS = st.one_of(
    st.sampled_from([0, 1e-11, 2e-11, 5e-324, -5e-324, 1e18, -1e18, 10**18, -(10**18), 0.1, 1, 155_600_000]),
    st.integers(min_value=-10**18, max_value=10**18),
    st.floats(min_value=-1e18, max_value=1e18, allow_nan=False, allow_infinity=False))
UNITS = st.sampled_from(["USD", "CNY", "percent", "vehicles", "USD/share", "GWh", "times", "units"])
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=400) \
    .filter(lambda t: t.strip())
LONG_TEXT = st.one_of(TEXT, st.builds(lambda t, n: (t * n)[:4000], TEXT, st.integers(1, 60)))  # ≤ 16 KB of UTF-8
DATES = st.one_of(
    st.sampled_from(["Q1 2024", "Q2 2025", "2023", "2025", "H2 2024", "late 2023", "early 2025", "mid-2024", "March 2024",
                     "2024-05-06", "2025-09-08", "c. 2001", "FY2024", "1000", "9999", "Q4 9999"]),
    st.tuples(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)), st.integers(0, 4000)))


@st.composite
def figures(draw):
    shape = draw(st.sampled_from(["amount", "range", "outcome", "change", "both"]))
    unit = draw(UNITS)
    if shape == "range":
        low, high = sorted([draw(AMOUNTS), draw(AMOUNTS)])
        return {"value": {"low": low, "high": high, "unit": unit}}
    if shape == "outcome":
        return {"outcome": draw(st.sampled_from(["turned_profitable", "breakeven", "record", "narrowed"]))}
    change = {"change_yoy": {"amount": draw(AMOUNTS), "unit": "percent"}}
    if shape == "change":
        return change
    value = {"value": {"amount": draw(AMOUNTS), "unit": unit}}
    if draw(st.booleans()):
        value["value"]["qualifier"] = draw(st.sampled_from(["over", "about", "up_to"]))
    return {**value, **change} if shape == "both" else value


@st.composite
def logs(draw):
    events = []
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["financial_result", "operating_metric", "guidance", "launch", "headquarters",
                                     "leadership", "investment", "note", "facility_opening", "certification"]))
        metric = draw(st.sampled_from(["revenue", "net_loss", "gross_margin", "deliveries", "cash", "eps", "revenue_growth"]))
        if kind in ("financial_result", "operating_metric"):
            attributes = {"metric": metric, **draw(figures())}
        elif kind == "guidance":
            attributes = {"metric": metric, "target_text": draw(TEXT)}
        else:
            attributes = {"launch": {"product": draw(TEXT)}, "headquarters": {"location": draw(TEXT)},
                          "leadership": {"role": draw(TEXT)}, "investment": {"amount": {"amount": draw(AMOUNTS), "unit": "USD"}},
                          "note": {"topic": draw(TEXT)}, "facility_opening": {"facility": draw(TEXT)},
                          "certification": {"standard": draw(TEXT)}}[kind]
        events.append({"kind": kind, "attributes": attributes, "date": draw(DATES), "summary": draw(LONG_TEXT),
                       "quote": draw(TEXT)[:300], "other": draw(st.booleans()), "corrected": draw(st.booleans()),
                       "retracted": draw(st.booleans())})
    return events


def publish_random_log(directory, events):
    from timeline import Timeline, TimelineError

    tl = Timeline.init(str(directory / "live.db"))
    tl.add_entity("acme", name="Acme <b>&amp;</b> “Motors”", type="company", aliases=["ACME"])
    tl.add_entity("other", name="Other \u202e\U0001F600", type="person")
    tl.add_source("src", "Source <script>x</script> title", "2025-09-08", url="https://example.com/?a=1&b=<2>")
    tl.add_source("later", "A later source", "2026-03-01", url="https://example.com/later")
    added = []
    for n, event in enumerate(events):
        date, span = event["date"], {}
        if isinstance(date, tuple):
            start, days = date
            end = dt.date.fromordinal(min(start.toordinal() + days, dt.date(9999, 12, 31).toordinal()))
            date, span = "sometime", {"valid_from": start.isoformat(), "valid_to": end.isoformat(), "precision": "approximate"}
        try:
            added.append(tl.add("acme", event["kind"], date, event["summary"], event["quote"], "src",
                                attributes=event["attributes"], id=f"acme/e{n}", **span,
                                counterparty="other" if event["other"] and event["kind"] in ("leadership", "investment") else None))
        except TimelineError:
            continue  # a value the log refuses: nothing to show
    for n, (event, event_id) in enumerate(zip(events, added)):
        try:
            if event["corrected"]:
                event_id = tl.correct(event_id, "restated", "later", summary=event["summary"][::-1] or "x")
            if event["retracted"]:
                tl.retract(event_id, "withdrawn", "later")
        except TimelineError:
            continue
    out = directory / "site" / "timeline.db"
    out.parent.mkdir(exist_ok=True)
    tl.publish(str(out))
    tl.engine.dispose()
    return out


PAGES = ["/-/timeline", "/-/timeline.json", "/-/timeline.atom", "/-/timeline/acme", "/-/timeline/acme.json",
         "/-/timeline/acme?known_at=2025-09-08&as_of=2025-01-01", "/-/timeline/acme.json?known_at=2025-12-31",
         "/-/timeline/acme?order=oldest&kind=financial_result&year=2025", "/-/timeline/acme?from_year=1000&to_year=9999",
         "/-/timeline/acme/statement", "/-/timeline/acme/statement.csv", "/-/timeline/acme/statement.json",
         "/-/timeline/acme/timeline.svg", "/-/timeline/acme/timeline.svg?from_year=2025&to_year=2025",
         "/-/timeline/acme/changes", "/-/timeline/acme/changes.json?from=2025-09-08&to=2026-03-01",
         "/-/timeline/acme.atom", "/-/timeline/other", "/-/timeline/other.json", "/-/timeline/-/search?q=a",
         "/-/timeline/-/search.json?q=%22x", "/timeline/newest_events.atom", "/timeline/events", "/timeline/timeline"] + \
        [f"/timeline/{name}" for name in CANNED] + [f"/timeline/{name}.json?entity=acme&q=a&as_of=2025-01-01&known_at="
                                                     f"2025-09-08&source=src&metric=revenue" for name in CANNED]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(logs())
def test_every_page_answers_any_log_the_log_accepts(events):
    with tempfile.TemporaryDirectory() as directory:
        ds = server.datasette_for(publish_random_log(Path(directory), events), METADATA)

        async def fetch_all():
            return [(path, await ds.client.get(path)) for path in PAGES]

        for path, response in asyncio.run(fetch_all()):
            assert response.status_code == 200, f"{path}: {response.status_code}\n{response.text[:1500]}"
            if path.endswith(".atom") or ".svg" in path:
                ET.fromstring(response.content)
            if ".json" in path:
                response.json()
