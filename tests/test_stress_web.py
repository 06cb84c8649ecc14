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
  and the JSON API: no errors; p50/p99 latencies are printed, never asserted;
- three attackers (a gigabyte blob, a row of sixty heavy calls, the heaviest
  calls the SQLite limits allow, row after row) get errors while an honest
  client's requests all succeed; the timings are printed;
- one entity with 10,000 events: every page of it answers with a bounded page.
"""
import asyncio
import hashlib
import statistics
import time
import urllib.parse

import httpx
import pytest

from bench import synth

from .conftest import ROOT, Cli
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


# ---- three attackers and one honest client ----

ATTACKS = {
    # a gigabyte in one call: refused at once by SQLITE_LIMIT_LENGTH
    "allocate 1 GB": "select randomblob(999999999)",
    # one row of heavy calls (60 s against a 3 s limit before the limits): refused at once
    "60 heavy calls in one row": "select " + " + ".join(["length(hex(randomblob(100000000)))"] * 60),
    # as heavy as the limits allow, row after row (each row scans an 18 KB text for an 8 KB one): stopped by
    # the time limit, which is checked every few VM steps rather than every 1000
    "heavy calls within the limits": "with recursive n(i) as (select 1 union all select i + 1 from n where i < 10000000) "
        "select sum(instr(hex(zeroblob(9000 + i % 7)), substr(hex(zeroblob(9000)), 1, 8000) || '1')) from n",
}
HONEST = [
    f"/-/timeline/{ENTITY}",
    f"/-/timeline/{ENTITY}/statement",
    f"/-/timeline/{ENTITY}.json",
    f"/timeline/entity_timeline.json?entity={ENTITY}",
    f"/timeline/state_as_of.json?entity={ENTITY}&as_of=2019-06-30",
]
ROUNDS = 4  # requests per attacker


def test_attackers_get_errors_while_an_honest_client_is_served(site):
    """Three threads send the attacks above, ROUNDS each; a fourth fetches real pages until they are done.
    Every attack must end in an error, every honest request in a 200; the timings are printed."""
    import threading

    base, _ = site
    attacks, honest, failures = {name: [] for name in ATTACKS}, [], []
    done = threading.Event()

    def attacker(name, query):
        with httpx.Client(timeout=120) as http:
            for _ in range(ROUNDS):
                started = time.monotonic()
                response = http.get(sql(base, query))
                attacks[name].append((response.status_code, time.monotonic() - started, response.text[:3000]))

    def client():
        with httpx.Client(timeout=120) as http:
            turn = 0
            deadline = time.monotonic() + 300
            while not done.is_set() and time.monotonic() < deadline:
                url = HONEST[turn % len(HONEST)]
                turn += 1
                started = time.monotonic()
                response = http.get(base + url)
                honest.append((url, response.status_code, time.monotonic() - started))
                if response.status_code != 200:
                    failures.append(f"{url}: HTTP {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=attacker, args=item) for item in ATTACKS.items()]
    helper = threading.Thread(target=client)
    helper.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    done.set()
    helper.join(timeout=300)

    print(f"\nthree attackers ({ROUNDS} requests each) and one honest client, on a {EVENTS:,}-event site:")
    for name, seen in attacks.items():
        times = sorted(t for _, t, _ in seen)
        print(f"  attack {name:<32} HTTP {sorted({s for s, _, _ in seen})}  "
              f"median {statistics.median(times):5.2f} s  max {times[-1]:5.2f} s")
    for url in HONEST:
        times = sorted(t for seen, _, t in honest if seen == url) or [0.0]
        print(f"  honest {url:<58} {len(times):>4} requests  median {statistics.median(times):5.2f} s  max {times[-1]:5.2f} s")
    for name, seen in attacks.items():
        assert len(seen) == ROUNDS and all(status >= 400 for status, _, _ in seen), (name, seen)
    assert "too big" in attacks["allocate 1 GB"][0][2] and "too big" in attacks["60 heavy calls in one row"][0][2]
    assert all("too long" in text.lower() for _, _, text in attacks["heavy calls within the limits"]), \
        attacks["heavy calls within the limits"]
    assert honest and failures == [], failures[:5]


# ---- one entity with 10,000 events: every page stays bounded ----

def one_entity_log(path, events=10_000, sources=200):
    """A synthetic log whose every event is about one entity (bench.synth's probe generator)."""
    import json

    gen = synth._Generator(60, 7, only=synth.PROBE)
    with open(path, "w", encoding="utf-8") as out:
        for record in synth.entity_records(60):
            out.write(json.dumps(record) + "\n")
        for number in range(sources):
            for record in synth._document(gen, number, sources, events // sources):
                out.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="module")
def one_entity(tmp_path_factory):
    directory = tmp_path_factory.mktemp("oneentity")
    cli = Cli(directory / "timeline.db")
    cli.ok("init")
    cli.ok("import", one_entity_log(directory / "one.jsonl"))
    out = directory / "site" / "timeline.db"
    out.parent.mkdir()
    cli.ok("publish", out)
    return out


def test_a_ten_thousand_event_entity_renders_bounded_pages(one_entity):
    from timeline.web import server

    ds = server.datasette_for(one_entity, ROOT / "metadata.yml")
    entity = synth.PROBE
    pages = [f"/-/timeline/{entity}", f"/-/timeline/{entity}.json", f"/-/timeline/{entity}?page=200",
             f"/-/timeline/{entity}?kind=financial_result&year=2019", f"/-/timeline/{entity}/statement",
             f"/-/timeline/{entity}/statement.csv", f"/-/timeline/{entity}/timeline.svg",
             f"/-/timeline/{entity}/timeline.svg?from_year=2012&to_year=2025", f"/-/timeline/{entity}/changes",
             f"/-/timeline/{entity}.atom", "/-/timeline"]

    async def fetch():
        found = []
        for path in pages:
            started = time.monotonic()
            response = await ds.client.get(path)
            found.append((path, response, time.monotonic() - started))
        return found

    print(f"\none entity with {EVENTS:,} events:")
    for path, response, elapsed in asyncio.run(fetch()):
        print(f"  {path:<58} {len(response.content) / 1024:7.0f} KB  {elapsed:5.2f} s")
        assert response.status_code == 200, (path, response.text[:500])
        assert len(response.content) < 1_500_000, path  # bounded whatever the number of events
    page = asyncio.run(ds.client.get(f"/-/timeline/{entity}")).text
    assert page.count('<li id="event-') == 50 and "page 1 of 200" in page
