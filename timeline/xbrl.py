"""Numbers from filings: an SEC "companyfacts" document as events, and how they compare.

The SEC publishes every XBRL fact a company filed as one JSON document,
https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json:

    {"cik": 1640147, "entityName": "SNOWFLAKE INC.",
     "facts": {"us-gaap": {"Revenues": {"label": …, "units": {"USD": [
         {"start": "2024-02-01", "end": "2024-04-30", "val": 828709000,
          "accn": "0001640147-24-000135", "fy": 2025, "fp": "Q1", "form": "10-Q",
          "filed": "2024-05-31", "frame": "CY2024Q1"}, …]}}}, "dei": {…}, "ifrs-full": {…}}}

Each record is one of our events: `start`–`end` is the valid time, `filed`
the "known at" time, `accn` the filing it cites.  `fy`, `fp` and `frame`
are not read: `fy`/`fp` describe the filing, not the fact (a 10-K's
comparatives carry the 10-K's year), and `frame` is the SEC's own
calendarisation.

How `ingest` reads a document (`plan`, pure: no database):

- a concept counts when a metric lists it under `xbrl` (metrics.yml, or a
  metric a curator added); the others are counted and listed, never guessed;
- its unit must fit the metric's unit kind: an ISO currency the vocabulary
  knows for `currency`, CUR/shares (stored as CUR/share) for `per_share`,
  `shares`, `pure` or a count noun for `count`; anything else is counted and
  skipped;
- a duration fact is a flow over start–end, an instant fact a stock on `end`;
  a fact whose period type does not fit its metric is skipped.  The precision
  is the span's length: about a month, a quarter (84–98 days), a half
  (175–189) or a year (357–371), so 52/53-week periods count; any other span
  (a 9-month year-to-date) keeps its exact dates at precision `day`, so it
  never stands for a quarter or a year;
- several concepts of one metric for one period: the first in the metric's
  `xbrl` list wins (the citation names it); several currencies of one concept
  and period (a convenience translation): the one the log already holds, else
  the one the concept uses most;
- the filings that report a figure, in order of filing: the first gives the
  event, a later one with the same value is a comparative (unchanged), a later
  one with another value a restatement (a correction that supersedes the
  standing event, citing the later filing: `…/xbrl/v2`, `/v3`…).  Amendments
  (10-K/A, 20-F/A) are filings like any other.

Re-reading what the log holds adds nothing: the event ids are
`<entity>/<period slug>/<metric>/xbrl`, and each figure continues from the
last filing its events cite, so a newer document adds only what is new.  A
filed event a curator retracted is left alone.

Filed events are told apart from curated ones by their source (document_type
`filing`, key `sec-<cik>-<accession>`) and their id (`…/xbrl`, `…/xbrl/vN`);
`compare` pairs, for one entity, every standing curated figure with the
standing filed figure of the same metric, series and period.
"""
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa

from . import dates, display, schema
from .errors import TimelineError
from .loading import load_events
from .results import Result
from .validation import MAX_QUOTE, XBRL_CONCEPT
from .vocabulary import MAX_AMOUNT

ACCESSION = re.compile(r"^\d{10}-\d{2}-\d{6}$")
UNIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,39}$")
SOURCE_KEY = re.compile(r"^sec-(\d+)-(\d{10}-\d{2}-\d{6})$")
FILED_ID = re.compile(r"/xbrl(?:/v(\d+))?$")
PUBLISHER = "U.S. Securities and Exchange Commission (EDGAR)"
# days a duration spans -> the precision it is read at (52/53-week periods included)
SPANS = (("month", 28, 31), ("quarter", 84, 98), ("half", 175, 189), ("year", 357, 371))
ALL_MAPPED = "all-mapped"
MAX_BYTES = 256 * 2**20  # the largest companies' documents are tens of MB
SKIPS = {  # why a fact of a mapped concept gave no event: "skipped N facts …"
    "not_selected": "of concepts not among --concepts",
    "unit": "in units that do not fit their metric",
    "period_type": "whose period does not fit their metric (an instant for a flow, a duration for a stock)",
    "other_concept": "of a concept later in the metric's xbrl list than one reporting the same period",
    "other_unit": "in a second currency of a figure (a convenience translation)",
    "conflicting": "from filings that give two values for one figure",
    "held": "of figures whose filed event a curator retracted",
}


# ---- what ingest returns ----

@dataclass
class IngestReport(Result):
    """What one `ingest xbrl` did, fact by fact: every fact read is counted once, as
    added (it gave an event), unchanged, skipped (by reason) or unmapped."""
    path: str
    cik: int
    entity_name: str
    entity: str
    facts: int = 0
    added: int = 0
    restatements: int = 0
    filings: int = 0
    unchanged: int = 0
    skipped: dict = field(default_factory=dict)
    skipped_units: dict = field(default_factory=dict)
    unmapped_facts: int = 0
    unmapped_concepts: list = field(default_factory=list)
    event_ids: list = field(default_factory=list)

    def summary(self, shown=10):
        lines = [f"{self.entity_name} (CIK {self.cik}) as {self.entity}: {_count(self.facts, 'fact')} read",
                 f"  added {_count(self.added, 'event')} ({_count(self.restatements, 'restatement')}) citing "
                 f"{_count(self.filings, 'new filing')}; {_count(self.unchanged, 'fact')} unchanged"]
        for reason, count in self.skipped.items():
            detail = ""
            if reason == "unit":
                detail = " (" + ", ".join(f"{unit} {n:,}" for unit, n in self.skipped_units.items()) + ")"
            lines.append(f"  skipped {_count(count, 'fact')} {SKIPS[reason]}{detail}")
        if self.unmapped_concepts:
            listed = ", ".join(self.unmapped_concepts[:shown])
            more = f", … ({len(self.unmapped_concepts) - shown} more; --json lists all)" \
                if len(self.unmapped_concepts) > shown else ""
            lines.append(f"  unmapped: {_count(len(self.unmapped_concepts), 'concept')}, "
                         f"{_count(self.unmapped_facts, 'fact')} ({listed}{more})")
        return "\n".join(lines)


def _count(n, noun):
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@dataclass
class Comparison(Result):
    """A curated figure and the filed figure for the same metric, series and period, both standing.

    `agree`: whether the filed figure is the curated one as the curated
    source wrote it — rounded to its last significant digit (155.6 million
    agrees with 155,634,000, not with 155,660,000), or on the right side of
    its qualifier (over, under, at least, at most, up to); None when the two
    are in different units or the curated figure is only about/close to/nearly.
    """
    entity: str
    metric: str
    series: str
    period: str
    valid_from: str
    valid_to: str
    precision: str
    curated: object
    curated_unit: str
    curated_qualifier: str
    curated_event: str
    curated_source: str
    curated_reported_on: str
    filed: object
    filed_unit: str
    filed_event: str
    filed_source: str
    filed_reported_on: str
    difference: object
    agree: object


# ---- reading a companyfacts document ----

@dataclass(frozen=True)
class Fact:
    concept: str  # taxonomy:Name
    unit: str  # as the SEC writes it: USD, USD/shares, shares, pure
    start: str  # None for an instant
    end: str
    val: object  # int or Decimal, as the document wrote it
    accn: str
    form: str
    filed: str


@dataclass
class Document:
    path: str
    cik: int
    entity_name: str
    concepts: dict  # taxonomy:Name -> {unit: [raw fact mappings]}
    facts: int


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def read_document(path):
    """The companyfacts document at `path`, its shape checked; TimelineError naming the problem."""
    where = str(path)
    try:
        path = Path(path)
        if path.exists() and not path.is_dir() and not path.is_file():
            raise TimelineError("not a regular file (a device or a pipe is no document)", where)
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise TimelineError(f"larger than {MAX_BYTES // 2**20} MB: not a companyfacts document", where)
    except OSError as error:  # missing, a directory, unreadable, a name too long
        raise TimelineError(error.strerror or str(error), where) from None
    except ValueError:  # a NUL or a lone surrogate: no file has such a name
        raise TimelineError("no file can have this name", repr(where)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TimelineError("not UTF-8 text, so not a companyfacts JSON document", where) from None
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise TimelineError(f"not valid JSON (line {error.lineno} column {error.colno}: {error.msg}); "
                            "a truncated download?", where) from None
    except (ValueError, RecursionError) as error:
        raise TimelineError(f"not valid JSON ({str(error).splitlines()[0][:120]})", where) from None
    return _check_document(document, where)


def _check_document(document, where):
    if not isinstance(document, dict):
        raise TimelineError("not an SEC companyfacts document (the JSON is not an object)", where)
    if "facts" not in document:
        known = {"data": "a frames document (one concept across companies)",
                 "units": "a companyconcept document (one concept of one company)",
                 "filings": "a submissions document (the filing index)"}
        kind = next((what for key, what in known.items() if key in document), None)
        found = f"{kind}, not companyfacts" if kind else "it has no 'facts'"
        raise TimelineError(f"not an SEC companyfacts document: {found} "
                            "(download https://data.sec.gov/api/xbrl/companyfacts/CIK##########.json)", where)
    cik = document.get("cik")
    if isinstance(cik, str) and cik.isdigit():
        cik = int(cik)
    if not isinstance(cik, int) or isinstance(cik, bool) or not 0 < cik < 10**10:
        raise TimelineError(f"not an SEC companyfacts document: cik {_short(document.get('cik'))} "
                            "is not a CIK number", where)
    name = document.get("entityName")
    if not isinstance(name, str) or not name.strip() or len(name) > 300 or not _plain(name):
        raise TimelineError(f"not an SEC companyfacts document: entityName {_short(name)} is not a company name",
                            where)
    facts = document["facts"]
    if not isinstance(facts, dict):
        raise TimelineError("not an SEC companyfacts document: 'facts' is not an object", where)
    concepts, count = {}, 0
    for taxonomy, named in facts.items():
        if not isinstance(named, dict):
            raise TimelineError(f"facts.{_short(taxonomy)} is not an object of concepts", where)
        for concept, spec in named.items():
            if not XBRL_CONCEPT.match(f"{taxonomy}:{concept}"):
                raise TimelineError(f"facts: {_short(f'{taxonomy}:{concept}')} is not a concept name "
                                    "(taxonomy:Name, as us-gaap:Revenues)", where)
            place = f"facts.{taxonomy}.{concept}"
            units = spec.get("units") if isinstance(spec, dict) else None
            if not isinstance(units, dict):
                raise TimelineError(f"{place} has no 'units' object", where)
            for unit, records in units.items():
                if not UNIT.match(unit):
                    raise TimelineError(f"{place}.units: {_short(unit)} is not a unit name (USD, USD/shares, "
                                        "shares, pure…)", where)
                if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                    raise TimelineError(f"{place}.units.{unit} is not a list of facts", where)
                count += len(records)
            concepts[f"{taxonomy}:{concept}"] = units
    return Document(where, cik, " ".join(name.split()), concepts, count)


def _fact(concept, unit, index, raw, where):
    """A fact of a mapped concept, every field checked: the numbers we store must be sound."""
    place = f"facts.{concept.replace(':', '.', 1)}.units.{unit}[{index}]"

    def fail(problem):
        return TimelineError(f"{place}: {problem}", where)

    def day(name, required=True):
        value = raw.get(name)
        if value is None and not required:
            return None
        try:
            return dates.parse_iso(value).isoformat()
        except dates.DateError:
            raise fail(f"{name} {_short(value)} is not a date (YYYY-MM-DD)") from None

    end, start, filed = day("end"), day("start", required=False), day("filed")
    if start is not None and start > end:
        raise fail(f"start {start} is after end {end}")
    val = raw.get("val")
    if isinstance(val, bool) or not isinstance(val, (int, Decimal)):
        raise fail(f"val {_short(val)} is not a number")
    try:
        finite = val.is_finite() if isinstance(val, Decimal) else True
        if not finite or abs(val) > MAX_AMOUNT:
            raise fail(f"val {_short(val)} is not a finite number of at most 10^18")
    except InvalidOperation:
        raise fail(f"val {_short(val)} is not a number") from None
    accn = raw.get("accn")
    if not isinstance(accn, str) or not ACCESSION.match(accn):
        raise fail(f"accn {_short(accn)} is not an accession number (0001234567-25-000123)")
    form = raw.get("form")
    if not isinstance(form, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ./-]{0,19}", form):
        raise fail(f"form {_short(form)} is not a form type (10-K, 20-F/A…)")
    return Fact(concept, unit, start, end, val, accn, form, filed)


# ---- periods, units, values ----

def period_of(fact):
    """(valid_from, valid_to, precision, how it was read) of a fact's period."""
    if fact.start is None:
        return fact.end, fact.end, "day", "the instant of the XBRL fact"
    import datetime as dt
    days = (dt.date.fromisoformat(fact.end) - dt.date.fromisoformat(fact.start)).days + 1
    for precision, low, high in SPANS:
        if low <= days <= high:
            return fact.start, fact.end, precision, f"the period of the XBRL fact ({days} days, a {precision})"
    return (fact.start, fact.end, "day",
            f"the period of the XBRL fact ({days} days: not a month, quarter, half or year, so kept as its dates)")


def our_unit(sec_unit, metric_key, metric_unit, vocab):
    """The unit we store for a fact in `sec_unit` of a metric measured in `metric_unit`, or None."""
    currencies = vocab.units["currencies"]
    counts = vocab.units["counts"]
    if metric_unit == "currency":
        return sec_unit if sec_unit in currencies else None
    if metric_unit == "per_share":
        match = re.fullmatch(r"([A-Z]{3})/shares?", sec_unit)
        return f"{match[1]}/share" if match and match[1] in currencies else None
    if metric_unit == "count":
        if sec_unit == "pure":  # a bare number: a count of what the metric counts
            return metric_key if metric_key in counts else "units"
        for candidate in (sec_unit.lower(), sec_unit.lower() + "s"):
            if candidate in counts:
                return candidate
    return None


def amount_of(val):
    """The stored number: an int when whole (155634000), else a float (0.28)."""
    if isinstance(val, int):
        return val
    if val == val.to_integral_value():
        return int(val)
    return float(val)


def filed_id(entity, valid_from, valid_to, precision, metric):
    """The id of a figure's first filed event; its restatements are `…/v2`, `…/v3`."""
    return f"{entity}/{dates.slug(valid_from, valid_to, precision)}/{metric}/xbrl"


def source_key(cik, accn):
    return f"sec-{cik}-{accn}"


def filing_url(cik, accn):
    return f"https://www.sec.gov/Archives/edgar/data/{cik}/{accn.replace('-', '')}/{accn}-index.htm"


def citation(fact):
    """The machine citation that stands in for a quote: concept, unit, period, value, accession."""
    period = fact.end if fact.start is None else f"{fact.start}/{fact.end}"
    text = f"XBRL {fact.concept} [{fact.unit}] {period} = {fact.val} (accession {fact.accn}, {fact.form})"
    if len(text) > MAX_QUOTE:
        raise TimelineError(f"the citation of {fact.concept} is {len(text)} characters long; "
                            f"a quote holds at most {MAX_QUOTE}")
    return text


# ---- the plan: which events a document adds to what the log holds ----

@dataclass
class Figure:
    """One metric of one period: the facts that report it, chosen and ordered."""
    metric: str
    valid_from: str
    valid_to: str
    precision: str
    how: str
    candidates: list = field(default_factory=list)  # (rank of concept in the metric's list, Fact, our unit)


def mapped_concepts(vocab):
    """{taxonomy:Concept: [metric keys that list it]}, in the vocabulary's order."""
    mapped = defaultdict(list)
    for key, spec in vocab.metrics.items():
        for concept in spec.get("xbrl") or []:
            mapped[concept].append(key)
    return dict(mapped)


def selected_concepts(concepts, mapped):
    """The concepts --concepts names (a comma-separated list), or None for all mapped ones."""
    if concepts is None or concepts.strip() == ALL_MAPPED:
        return None
    names = [part.strip() for part in concepts.split(",") if part.strip()]
    if not names:
        raise TimelineError(f"--concepts is empty: give concepts (us-gaap:Revenues,ifrs-full:Revenue) or {ALL_MAPPED}")
    for name in names:
        if not XBRL_CONCEPT.match(name):
            raise TimelineError(f"--concepts: {name!r} is not a concept like us-gaap:Revenues")
        if name not in mapped:
            from .errors import did_you_mean
            raise TimelineError(f"--concepts: {name} is not mapped to any metric{did_you_mean(name, mapped)} "
                                "(a metric lists its concepts under xbrl; add one with `timeline metric add --xbrl`)")
    return set(names)


def plan(document, entity, entity_name, vocab, chains, concepts=None):
    """The events `document` adds for `entity`, given the filed events the log holds.

    `chains`: {base id: [stored events of that figure: the base and its
    versions, with `_status`]} (see `stored_chains`).  Returns (report, new
    events as bundle mappings, {source key: source mapping}) — nothing is
    written here.
    """
    report = IngestReport(path=document.path, cik=document.cik, entity_name=document.entity_name, entity=entity,
                          facts=document.facts)
    skipped, skipped_units = Counter(), Counter()
    mapped = mapped_concepts(vocab)
    selected = selected_concepts(concepts, mapped)
    figures = {}
    unit_use = defaultdict(Counter)  # concept -> {our unit: facts}, to pick a concept's main currency
    unmapped = Counter()
    for concept, units in document.concepts.items():
        count = sum(len(records) for records in units.values())
        if concept not in mapped:
            unmapped[concept] += count
            continue
        facts = [(unit, _fact(concept, unit, index, raw, document.path))
                 for unit, records in units.items() for index, raw in enumerate(records)]
        if selected is not None and concept not in selected:
            skipped["not_selected"] += count
            continue
        for metric in mapped[concept]:
            spec = vocab.metrics[metric]
            rank = spec["xbrl"].index(concept)
            for unit, fact in facts:
                ours = our_unit(unit, metric, spec["unit"], vocab)
                if ours is None:
                    skipped["unit"] += 1
                    skipped_units[unit] += 1
                    continue
                if (fact.start is None) != (spec["type"] == "stock"):
                    skipped["period_type"] += 1
                    continue
                valid_from, valid_to, precision, how = period_of(fact)
                figure = figures.setdefault((metric, valid_from, valid_to),
                                            Figure(metric, valid_from, valid_to, precision, how))
                figure.candidates.append((rank, fact, ours))
                unit_use[concept][ours] += 1

    events, sources, spans = [], {}, {}
    for key in sorted(figures):
        figure = figures[key]
        span = (figure.valid_from, figure.valid_to)
        base = filed_id(entity, figure.valid_from, figure.valid_to, figure.precision, figure.metric)
        held = chains.get(base)
        if spans.get(base, span) != span or (held and (held[0]["valid_from"], held[0]["valid_to"]) != span):
            # two spans one name would call alike (fiscal years ending in June and in January 2025
            # are both FY2025, after a change of year end): the second is named by its dates
            base = f"{entity}/{figure.valid_from}-to-{figure.valid_to}/{figure.metric}/xbrl"
        spans[base] = span
        chain = chains.get(base, [])
        for outcome, fact in _walk(figure, chain, unit_use, entity, entity_name, base, events, document, vocab):
            if outcome == "added":
                report.added += 1
            elif outcome == "restated":
                report.added += 1
                report.restatements += 1
            elif outcome == "unchanged":
                report.unchanged += 1
            else:
                skipped[outcome] += 1
            if outcome in ("added", "restated"):
                key_ = source_key(document.cik, fact.accn)
                sources.setdefault(key_, _source(document, fact))
    events.sort(key=lambda e: (e["reported_on"], e["source"], e["id"]))
    report.event_ids = [event["id"] for event in events]
    report.skipped = {reason: skipped[reason] for reason in SKIPS if skipped[reason]}
    report.skipped_units = dict(sorted(skipped_units.items(), key=lambda item: (-item[1], item[0])))
    report.unmapped_concepts = sorted(unmapped)
    report.unmapped_facts = sum(unmapped.values())
    return report, events, sources


def _walk(figure, chain, unit_use, entity, entity_name, base, events, document, vocab):
    """(outcome, fact) for every candidate fact of one figure, appending the events it adds to `events`."""
    # the concept: first in the metric's xbrl list that reports the period
    best_rank = min(rank for rank, _, _ in figure.candidates)
    chosen = []
    for rank, fact, unit in figure.candidates:
        if rank != best_rank:
            yield "other_concept", fact
        else:
            chosen.append((fact, unit))
    # the unit: the one the log holds for this figure, else the concept's most used
    units = {unit for _, unit in chosen}
    held_unit = next((e["attributes"]["value"]["unit"] for e in chain if e["attributes"].get("value")), None)
    if held_unit in units:
        unit = held_unit
    else:
        use = unit_use[chosen[0][0].concept]
        unit = min(units, key=lambda u: (-use[u], u))
    by_filing = defaultdict(list)
    for fact, fact_unit in chosen:
        if fact_unit != unit:
            yield "other_unit", fact
        else:
            by_filing[(fact.filed, fact.accn)].append(fact)

    standing, position, version = _chain_state(chain)
    if chain and standing is None:
        for facts in by_filing.values():
            for fact in facts:
                yield "held", fact
        return
    for when in sorted(by_filing):
        facts = by_filing[when]
        values = {amount_of(fact.val) for fact in facts}
        if len(values) > 1:
            for fact in facts:
                yield "conflicting", fact
            continue
        fact, rest = facts[0], facts[1:]
        for other in rest:
            yield "unchanged", other
        amount = amount_of(fact.val)
        if position is not None and when <= position:
            yield "unchanged", fact
            continue
        position = when
        if standing is not None and standing["amount"] == amount and standing["unit"] == unit:
            yield "unchanged", fact
            continue
        version += 1
        event = _event(figure, fact, amount, unit, entity, entity_name, base, version, standing, document, vocab)
        events.append(event)
        yield ("restated" if standing is not None else "added"), fact
        standing = {"id": event["id"], "amount": amount, "unit": unit}


def _chain_state(chain):
    """(standing figure or None, (filed, accession) of the last filing cited, last version number)."""
    if not chain:
        return None, None, 0
    standing, position, version = None, None, 0
    for event in chain:
        match = FILED_ID.search(event["id"])
        version = max(version, int(match[1] or 1))
        cited = SOURCE_KEY.match(event["source"])
        when = (event["reported_on"], cited[2] if cited else "")
        position = when if position is None or when > position else position
        value = event["attributes"].get("value")
        if event["_status"] == "current" and value and "amount" in value:
            standing = {"id": event["id"], "amount": value["amount"], "unit": value["unit"]}
    return standing, position, version


def _event(figure, fact, amount, unit, entity, entity_name, base, version, standing, document, vocab):
    spec = vocab.metrics[figure.metric]
    period = display.period(figure.valid_from, figure.valid_to, figure.precision)
    value = display.quantity(amount, unit)
    filing = f"{fact.form} filed {fact.filed}"
    raw = {
        "id": base if version == 1 else f"{base}/v{version}",
        "entity": entity,
        "kind": "operating_metric" if spec.get("section") == "operations" else "financial_result",
        "date": fact.end if fact.start is None else f"{fact.start} to {fact.end}",
        "valid_from": figure.valid_from, "valid_to": figure.valid_to, "precision": figure.precision,
        "date_note": figure.how,
        "reported_on": fact.filed,
        "attributes": {"metric": figure.metric, "value": {"amount": amount, "unit": unit}},
        "quote": citation(fact),
        "source": source_key(document.cik, fact.accn),
    }
    if standing is None:
        raw["summary"] = f"{entity_name}: {spec['label']} for {period} was {value} ({filing})."
    else:
        was = display.quantity(standing["amount"], standing["unit"])
        raw["summary"] = f"{entity_name}: {spec['label']} for {period} restated to {value} (was {was}) in the {filing}."
        raw["supersedes"] = standing["id"]
        raw["reason"] = f"restated in the {filing} (accession {fact.accn})"
    return raw


def _source(document, fact):
    return {
        "key": source_key(document.cik, fact.accn),
        "title": f"{document.entity_name}, Form {fact.form} filed {fact.filed}",
        "publisher": PUBLISHER,
        "url": filing_url(document.cik, fact.accn),
        "published_on": fact.filed,
        "document_type": "filing",
        "language": "en",
        "note": f"XBRL facts of this filing (accession {fact.accn}, CIK {document.cik}) as the SEC's companyfacts "
                "document gives them",
    }


# ---- reading the log ----

def resolve_entity(registry, document, entity=None):
    """The key of the entity the document is about: `entity` (key, name or alias), else its entityName."""
    if entity:
        return registry.resolve(entity)
    try:
        return registry.resolve(document.entity_name)
    except TimelineError:
        raise TimelineError(
            f"the document is about '{document.entity_name}' (CIK {document.cik}), which the registry does not "
            f"know by that name: give --entity KEY, or add it with `timeline entity add KEY "
            f"--name '{document.entity_name}' --type company`", document.path) from None


def stored_chains(conn, entity):
    """{base id: [the entity's filed events of that figure, in seq order, each with `_status`]}."""
    events = schema.events
    found = load_events(conn, sa.and_(events.c.entity == entity, events.c.id.like(f"{entity}/%/xbrl%")))
    if not found:
        return {}
    status = schema.event_status
    statuses = dict(conn.execute(sa.select(status.c.event_id, status.c.status).where(status.c.entity == entity)).all())
    chains = defaultdict(list)
    for event in found:
        match = FILED_ID.search(event["id"])
        if not match or event.get("retracts"):
            continue
        event["_status"] = statuses.get(event["id"], "current")
        chains[event["id"][:match.start()] + "/xbrl"].append(event)
    return dict(chains)


def is_filed(event_id, document_type):
    """Whether a figure came from a filing's XBRL (not a curator's reading of a document)."""
    return document_type == "filing" and FILED_ID.search(event_id or "") is not None


def compare(conn, entity):
    """[Comparison] for `entity` (a key): every standing curated figure beside the standing filed
    figure of the same metric, series and period.  Works on the live log and on a published file."""
    mh, sources = schema.metric_history, schema.sources
    query = (sa.select(mh, sources.c.document_type).join(sources, sources.c.key == mh.c.source_key)
             .where(mh.c.entity == entity, mh.c.amount.is_not(None)))
    curated, filed = defaultdict(list), defaultdict(list)
    for row in conn.execute(query):
        row = row._mapping
        group = (row["metric"], row["series"], row["valid_from"], row["valid_to"])
        (filed if is_filed(row["event_id"], row["document_type"]) else curated)[group].append(row)
    found = []
    for group in sorted(set(curated) & set(filed)):
        for c in sorted(curated[group], key=lambda r: r["seq"]):
            for f in sorted(filed[group], key=lambda r: r["seq"]):
                same_unit = c["unit"] == f["unit"]
                found.append(Comparison(
                    entity=entity, metric=c["metric"], series=c["series"],
                    period=display.period(c["valid_from"], c["valid_to"], f["precision"]),
                    valid_from=c["valid_from"], valid_to=c["valid_to"], precision=f["precision"],
                    curated=_number(c["amount"]), curated_unit=c["unit"], curated_qualifier=c["qualifier"],
                    curated_event=c["event_id"], curated_source=c["source_key"], curated_reported_on=c["reported_on"],
                    filed=_number(f["amount"]), filed_unit=f["unit"], filed_event=f["event_id"],
                    filed_source=f["source_key"], filed_reported_on=f["reported_on"],
                    difference=_number(f["amount"] - c["amount"]) if same_unit else None,
                    agree=agrees(c["amount"], c["qualifier"], f["amount"]) if same_unit else None))
    return found


def tolerance(amount):
    """Half a unit of the last significant digit of a figure as written: 155600000 -> 50000, 0.17 -> 0.005.

    The same arithmetic (IEEE doubles, SQLite's text of a REAL) as the
    `filed_vs_curated` canned query, which restates it in SQL.
    """
    amount = float(amount)
    if amount == 0:
        return 0.0
    if amount.is_integer():
        digits = str(int(amount))
        return 0.5 * 10 ** (len(digits) - len(digits.rstrip("0")))
    text = f"{amount:.15g}"
    if "e" in text:
        return 0.0
    return 0.5 / 10 ** (len(text) - text.index(".") - 1)


def agrees(curated, qualifier, filed):
    """Whether a filed figure is what a curated one (as written, with its qualifier) says; None if it cannot tell."""
    curated, filed = float(curated), float(filed)
    if qualifier in ("about", "close_to", "nearly"):
        return None
    if qualifier == "over":
        return filed > curated
    if qualifier == "at_least":
        return filed >= curated
    if qualifier == "under":
        return filed < curated
    if qualifier in ("at_most", "up_to"):
        return filed <= curated
    return abs(filed - curated) <= tolerance(curated)


def _number(amount):
    if isinstance(amount, float) and amount.is_integer() and abs(amount) < 2**53:
        return int(amount)
    return amount


def _plain(text):
    """Text a title and a message may show: no control or format characters, no lone surrogates."""
    return all(unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn") for char in text)


def _short(value):
    text = repr(str(value) if isinstance(value, Decimal) else value)
    return text if len(text) <= 40 else text[:37] + "..."

