"""The published site under a realistic log: 10,000 generated events, `timeline serve` as users run it.

The protections are proved where they matter, on a log big enough for a
careless query to run for hours (10,000 events: a three-way cross join is
10^12 rows):

- a cross join and an endless recursive CTE sent through `/timeline?sql=`
  come back as an error page (the SQL time limit `serve` sets), and the site
  answers the next request normally;
- a query for every event is cut at the row limit;
- the file is served immutable and downloadable, and the downloaded copy
  passes `timeline verify`;
- 50 clients for 20 seconds on the heaviest entity's page, two canned queries
  and the JSON API: no errors; p50/p99 latencies are printed, never asserted.
"""
import asyncio
import hashlib
import statistics
import time
import urllib.parse

import httpx
import pytest

from bench import synth

from .conftest import Cli
from .serving import timeline_serve


EVENTS = 10_000
CLIENTS = 50
SECONDS = 20
ENTITY = synth.HEAVY
URLS = [
    f"/-/timeline/{ENTITY}",
    f"/timeline/entity_timeline?entity={ENTITY}",
    f"/timeline/state_as_of.json?entity={ENTITY}&as_of=2019-06-30",
    f"/timeline/events.json?entity={ENTITY}&_size=100",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bigsite")
    cli = Cli(directory / "timeline.db")
    cli.ok("init")
    cli.ok("import", synth.write_jsonl(directory / "synthetic.jsonl", EVENTS, entities=300))
    out = directory / "site" / "timeline.db"
    with timeline_serve(cli.db, directory, out) as (base, _):
        yield base, out


def sql(base, text, shape=".json"):
    return f"{base}/timeline{shape}?" + urllib.parse.urlencode({"sql": text})


@pytest.mark.parametrize("query, shape", [
    ("select count(*) from events a, events b, events c", ".json"),
    ("with recursive n(x) as (select 1 union all select x + 1 from n) select max(x) from n", ""),
    ("select count(*) from events a join events b on a.summary like '%' || b.entity || '%'", ".json"),
])
def test_heavy_queries_end_in_an_error_page_not_a_hang(site, query, shape):
    base, _ = site
    started = time.monotonic()
    response = httpx.get(sql(base, query, shape), timeout=120)
    elapsed = time.monotonic() - started
    assert response.status_code >= 400, response.text[:300]
    assert "interrupted" in response.text.lower() or "time limit" in response.text.lower(), response.text[:300]
    print(f"\n{query[:50]}…{shape or ' (HTML)'}: refused after {elapsed:.1f} s")
    after = httpx.get(f"{base}/timeline/events.json?_size=1", timeout=60)
    assert after.status_code == 200


def test_every_event_is_cut_at_the_row_limit(site):
    base, _ = site
    body = httpx.get(sql(base, "select * from events"), timeout=60).json()
    assert body["truncated"] is True and len(body["rows"]) == 1000


def test_the_served_file_downloads_intact_and_verifies(site, tmp_path):
    base, out = site
    response = httpx.get(f"{base}/timeline.db", timeout=120)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(out.read_bytes()).hexdigest()
    copy = tmp_path / "downloaded.db"
    copy.write_bytes(response.content)
    assert Cli(copy).ok("verify", copy).startswith(f"ok: {EVENTS} events")


def test_fifty_clients_for_twenty_seconds_on_the_heaviest_entity(site):
    base, _ = site
    for url in URLS:
        assert httpx.get(base + url, timeout=120).status_code == 200, url
    latencies = {url: [] for url in URLS}
    errors = []

    async def client(number, deadline):
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
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
    print(f"\n{CLIENTS} clients for {SECONDS} s on a {EVENTS:,}-event site (127.0.0.1):")
    for url, seen in latencies.items():
        assert seen, url
        cuts = statistics.quantiles(seen, n=100) if len(seen) > 1 else seen * 99
        print(f"  {url:<58} {len(seen):>5} requests  p50 {cuts[49] * 1000:7.1f} ms  p99 {cuts[98] * 1000:7.1f} ms")


def test_the_site_refuses_writes(site):
    base, _ = site
    assert httpx.get(sql(base, "delete from events"), timeout=30).status_code >= 400
