"""The site under load and under heavy queries, as `timeline serve` runs it:
immutable mode, a SQL time limit and a row limit.  Latencies are reported,
never asserted (benchmarks measure speed; tests check correctness)."""
import asyncio
import statistics
import time
import urllib.parse

import httpx
import pytest

from .conftest import ROOT, Cli
from .serving import timeline_serve

CLIENTS = 50
SECONDS = 20
URLS = [
    "/-/timeline/ecarx",                                  # the plugin's entity page
    "/timeline/entity_timeline.json?entity=ecarx",        # a canned query
    "/timeline/events.json?_size=100&entity=ecarx",       # the JSON API
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("load")
    cli = Cli(directory / "timeline.db")
    cli.ok("init")
    cli.ok("import", ROOT / "events")
    with timeline_serve(cli.db, directory, directory / "site" / "timeline.db") as (base, _):
        yield base


def sql_url(base, sql):
    return f"{base}/timeline.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "objects"})


def test_a_runaway_query_is_stopped_by_the_time_limit(site):
    runaway = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"
    started = time.monotonic()
    response = httpx.get(sql_url(site, runaway), timeout=60)
    elapsed = time.monotonic() - started
    assert response.status_code >= 400
    assert "interrupted" in response.text.lower() or "time limit" in response.text.lower(), response.text[:300]
    print(f"\nrunaway query refused after {elapsed:.1f} s")


def test_a_huge_result_is_cut_at_the_row_limit(site):
    response = httpx.get(sql_url(site, "select e1.seq, e2.seq from events e1, events e2"), timeout=60)
    body = response.json()
    assert response.status_code == 200 and body["truncated"] is True and len(body["rows"]) == 1000


def test_the_site_refuses_writes(site):
    response = httpx.get(sql_url(site, "delete from events"), timeout=30)
    assert response.status_code >= 400
    assert httpx.get(sql_url(site, "select count(*) as n from events"), timeout=30).json()["rows"][0]["n"] >= 150


def test_fifty_clients_for_twenty_seconds_see_no_errors(site):
    latencies = {url: [] for url in URLS}
    errors = []

    async def client(number, deadline):
        async with httpx.AsyncClient(base_url=site, timeout=30) as http:
            turn = number
            while time.monotonic() < deadline:
                url = URLS[turn % len(URLS)]
                turn += 1
                started = time.monotonic()
                try:
                    response = await http.get(url)
                    if response.status_code != 200:
                        errors.append(f"{url}: HTTP {response.status_code}")
                except httpx.HTTPError as error:
                    errors.append(f"{url}: {error!r}")
                latencies[url].append(time.monotonic() - started)

    async def run():
        deadline = time.monotonic() + SECONDS
        await asyncio.gather(*(client(n, deadline) for n in range(CLIENTS)))

    asyncio.run(run())
    assert errors == [], errors[:5]
    print(f"\n{CLIENTS} clients for {SECONDS} s against 127.0.0.1:")
    for url, seen in latencies.items():
        assert seen, url
        quantiles = statistics.quantiles(seen, n=100)
        print(f"  {url:<48} {len(seen):>6} requests  p50 {quantiles[49] * 1000:7.1f} ms  p99 {quantiles[98] * 1000:7.1f} ms")
