"""Synthetic timeline logs: realistic-looking bundles of any size, deterministic.

`write_jsonl(path, events, entities=2000, seed=0)` writes one JSON Lines
bundle (the format `timeline import` reads and `timeline export` writes,
without the chain columns, so the importer records and hashes every event):
`entities` companies, one source per document of 20-80 events, and events of
a dozen kinds with the date forms sources use ("Q2 2025", "as of June 30,
2025", "April 2024", ISO days, fiscal years).  About 1% of the events are
corrections and 0.3% retractions, so projections have work to do.

Entity `co-0000` is the heavy one: it gets 1% of all events (10,000 in a
1,000,000-event log), for the pages and queries that must not slow down with
an entity's history.  Entity `co-0001` is the probe: it has the same
PROBE_EVENTS events (same ids, dates, values and sources) in a log of any
size, spread through it, so "the state of co-0001 as of D" is the same
question with the same answer in a 10,000- and a 1,000,000-event log, and
the two timings compare the cost of the log's size alone.  Everything is
drawn from random.Random(seed), so the same arguments give the same bytes.
"""
import json
import random
from pathlib import Path

HEAVY = "co-0000"
PROBE = "co-0001"
PROBE_EVENTS = 200
PROBE_SOURCES = 10
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}
CITIES = ("Singapore", "London", "Shanghai", "Hangzhou", "Gothenburg", "Munich", "Detroit", "Tokyo",
          "São Paulo", "上海", "Zürich", "Tel Aviv")
STANDARDS = ("ISO 26262", "ASPICE", "TISAX", "ISO 9001", "ISO/SAE 21434", "IATF 16949")
FLOW_METRICS = ("revenue", "gross_profit", "net_loss", "operating_expenses", "adjusted_ebitda")
STOCK_METRICS = ("cash", "employees", "vehicles_cumulative", "customers", "patents")
STOCK_UNITS = {"cash": "USD", "employees": "employees", "vehicles_cumulative": "vehicles",
               "customers": "customers", "patents": "patents"}


def entity_key(n):
    return f"co-{n:04d}"


def entity_records(count):
    for n in range(count):
        yield {"record": "entity", "key": entity_key(n), "name": f"Company {n:04d} Holdings",
               "type": "company", "aliases": [f"CO{n:04d}", f"Company {n:04d}"], "fiscal_year_end": "12-31"}


class _Generator:
    def __init__(self, entities, seed, only=None):
        self.rng = random.Random(seed)
        self.entities = entities
        self.only = only  # every event is about this entity (the probe)
        self.count = 0
        self.recent = []  # (id, entity, kind) of standing, correctable events, newest last
        self.retracted_or_corrected = set()

    def source(self, number, total):
        rng = self.rng
        # documents are published roughly in order over 2012-2025
        day = 365 * 13 * number // max(total, 1) + rng.randint(0, 30)
        year, day_of_year = 2012 + day // 365, day % 365
        month = min(12, day_of_year // 31 + 1)
        dom = min(28, day_of_year % 31 + 1)
        published = f"{year}-{month:02d}-{dom:02d}"
        primary = self.only or self.other(PROBE)
        key = f"doc-{number:06d}-{primary}" if not self.only else f"probe-{number:03d}"
        return {"key": key, "title": f"{primary} reports results and news ({published})",
                "publisher": rng.choice(("Newswire", "Reuters", "Company press office", "36Kr")),
                "url": f"https://example.com/{key}", "published_on": published}, primary, (year, month, dom)

    def event(self, source, primary, published):
        rng = self.rng
        self.count += 1
        n = self.count
        entity = self.only or (HEAVY if rng.random() < 0.01 else primary)
        year, month, _ = published
        quarter = (month - 1) // 3  # the quarter before publication
        q_year = year if quarter else year - 1
        quarter = quarter or 4
        roll = rng.random()
        if self.recent and roll < 0.013:
            return self.change(source, n)
        event = {"id": f"{entity}/{'p' if self.only else 'e'}{n:07d}", "entity": entity}
        if roll < 0.35:
            metric = rng.choice(FLOW_METRICS)
            amount = rng.randint(1, 5000) * 100000
            event.update(kind="financial_result", date_text=rng.choice((f"Q{quarter} {q_year}", f"{quarter}Q{q_year % 100:02d}")),
                         summary=f"{entity} reported {metric.replace('_', ' ')} of US${amount / 1e6:.1f} million for Q{quarter} {q_year}.",
                         attributes={"metric": metric, "value": {"amount": amount, "unit": "USD"},
                                     "change_yoy": {"amount": rng.randint(-50, 120), "unit": "percent"}})
        elif roll < 0.55:
            metric = rng.choice(STOCK_METRICS)
            end_month, end_day = QUARTER_END[quarter]
            amount = rng.randint(1, 90000) * (1000 if metric == "cash" else 1)
            date = rng.choice((f"as of {MONTHS[end_month - 1]} {end_day}, {q_year}", f"{q_year}-{end_month:02d}-{end_day:02d}"))
            event.update(kind="financial_result" if metric == "cash" else "operating_metric", date_text=date,
                         summary=f"{entity} had {amount:,} {STOCK_UNITS[metric]} of {metric.replace('_', ' ')}.",
                         attributes={"metric": metric, "value": {"amount": amount, "unit": STOCK_UNITS[metric]}})
        elif roll < 0.68:
            product = f"Model {rng.randint(1, 40)}"
            event.update(kind="launch", date_text=f"{MONTHS[month - 1]} {year}",
                         summary=f"{entity} launched {product}.",
                         attributes={"product": product, "stage": rng.choice(("announced", "launched", "mass production"))})
        elif roll < 0.76:
            other = self.other(entity)
            amount = rng.randint(1, 900) * 1000000
            event.update(kind="investment", counterparty=other, date_text=published_iso(published),
                         summary=f"{entity} invested US${amount // 1000000} million in {other}.",
                         attributes={"amount": {"amount": amount, "unit": "USD"},
                                     "price_per_share": {"amount": rng.randint(100, 9999) / 100, "unit": "USD"}})
        elif roll < 0.84:
            other = self.other(entity)
            event.update(kind="partnership", counterparty=other, date_text=f"{MONTHS[month - 1]} {year}",
                         summary=f"{entity} and {other} agreed to work together.",
                         attributes={"scope": "software and hardware for connected vehicles"})
        elif roll < 0.90:
            standard = rng.choice(STANDARDS)
            event.update(kind="certification", date_text=f"{MONTHS[month - 1]} {rng.randint(1, 28)}, {year}",
                         summary=f"{entity} obtained {standard} certification.",
                         attributes={"standard": standard, "level": rng.choice(("ASIL-D", "CL2", "CL3", "AL3"))})
        elif roll < 0.94:
            city = rng.choice(CITIES)
            event.update(kind="headquarters", date_text=published_iso(published),
                         summary=f"{entity} has its headquarters in {city}.", attributes={"location": city})
        elif roll < 0.97:
            amount = rng.randint(10, 9000) * 1000000
            event.update(kind="guidance", date_text=f"FY{year}",
                         summary=f"{entity} expects revenue of about US${amount // 1000000} million in {year}.",
                         attributes={"metric": "revenue", "target": {"amount": amount, "unit": "USD", "qualifier": "about"}})
        else:
            event.update(kind="note", date_text=rng.choice(("the second quarter", "H1 " + str(year), "early " + str(year))),
                         summary=f"{entity} commented on the market — «{rng.randint(0, 999)}» ‏שלום‏ 亿咖通.",
                         attributes={"topic": "market commentary"})
        event["quote"] = f"“{event['summary']}” said the company (ref {n})."
        event["source"] = source
        if event["kind"] not in ("note",):
            self.recent.append((event["id"], entity))
            if len(self.recent) > 5000:
                del self.recent[:2500]
        return event

    def change(self, source, n):
        """A correction (or, one time in four, a retraction) of a recent standing event."""
        rng = self.rng
        index = rng.randrange(len(self.recent))
        target, entity = self.recent.pop(index)
        if rng.random() < 0.25:
            return {"id": f"{target}/retracted", "entity": entity, "kind": "note", "date_text": "the second quarter",
                    "summary": f"Retraction of {target}", "quote": "", "retracts": target,
                    "reason": "the source withdrew the figure", "attributes": {}, "source": source}
        amount = rng.randint(1, 5000) * 100000
        # corrections restate one metric with a day date: simple, and not correctable again
        return {"id": f"{target}/v2", "entity": entity, "kind": "financial_result", "date_text": published_iso((2020, 1, 15)),
                "summary": f"Restated: {entity} cash was US${amount / 1e6:.1f} million.",
                "attributes": {"metric": "cash", "value": {"amount": amount, "unit": "USD"}},
                "quote": f"Restated cash was ${amount / 1e6:.1f} million.", "supersedes": target,
                "reason": "restated in a later filing", "source": source}

    def other(self, entity):
        while True:
            other = entity_key(self.rng.randrange(self.entities))
            if other not in (entity, PROBE):
                return other


def published_iso(published):
    year, month, day = published
    return f"{year}-{month:02d}-{day:02d}"


def records(events, entities=2000, seed=0):
    """The records of a synthetic log: entities, then each source followed by its events."""
    yield from entity_records(entities)
    gen = _Generator(entities, seed)
    sizes, total = [], 0
    main = events - PROBE_EVENTS
    if main < 0:
        raise ValueError(f"a synthetic log holds at least the probe's {PROBE_EVENTS} events")
    while total < main:
        size = min(gen.rng.randint(20, 80), main - total)
        sizes.append(size)
        total += size
    probe = _Generator(entities, seed + 1, only=PROBE)
    probe_at = {len(sizes) * j // PROBE_SOURCES: j for j in range(PROBE_SOURCES)}
    for number, size in enumerate(sizes):
        if number in probe_at:  # the probe's documents, the same in a log of any size
            yield from _document(probe, probe_at[number], PROBE_SOURCES, PROBE_EVENTS // PROBE_SOURCES)
        yield from _document(gen, number, len(sizes), size)


def _document(gen, number, total, size):
    source, primary, published = gen.source(number, total)
    yield {"record": "source", **source}
    ref = {k: source[k] for k in ("key", "title", "publisher", "url", "published_on")}
    for _ in range(size):
        yield {"record": "event", **gen.event(ref, primary, published)}


def write_jsonl(path, events, entities=2000, seed=0):
    """Write a synthetic bundle to `path` (atomically); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for record in records(events, entities, seed):
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
    tmp.replace(path)
    return path

