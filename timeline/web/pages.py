"""What the plugin's pages show, read from a published file (or a live SQLite log).

Plain functions over a SQLAlchemy connection, one per kind of page, returning
plain data (dicts, lists, text, numbers): the views render it with a template
or write it as JSON, CSV or Atom, so tests and other front ends can call them
without Datasette.

Where each answer comes from (docs/architecture.md):
- which events stand, now or as known at a date: `queries.events_about` and
  `queries.state` (by `timeline.rules`), so the state, the statement, the
  charts, the relationships and the event list all agree with `timeline show`;
- the latest and first report of a metric for a period: `rules.metric_row`,
  `rules.metric_group`, `rules.report_order`;
- labels, sections and chart flags of metrics, kind descriptions: the log's
  vocabulary (`vocabulary.for_connection`);
- how values and dates read: `timeline.display`.
"""
import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa
from datasette.utils import escape_fts

from .. import dates, display, queries, rules, vocabulary
from ..chain import canonical_json, sha256_hex
from ..errors import TimelineError
from ..registry import fold, lookup
from ..validation import EVENT_CONTENT
from . import charts

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_CHARTS = 12
STATEMENT_COLUMNS = 12
FEED_SIZE = 50
SEARCH_SIZE = 50
TIMELINE_MARKS = 400
MAX_FACET_VALUES = 100
MAX_RELATIONSHIPS = 50  # the most recent; the relationships_of query has them all
MAX_ROW_EVENTS, MAX_ROW_SOURCES = 6, 3  # links a state row shows (its count says how many more)
METRIC_KINDS = vocabulary.METRIC_KINDS
REPORTED_KINDS = vocabulary.REPORTED_KINDS

SECTIONS = (
    ("company", "Company"), ("financials", "Financials"), ("operations", "Operations"),
    ("products", "Products and launches"), ("facilities", "Facilities and headquarters"),
    ("people", "People"), ("relationships", "Relationships"),
    ("certifications", "Certifications and awards"), ("guidance", "Guidance"), ("other", "Other facts"),
)
KIND_SECTIONS = {
    "guidance": "guidance", "launch": "products", "design_win": "products",
    "facility_opening": "facilities", "headquarters": "facilities",
    "leadership": "people", "founding": "company", "listing": "company",
    "certification": "certifications", "award": "certifications",
    "investment": "relationships", "funding": "relationships", "acquisition": "relationships",
    "ownership": "relationships", "partnership": "relationships", "contract_win": "relationships",
    "customer": "relationships",
}
# what the counterparty is to the entity, in words ("Lotus Technology: investee")
ROLE_WORDS = {"founded": "founded by it", "owned": "owned by it", "acquired": "acquired by it",
              "acquirer": "its acquirer", "owner": "owner", "founder": "founder"}
TELLING_KINDS = ("design_win", "contract_win")  # the kinds a relationship's role does not already say
FOLDED_SECTIONS = ("facilities", "certifications", "products", "company")
# the lanes of the visual timeline, and which kinds each holds
LANES = (
    ("results", "Results", ("financial_result", "operating_metric")),
    ("guidance", "Guidance", ("guidance",)),
    ("products", "Products", ("launch", "design_win")),
    ("deals", "Deals and customers", ("investment", "funding", "acquisition", "ownership", "partnership",
                                      "contract_win", "customer")),
    ("sites", "Sites", ("facility_opening", "headquarters")),
    ("people", "People", ("leadership", "founding")),
    ("recognition", "Listings, awards", ("certification", "award", "listing")),
    ("notes", "Notes", ("note",)),
)
LANE_OF = {kind: lane for lane, _, kinds in LANES for kind in kinds}
PERIOD_TYPES = (("quarter", "Quarters"), ("half", "Half years"), ("year", "Years"), ("month", "Months"),
                ("day", "Points in time"), ("approximate", "Other spans"))
CADENCE = {"quarter": "quarterly", "half": "half-yearly", "year": "annual", "month": "monthly",
           "day": "by date", "approximate": "over the span"}
FILTERS = ("kind", "source", "counterparty", "year")
QUALIFIER_MARKS = {"over": ">", "at_least": "≥", "under": "<", "at_most": "≤", "up_to": "≤",
                   "about": "≈", "close_to": "≈", "nearly": "≈"}


class BadRequest(ValueError):
    """A query parameter the page cannot use; the view answers 400 with this message."""


def _rows(conn, sql, **params):
    return _dicts(conn.execute(sa.text(sql), params))


def _dicts(result):
    """The rows of `result` as dicts (all fetched at once, zipped with the column names: a page may
    read thousands)."""
    names = list(result.keys())
    return [dict(zip(names, row)) for row in result.all()]


def _one(conn, sql, **params):
    rows = _rows(conn, sql, **params)
    return rows[0] if rows else None


def _in(conn, sql, name, values, **params):
    """Rows of `sql` with :name expanded to the list `values` (no rows for an empty list)."""
    values = sorted(set(values))
    if not values:
        return []
    statement = sa.text(sql).bindparams(sa.bindparam(name, expanding=True))
    return _dicts(conn.execute(statement, {name: values, **params}))


def safe_url(url):
    """The URL if it is http(s), else None: a javascript: URL must never become a link."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def _has_table(conn, name):
    return conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = :name"), {"name": name}).first() is not None


def iso_date(name, text):
    """An ISO date from a query parameter, or None when empty; BadRequest when it is not one."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dates.parse_iso(text).isoformat()
    except dates.DateError as error:
        raise BadRequest(f"{name.replace('_', ' ')}: {error}") from None


def year_param(name, text):
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isdigit() and len(text) == 4 and dates.MIN_YEAR <= int(text) <= dates.MAX_YEAR):
        raise BadRequest(f"{name.replace('_', ' ')}: '{text[:40]}' is not a year (YYYY)")
    return int(text)


def positive_int(name, text, default, most=None):
    text = (text or "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise BadRequest(f"{name}: '{text[:40]}' is not a positive whole number")
    value = int(text)
    if most is not None and value > most:
        raise BadRequest(f"{name}: at most {most}")
    return value


# ---- the index of entities ----

def entity_index(conn):
    """Every entity with its counts and the span of dates its facts cover."""
    entities = _rows(conn, """
        SELECT key, name, type, parent, aliases, events, standing_events, as_counterparty, sources, note
        FROM entity_summary ORDER BY lower(name), key""")
    spans = _spans(conn)
    names = {e["key"]: e["name"] for e in entities}
    for entity in entities:
        entity["aliases"] = [a for a in (entity["aliases"] or "").split("; ") if a]
        entity["parent_name"] = names.get(entity["parent"])
        entity["span"] = spans.get(entity["key"]) or _span({})
    publication = _one(conn, "SELECT * FROM publication") if _has_table(conn, "publication") else None
    totals = {
        "events": conn.execute(sa.text("SELECT count(*) FROM events")).scalar(),
        "sources": conn.execute(sa.text("SELECT count(*) FROM sources")).scalar(),
        "corrections": conn.execute(sa.text(
            "SELECT count(*) FROM events WHERE supersedes IS NOT NULL OR retracts IS NOT NULL")).scalar(),
    }
    return {"entities": entities, "publication": publication, "totals": totals}


def _spans(conn):
    """{entity: span}: the years its standing facts cover.  Approximate background notes and
    forecasts (guidance, or anything dated after it was reported) are kept apart, so one
    vague "late 2000" or a 2029 target does not stretch an entity's years."""
    rows = _rows(conn, """
        SELECT e.entity,
          min(CASE WHEN e.precision != 'approximate' AND e.kind != 'guidance' AND e.valid_from <= e.reported_on
                   THEN e.valid_from END) AS first,
          max(CASE WHEN e.precision != 'approximate' AND e.kind != 'guidance' AND e.valid_from <= e.reported_on
                   THEN min(e.valid_to, e.reported_on) END) AS last,
          min(CASE WHEN e.precision = 'approximate' AND e.kind != 'guidance' THEN e.valid_from END) AS first_approximate,
          max(CASE WHEN e.kind = 'guidance' OR e.valid_from > e.reported_on THEN e.valid_to END) AS outlook_to
        FROM events e JOIN event_status s ON s.seq = e.seq
        WHERE s.status = 'current' AND e.retracts IS NULL
        GROUP BY e.entity""")
    return {row["entity"]: _span(row) for row in rows}


def _span(row):
    first, last = row.get("first"), row.get("last")
    approx, outlook = row.get("first_approximate"), row.get("outlook_to")
    years = ""
    if first and last:
        years = first[:4] if first[:4] == last[:4] else f"{first[:4]}–{last[:4]}"
    elif approx:
        years = f"c. {approx[:4]}"
    notes = []
    if approx and first and approx < first:
        notes.append(f"approximate notes from c. {approx[:4]}")
    if outlook and (not last or outlook > last):
        notes.append(f"outlook to {outlook[:4]}")
    return {"first": first, "last": last, "first_approximate": approx, "outlook_to": outlook,
            "years": years, "notes": notes}


# ---- search ----

SEARCH_WEIGHTS = "10.0, 6.0, 0.5, 4.0"  # summary, quote, source title, entity name: bm25 column weights
TEXT_COLUMNS = "{summary quote entity_name}"


def search(conn, q, page=1, size=SEARCH_SIZE):
    """Events matching the words of `q`: those saying them in their summary, quote or an entity's
    name first, ranked (bm25, summaries weighing most); those that only cite a source whose
    title has them after, apart."""
    text = " ".join((q or "").split())[:500]
    result = {"q": text, "page": page, "page_size": size, "total": 0, "pages": 0, "hits": [],
              "title_total": 0, "title_hits": []}
    match = escape_fts(text) if text else ""
    if not match:
        return result
    in_text = f"{TEXT_COLUMNS} : ({match})"
    total = conn.execute(sa.text("SELECT count(*) FROM timeline_fts WHERE timeline_fts MATCH :m"), {"m": in_text}).scalar()
    pages = max(1, -(-total // size))
    if page > pages:
        raise BadRequest(f"page: there are {pages} pages of results")
    ranked = _rows(conn, f"""
        SELECT rowid AS seq, bm25(timeline_fts, {SEARCH_WEIGHTS}) AS score FROM timeline_fts
        WHERE timeline_fts MATCH :m ORDER BY score, rowid DESC LIMIT :limit OFFSET :offset""",
                   m=in_text, limit=size, offset=(page - 1) * size)
    title_only = """SELECT rowid AS seq FROM timeline_fts WHERE timeline_fts MATCH :all
                    EXCEPT SELECT rowid FROM timeline_fts WHERE timeline_fts MATCH :m"""
    title_total = conn.execute(sa.text(f"SELECT count(*) FROM ({title_only})"), {"all": match, "m": in_text}).scalar()
    titles = _rows(conn, f"SELECT seq FROM ({title_only}) ORDER BY seq DESC LIMIT 100", all=match, m=in_text)
    found = _timeline_rows(conn, [r["seq"] for r in ranked] + [r["seq"] for r in titles])
    result.update(total=total, pages=pages, title_total=title_total,
                  hits=[found[r["seq"]] for r in ranked if r["seq"] in found],
                  title_hits=[found[r["seq"]] for r in titles if r["seq"] in found])
    return result


def _timeline_rows(conn, seqs):
    """{seq: the event as the search and feeds list it} for `seqs`, from the timeline view."""
    rows = _in(conn, """
        SELECT t.seq, t.event_id, t.entity, t.entity_name, t.counterparty, t.counterparty_name, t.kind,
               t.date_text, t.valid_from, t.valid_to, t.precision, t.reported_on, t.recorded_at, t.summary,
               t.attributes, t.quote, t.source_key, t.source_title, t.source_publisher, t.source_url,
               t.status, t.changed_by, t.supersedes, t.retracts, t.reason, t.date_note
        FROM timeline t WHERE t.seq IN :seqs""", "seqs", seqs)
    found = {}
    for row in rows:
        row["when"] = display.when(row["valid_from"], row["valid_to"], row["precision"], row["date_text"], row["reported_on"])
        row["source_safe_url"] = safe_url(row["source_url"])
        found[row["seq"]] = row
    return found


# ---- one entity ----

@dataclass
class Lookup:
    """A request that names an entity by an alias: where to send it."""
    redirect_to: str


def resolve_entity(conn, name):
    """The entity row for key `name`, a Lookup for another name of one, or None."""
    entity = _one(conn, "SELECT * FROM entities WHERE key = :key", key=name)
    if entity is not None:
        return entity
    try:
        return Lookup(lookup(conn, name))
    except TimelineError:
        return None


class Subject:
    """One entity as a page sees it: its standing events (now, or as known at a date) started by
    `as_of`, the vocabulary, and the names and sources they cite."""

    def __init__(self, conn, entity, as_of=None, known_at=None):
        self.conn, self.entity, self.key = conn, entity, entity["key"]
        self.as_of, self.known_at = as_of, known_at
        self.vocab = vocabulary.for_connection(conn)
        self.all = queries.events_about(conn, self.key, known_at)  # [(event, (status, changed_by))]
        self.about = [(e, s) for e, s in self.all if not as_of or e["valid_from"] <= as_of]
        self.by_id = {event["id"]: event for event, _ in self.all}
        self.status = {event["id"]: status for event, status in self.all}
        keys = {self.key} | {e["entity"] for e, _ in self.all} | {e["counterparty"] for e, _ in self.all if e.get("counterparty")}
        self.names = {r["key"]: r["name"] for r in _in(conn, "SELECT key, name FROM entities WHERE key IN :keys", "keys", keys)}
        self._named = {}
        cited = {e["source"] for e, _ in self.all}
        self.sources = {}
        for row in _in(conn, "SELECT id, key, title, url, publisher, published_on FROM sources WHERE key IN :keys", "keys", cited):
            row["safe_url"] = safe_url(row["url"])
            self.sources[row["key"]] = row

    def standing(self):
        """The events that stand and are not retractions, started by as_of."""
        return [e for e, (status, _) in self.about if status == "current" and not e.get("retracts")]

    def when(self, event):
        return display.when(event["valid_from"], event["valid_to"], event["precision"], event.get("date_text"),
                            event.get("reported_on"), self.entity.get("fiscal_year_end"))

    def source(self, key):
        found = self.sources.get(key) or {"key": key, "title": key, "id": None, "safe_url": None}
        return {"key": found["key"], "title": found["title"], "id": found.get("id"), "url": found.get("safe_url")}

    def name(self, key):
        return self.names.get(key, key)

    def metric(self, metric):
        spec = self.vocab.metrics.get(metric)
        if spec is None:
            return {"key": metric, "label": display.metric_label(metric, self.vocab), "section": None,
                    "chart": True, "unit": None, "type": None}
        return spec

    def named(self, name):
        """The key of the one entity called `name` (key, name or alias, any case), else None."""
        if not isinstance(name, str) or not name.strip():
            return None
        if name not in self._named:
            keys = {r["key"] for r in _rows(self.conn, """
                SELECT key FROM entities WHERE key = :name OR lower(name) = lower(:name)
                UNION SELECT entity FROM entity_aliases WHERE alias_folded = :folded""", name=name, folded=fold(name))}
            self._named[name] = keys.pop() if len(keys) == 1 else None
        return self._named[name]

    def kind_description(self, kind):
        return (self.vocab.kinds.get(kind) or {}).get("description", display.kind_label(kind))


def subject(conn, key, as_of=None, known_at=None):
    """A Subject for the entity named `key`, a Lookup for an alias, or None."""
    entity = resolve_entity(conn, key)
    if entity is None or isinstance(entity, Lookup):
        return entity
    return Subject(conn, entity, as_of, known_at)


def entity_page(conn, key, as_of=None, known_at=None, filters=None, page=1, order="newest",
                years=(None, None), page_size=PAGE_SIZE):
    """Everything the entity page shows (and its JSON holds); None if no entity has that name."""
    found = subject(conn, key, as_of, known_at)
    if found is None or isinstance(found, Lookup):
        return found
    s = found
    key = s.key
    filters = check_filters(s, filters or {})
    statement = _statement(s)
    events = _event_list(s, filters, page, order, page_size)
    return {
        "entity": s.entity,
        "aliases": [r["alias"] for r in _rows(
            conn, "SELECT alias FROM entity_aliases WHERE entity = :key ORDER BY alias", key=key)],
        "parent": _one(conn, "SELECT key, name FROM entities WHERE key = :key", key=s.entity["parent"])
        if s.entity["parent"] else None,
        "children": _rows(conn, "SELECT key, name, type FROM entities WHERE parent = :key ORDER BY name", key=key),
        "as_of": as_of,
        "known_at": known_at,
        "latest_report": _latest_report(conn),
        "sections": state_sections(s),
        "charts": _charts(s, statement),
        "statement_summary": {"rows": sum(len(g["rows"]) for g in statement["groups"]),
                              "periods": sum(len(g["columns"]) for g in statement["groups"])},
        "visual": visual_timeline(s, filters, years),
        "events": events,
    }


def _latest_report(conn):
    return conn.execute(sa.text("SELECT max(reported_on) FROM events")).scalar()


# ---- state, in sections, in words ----

def state_sections(s):
    """The entity's state (queries.state) as sections of labelled rows, people and organisations
    named and linked, duplicates folded; relationships from the standing events."""
    state = queries.state(s.conn, s.key, as_of=s.as_of, known_at=s.known_at).state
    rows = []
    for state_key, entry in state.items():
        event = s.by_id.get(entry.event)
        if event is None:
            continue
        row = _state_row(s, state_key, entry, event)
        if row is not None:
            rows.append(row)
    relationships = _relationship_rows(s)
    rows.extend(relationships[-MAX_RELATIONSHIPS:])
    for row in rows:  # a row stands for many events at most by its latest few: pages stay bounded
        row["event_count"], row["source_count"] = len(row["events"]), len(row["sources"])
        row["events"] = sorted(row["events"], key=lambda e: e["seq"])[-MAX_ROW_EVENTS:]
        row["sources"] = row["sources"][-MAX_ROW_SOURCES:]
    by_section = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    sections = []
    for key, title in SECTIONS:
        found = by_section.get(key)
        if not found:
            continue
        if key in FOLDED_SECTIONS:
            found = _fold(found, lambda r: (r["value_text"].casefold(), r["when"]))
        elif key == "people":
            found = _fold(found, lambda r: tuple(p.get("entity") or p["text"] for p in r["value"]))
        sections.append({"key": key, "title": title, "rows": found,
                         "more": max(0, len(relationships) - MAX_RELATIONSHIPS) if key == "relationships" else 0})
    return sections


def _state_row(s, state_key, entry, event):
    kind, attributes = event["kind"], event["attributes"]
    section = KIND_SECTIONS.get(kind, "other")
    if section == "relationships":
        return None  # shown with the relationships, from the standing events
    value = [{"text": display.state_value(entry, s.vocab)}]
    label = state_key
    label_entity = None
    if kind in REPORTED_KINDS:
        metric = s.vocab.canonical(attributes["metric"])[0]
        spec = s.metric(metric)
        section = spec.get("section") or ("financials" if kind == "financial_result" else "operations")
        label = spec["label"]
        if spec.get("type") == "flow" and event["precision"] in CADENCE:
            label += f" ({CADENCE[event['precision']]})"
        series = vocabulary.series(attributes)
        if series:
            label += f" — {series}"
        if state_key.split("[")[0].endswith("/change"):
            label += ", change only"
        change = display.change_words(attributes) if attributes.get("value") is not None else ""
        if change:
            value.append({"text": change, "muted": True, "block": True})
    elif kind == "guidance":
        metric = s.vocab.canonical(attributes["metric"])[0]
        label = s.metric(metric)["label"]
        if attributes.get("segment"):
            label += f" — {attributes['segment']}"
    elif kind == "launch":
        label = attributes.get("product") or state_key
        label_entity = s.named(attributes.get("product"))
        if attributes.get("vehicle"):
            value.append({"text": f" in the {attributes['vehicle']}"})
    elif kind == "facility_opening":
        label = _capital(attributes.get("facility") or state_key)
    elif kind == "headquarters":
        label = _capital(f"{attributes['segment']} headquarters") if attributes.get("segment") else "Headquarters"
    elif kind == "leadership":
        label = attributes.get("role") or state_key
        person = event.get("counterparty")
        value = [{"text": s.name(person), "entity": person}] if person else [{"text": attributes.get("person") or ""}]
    elif kind == "founding":
        label = "Founded"
        value = []
        if event.get("counterparty"):
            value += [{"text": "by "}, {"text": s.name(event["counterparty"]), "entity": event["counterparty"]}]
        if attributes.get("location"):
            value.append({"text": (" in " if value else "in ") + attributes["location"]})
    elif kind == "listing":
        label = f"Listed on {attributes.get('exchange')}"
        value = [{"text": attributes.get("ticker") or "listed"}]
    elif kind == "certification":
        label = attributes.get("standard") or state_key
        if attributes.get("issuer"):
            value.append({"text": f", by {attributes['issuer']}"})
    elif kind == "award":
        label = attributes.get("award") or state_key
        value = [{"text": f"from {attributes['issuer']}" if attributes.get("issuer") else "received"}]
    return {
        "section": section, "label": label, "label_entity": label_entity, "keys": [state_key],
        "value": value, "value_text": _text_of(value),
        **_dated(s, event),
        "events": [_event_ref(event)], "sources": [s.source(event["source"])],
    }


def _text_of(parts):
    """Value parts as one line of text: 'investee — 23M USD'."""
    return "".join((" — " if part.get("block") else "") + part["text"] for part in parts).strip(" —")


def _capital(text):
    text = str(text)
    return text[:1].upper() + text[1:]


def _dated(s, event):
    return {"when": s.when(event), "valid_from": event["valid_from"], "valid_to": event["valid_to"],
            "precision": event["precision"], "date_text": event.get("date_text"), "reported_on": event["reported_on"]}


def _event_ref(event):
    return {"id": event["id"], "seq": event["seq"]}


def _relationship_rows(s):
    """One row per counterparty and role, from the standing relationship events (rules.relationship_rows);
    leadership and founding are the People and Company sections' already."""
    folded = {}
    for event in sorted(s.standing(), key=rules.rank):
        for row in rules.relationship_rows(event):
            if row["entity"] != s.key or (row["kind"] in ("leadership", "founding") and row["role"] in ("executive", "founder")):
                continue
            found = folded.get((row["counterparty"], row["role"]))
            if found is None:
                found = folded[(row["counterparty"], row["role"])] = {
                    "section": "relationships", "label": s.name(row["counterparty"]), "label_entity": row["counterparty"],
                    "role": row["role"], "kinds": [], "keys": [], "events": [], "sources": [], "details": [],
                    **_dated(s, event)}
            if display.kind_label(row["kind"]) not in found["kinds"]:
                found["kinds"].append(display.kind_label(row["kind"]))
            found["events"].append(_event_ref(event))
            state_key = rules.state_key_of(event, s.vocab)
            if state_key and state_key not in found["keys"]:
                found["keys"].append(state_key)
            source = s.source(event["source"])
            if source not in found["sources"]:
                found["sources"].append(source)
            detail = _details(event)
            if detail and detail not in found["details"]:
                found["details"].append(detail)
    rows = []
    for row in folded.values():
        value = [{"text": ROLE_WORDS.get(row["role"], row["role"])}]
        telling = [kind for kind in row["kinds"] if kind.replace(" ", "_") in TELLING_KINDS]
        if telling:
            value.append({"text": f" ({', '.join(telling)})"})
        if row["details"]:
            value.append({"text": "; ".join(row["details"][-3:]), "muted": True, "block": True})
        rows.append({**row, "value": value, "value_text": _text_of(value)})
    return sorted(rows, key=lambda r: (r["valid_from"], r["label"].casefold()))


def _details(event):
    attributes = event["attributes"]
    parts = [display.short_value(attributes[name]) for name in ("amount", "stake", "lifetime_revenue", "shares")
             if isinstance(attributes.get(name), dict)]
    parts += [str(attributes[name]) for name in ("product", "scope", "status") if isinstance(attributes.get(name), str)]
    return ", ".join(parts[:3])


def _fold(rows, same):
    """Rows of one section saying the same thing (same value, same date) as one row with both labels."""
    folded, order = {}, []
    for row in rows:
        key = same(row)
        if not key or not key[0]:
            key = ("", len(order))  # nothing to compare: never folded
        if key not in folded:
            folded[key] = {**row, "labels": [row["label"]]}
            order.append(key)
            continue
        into = folded[key]
        if row["label"].casefold() not in {label.casefold() for label in into["labels"]}:
            into["labels"].append(row["label"])
        into["keys"] = into["keys"] + row["keys"]
        into["events"] = into["events"] + [e for e in row["events"] if e not in into["events"]]
        into["sources"] = into["sources"] + [x for x in row["sources"] if x not in into["sources"]]
    result = []
    for key in order:
        row = folded.pop(key)
        row["label"] = "; ".join(row.pop("labels"))
        result.append(row)
    return result


# ---- the financial statement: metrics by period ----

def statement(conn, key, as_of=None, known_at=None):
    """The statement page's data; None if no entity has that name, a Lookup for an alias."""
    found = subject(conn, key, as_of, known_at)
    if found is None or isinstance(found, Lookup):
        return found
    return {"entity": found.entity, "as_of": as_of, "known_at": known_at, **_statement(found)}


def metric_cells(s):
    """Every (metric, series, period, level or change) reported about the entity: the value standing
    (its latest report, rules.report_order), and the first report when it said something else."""
    groups = {}
    for event, (status, _) in s.about:
        if event["entity"] != s.key or status == "retracted" or event["kind"] not in REPORTED_KINDS:
            continue
        row = rules.metric_row(event, s.vocab)
        if row is None:
            continue
        row["status"], row["event"] = status, event
        groups.setdefault(rules.metric_group(row), []).append(row)
    cells = []
    for reports in groups.values():
        standing = [r for r in reports if r["status"] == "current"]
        if not standing:
            continue
        latest = max(standing, key=rules.report_order)
        first = min(reports, key=rules.report_order)
        cells.append(_cell(s, latest, first if first["value"] != latest["value"] else None, len(reports)))
    return cells


def _cell(s, row, first, reports):
    value = json.loads(row["value"])
    event = row["event"]
    change = display.change_words(event["attributes"]) if isinstance(value, dict) and "amount" in value else ""
    if isinstance(value, dict) and "amount" in value:
        unit, shape = value.get("unit"), "figure"
    elif isinstance(value, dict) and "low" in value:
        unit, shape = value.get("unit"), "range"
    elif isinstance(value, dict) and "outcome" in value:
        unit, shape = None, "outcome"
    else:
        unit, shape = None, "change"
    cell = {
        "metric": row["metric"], "series": row["series"], "unit": unit, "shape": shape,
        "valid_from": row["valid_from"], "valid_to": row["valid_to"], "precision": row["precision"],
        "period": display.period(row["valid_from"], row["valid_to"], row["precision"]),
        "value": value, "amount": value["amount"] if shape == "figure" else None, "qualifier": row["qualifier"],
        "text": display.short_value(value, s.vocab), "exact": display.value(value, s.vocab), "change": change,
        "change_short": change.replace(" year over year", " y/y").replace(" quarter over quarter", " q/q"),
        "reported_on": row["reported_on"], "event_id": row["event_id"], "seq": row["seq"],
        "source": s.source(row["source_key"]), "reports": reports, "restated": first is not None, "first_reported": None,
    }
    if first is not None:
        first_value = json.loads(first["value"])
        cell["first_reported"] = {
            "text": display.short_value(first_value, s.vocab), "exact": display.value(first_value, s.vocab),
            "value": first_value, "reported_on": first["reported_on"], "event_id": first["event_id"],
            "seq": first["seq"], "status": first["status"], "source": s.source(first["source_key"])}
    return cell


def _statement(s):
    """Metrics as rows, periods as columns, one table per kind of period (quarters, years… apart);
    a row is one metric, series and unit (a figure's unit, or its words for outcomes and changes)."""
    metric_order = {metric: place for place, metric in enumerate(s.vocab.metrics)}
    section_order = {key: place for place, (key, _) in enumerate(SECTIONS)}
    by_type = {}
    for cell in metric_cells(s):
        period_type = cell["precision"] if cell["precision"] in dict(PERIOD_TYPES) else "approximate"
        by_type.setdefault(period_type, []).append(cell)
    groups = []
    for period_type, title in PERIOD_TYPES:
        cells = by_type.get(period_type)
        if not cells:
            continue
        spans = sorted({(c["valid_from"], c["valid_to"]) for c in cells})
        columns = [{"valid_from": f, "valid_to": t, "label": _column_label(f, t, period_type)} for f, t in spans]
        index = {span: i for i, span in enumerate(spans)}
        rows = {}
        for cell in cells:
            unit_key = cell["unit"] if cell["shape"] in ("figure", "range") else cell["shape"]
            row_key = (cell["metric"], cell["series"], unit_key or "")
            if row_key not in rows:
                spec = s.metric(cell["metric"])
                section = spec.get("section") or "financials"
                rows[row_key] = {
                    "metric": cell["metric"], "label": spec["label"], "series": cell["series"],
                    "unit": unit_key, "unit_label": _unit_label(unit_key), "section": section,
                    "section_title": dict(SECTIONS).get(section, section), "chart": bool(spec.get("chart", True)),
                    "description": spec.get("description") or spec["label"], "cells": [None] * len(columns),
                    "_order": (section_order.get(section, 99), metric_order.get(cell["metric"], 999), cell["metric"],
                               cell["series"], unit_key or ""),
                }
            rows[row_key]["cells"][index[(cell["valid_from"], cell["valid_to"])]] = cell
        ordered = sorted(rows.values(), key=lambda r: r["_order"])
        for row in ordered:
            del row["_order"]
        groups.append({"type": period_type, "title": title, "columns": columns, "rows": ordered})
    return {"groups": groups, "guidance": _guidance(s)}


def _column_label(valid_from, valid_to, period_type):
    if period_type == "approximate":
        return f"{display.months(valid_from, valid_to)} (approx.)"
    return display.period(valid_from, valid_to, period_type)


def _unit_label(unit):
    """How a row's unit reads: 'USD', '%', 'USD per share', 'vehicles', 'in words', 'change'."""
    if unit in (None, "", "outcome"):
        return "in words"
    if unit == "change":
        return "change"
    return display.quantity("", unit).strip() or unit


def _guidance(s):
    """The outlooks that stand: metric, the period they are for, what was said."""
    rows = []
    for event in s.standing():
        if event["entity"] != s.key or event["kind"] != "guidance":
            continue
        attributes = event["attributes"]
        metric = s.vocab.canonical(attributes["metric"])[0]
        said = [display.short_value(attributes[name], s.vocab) for name in ("target", "change_yoy")
                if isinstance(attributes.get(name), dict)]
        if attributes.get("outcome"):
            said.append(s.vocab.outcome_words(attributes["outcome"]))
        if attributes.get("target_text"):
            said.append(attributes["target_text"])
        rows.append({"metric": metric, "label": s.metric(metric)["label"], "segment": attributes.get("segment") or "",
                     "text": "; ".join(said), **_dated(s, event), "event_id": event["id"], "seq": event["seq"],
                     "source": s.source(event["source"])})
    return sorted(rows, key=lambda r: (r["valid_from"], r["label"]))


def statement_csv_rows(data):
    """The statement as one CSV table: a row per period type, metric, series and unit; a column per period."""
    columns = []
    for group in data["groups"]:
        columns += [(group["type"], column["label"]) for column in group["columns"]]
    header = ["period_type", "section", "metric", "label", "series", "unit"] + [label for _, label in columns]
    position = {column: i for i, column in enumerate(columns)}
    yield header
    for group in data["groups"]:
        for row in group["rows"]:
            line = [group["type"], row["section"], row["metric"], row["label"], row["series"], row["unit"] or ""]
            values = [""] * len(columns)
            for column, cell in zip(group["columns"], row["cells"]):
                if cell is not None:
                    values[position[(group["type"], column["label"])]] = _csv_value(cell)
            yield line + values


def _csv_value(cell):
    if cell["shape"] == "figure":
        return display.number(cell["amount"]).replace(",", "")
    if cell["shape"] == "range":
        return f"{display.number(cell['value']['low'])}–{display.number(cell['value']['high'])}".replace(",", "")
    return cell["exact"]


# ---- charts ----

def _charts(s, data):
    """One bar chart per metric, series, kind of period and unit with two values or more (never
    CNY beside USD, never quarters beside years), only metrics whose definition charts them."""
    found = []
    for group in data["groups"]:
        if group["type"] == "approximate":
            continue
        for row in group["rows"]:
            if not row["chart"] or row["unit"] in (None, "", "outcome", "change"):
                continue
            points = [(column, cell) for column, cell in zip(group["columns"], row["cells"])
                      if cell is not None and cell["shape"] == "figure" and cell["amount"] is not None]
            if len(points) < 2:
                continue
            found.append((group, row, points))
    found.sort(key=lambda g: (g[1]["metric"] != "revenue", g[1]["section"] != "financials", -len(g[2])))
    result = []
    for index, (group, row, points) in enumerate(found[:MAX_CHARTS]):
        cadence = CADENCE[group["type"]]
        title = row["label"] + (f", {row['series']}" if row["series"] else "")
        subtitle = f"{row['unit_label']}, {cadence}"
        series = [{"label": column["label"], "amount": cell["amount"], "text": cell["exact"],
                   "short": QUALIFIER_MARKS.get(cell["qualifier"] or "", "") + display.short_number(cell["amount"]),
                   "seq": cell["seq"], "event_id": cell["event_id"], "restated": cell["restated"]}
                  for column, cell in points]
        geometry = charts.bar_chart(f"chart-{index}", f"{title} — {subtitle}", row["unit_label"], series,
                                    caption=f"{row['description']}, {cadence}, in {row['unit_label']}")
        result.append({"metric": row["metric"], "series": row["series"], "unit": row["unit"],
                       "period_type": group["type"], "title": title, "subtitle": subtitle,
                       "points": [{k: p[k] for k in ("label", "amount", "text", "event_id", "restated")} for p in series],
                       "svg": geometry})
    return result


# ---- the list of events: filters, facets, pages ----

def check_filters(s, filters):
    """{name: [values]} of the event list's filters, checked: a kind the vocabulary knows, a year."""
    checked = {}
    for name in FILTERS:
        values = [v.strip() for v in filters.get(name) or [] if v and v.strip()]
        if not values:
            continue
        if len(values) > 50:
            raise BadRequest(f"{name}: at most 50 values")
        for value in values:
            if name == "kind" and value not in s.vocab.kinds:
                raise BadRequest(f"kind: unknown kind '{value[:60]}'")
            if name == "year":
                year_param("year", value)
        checked[name] = sorted(set(values))
    return checked


def _facet_value(s, event, name):
    if name == "kind":
        return event["kind"]
    if name == "source":
        return event["source"]
    if name == "year":
        return event["valid_from"][:4]
    other = event["counterparty"] if event["entity"] == s.key else event["entity"]
    return other or ""


def _matches(s, event, filters, skip=None):
    return all(_facet_value(s, event, name) in values for name, values in filters.items() if name != skip)


def _event_list(s, filters, page=1, order="newest", page_size=PAGE_SIZE):
    if order not in ("newest", "oldest"):
        raise BadRequest("order: newest or oldest")
    listed = [(e, st) for e, st in s.about if _matches(s, e, filters)]
    listed.sort(key=lambda item: (item[0]["valid_from"], item[0]["valid_to"], item[0]["seq"]), reverse=order == "newest")
    total = len(listed)
    pages = max(1, -(-total // page_size))
    if page > pages:
        raise BadRequest(f"page: there {'is' if pages == 1 else 'are'} {pages} page{'s' if pages != 1 else ''} of events")
    chosen = listed[(page - 1) * page_size: page * page_size]
    items = _event_items(s, chosen)
    years = []
    for item in items:
        year = item["valid_from"][:4]
        if not years or years[-1]["year"] != year:
            years.append({"year": year, "events": []})
        years[-1]["events"].append(item)
    return {"total": total, "page": page, "pages": pages, "page_size": page_size, "order": order,
            "filters": filters, "facets": _facets(s, filters), "years": years, "items": items}


def _facets(s, filters):
    facets = []
    for name in FILTERS:
        counts = {}
        for event, _ in s.about:
            if _matches(s, event, filters, skip=name):
                value = _facet_value(s, event, name)
                if value:
                    counts[value] = counts.get(value, 0) + 1
        selected = set(filters.get(name, ()))
        values = []
        for value, count in counts.items():
            if name == "kind":
                label, title = display.kind_label(value), s.kind_description(value)
            elif name == "source":
                source = s.source(value)
                label, title = source["title"], value
            elif name == "counterparty":
                label, title = s.name(value), value
            else:
                label, title = value, value
            values.append({"value": value, "label": label, "title": title, "count": count, "selected": value in selected})
        if name == "year":
            values.sort(key=lambda v: v["value"], reverse=True)
        else:
            values.sort(key=lambda v: (-v["count"], v["label"].casefold()))
        shown = values[:MAX_FACET_VALUES]
        shown += [v for v in values[MAX_FACET_VALUES:] if v["selected"]]
        facets.append({"name": name, "title": {"kind": "Kind", "source": "Source", "counterparty": "With",
                                               "year": "Year"}[name],
                       "options": shown, "more": len(values) - len(shown), "selected": sorted(selected)})
    return facets


def _event_items(s, chosen):
    """The events of one page, ready to read: dates in words, names, source, status and the links
    between corrections and what they correct."""
    wanted = set()
    for event, (status, changed_by) in chosen:
        wanted.update(x for x in (event.get("supersedes"), event.get("retracts"), changed_by) if x)
    seqs = {e["id"]: e["seq"] for e in s.by_id.values()}
    missing = [i for i in wanted if i not in seqs]
    seqs.update({r["id"]: r["seq"] for r in _in(s.conn, "SELECT id, seq FROM events WHERE id IN :ids", "ids", missing)})
    shown = {event["seq"] for event, _ in chosen}
    items = []
    for event, (status, changed_by) in chosen:
        target = event.get("supersedes") or event.get("retracts")
        item = {
            "seq": event["seq"], "event_id": event["id"], "entity": event["entity"], "entity_name": s.name(event["entity"]),
            "counterparty": event.get("counterparty"),
            "counterparty_name": s.name(event["counterparty"]) if event.get("counterparty") else None,
            "kind": event["kind"], "kind_label": display.kind_label(event["kind"]),
            "kind_description": s.kind_description(event["kind"]), "lane": LANE_OF.get(event["kind"], "notes"),
            "colour": charts.colour(event["kind"]),
            "when": s.when(event), "period": display.period(event["valid_from"], event["valid_to"], event["precision"]),
            "valid_from": event["valid_from"], "valid_to": event["valid_to"], "precision": event["precision"],
            "date_text": event.get("date_text"), "date_note": event.get("date_note"),
            "reported_on": event["reported_on"], "recorded_at": event.get("recorded_at"),
            "summary": event["summary"], "quote": event.get("quote"), "facts": _facts(event["attributes"], s.vocab),
            "attributes": event["attributes"], "source": s.source(event["source"]),
            "status": status, "changed_by": changed_by, "changed_by_seq": seqs.get(changed_by),
            "supersedes": event.get("supersedes"), "retracts": event.get("retracts"), "reason": event.get("reason"),
            "target_seq": seqs.get(target),
        }
        item["changed_by_here"] = item["changed_by_seq"] in shown
        item["target_here"] = item["target_seq"] in shown
        items.append(item)
    return items


def _facts(attributes, vocab=None):
    """The event's attributes as (name, text) pairs a person reads."""
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            return []
    if not isinstance(attributes, dict):
        return []
    facts = []
    for name, value in attributes.items():
        if name == "description":
            continue
        if name == "metric" and vocab is not None:
            value = display.metric_label(value, vocab)
        facts.append((display.attribute_name(name), display.value(value, vocab)))
    if isinstance(attributes.get("description"), str):
        facts.append(("description", attributes["description"]))
    return facts


# ---- the visual timeline ----

def visual_timeline(s, filters, years=(None, None)):
    """The events (with the list's filters but the year) on a time axis from year to year: by default
    the years the entity's facts span (approximate notes and outlooks outside are counted, and one
    click away)."""
    filters = {k: v for k, v in filters.items() if k != "year"}
    events = [e for e, _ in s.about if _matches(s, e, filters) and not e.get("retracts")]
    first, last = years
    if first and last and first > last:
        raise BadRequest("from year is after to year")
    if not events:
        return None
    facts = [e for e in events if e["precision"] != "approximate" and e["kind"] != "guidance"
             and e["valid_from"] <= e["reported_on"]]
    if facts:
        default_from = int(min(e["valid_from"] for e in facts)[:4])
        default_to = int(max(min(e["valid_to"], e["reported_on"]) for e in facts)[:4])
    else:
        default_from = int(min(e["valid_from"] for e in events)[:4])
        default_to = int(max(e["valid_to"] for e in events)[:4])
    full_from, full_to = int(min(e["valid_from"] for e in events)[:4]), int(max(e["valid_to"] for e in events)[:4])
    if first and last:
        start_year, end_year = first, last
    elif first:
        start_year, end_year = first, max(full_to, first)
    elif last:
        start_year, end_year = min(full_from, last), last
    else:
        start_year, end_year = default_from, max(default_to, default_from)
    start, end = dt.date(start_year, 1, 1), dt.date(end_year, 12, 31)
    # a mark's title is written only when marks are drawn: past TIMELINE_MARKS the chart shows counts
    # per lane and year, and an entity's thousands of dates need not be put in words
    drawn = sum(1 for e in events if e["valid_to"] >= start.isoformat() and e["valid_from"] <= end.isoformat()) <= TIMELINE_MARKS
    items = [{"lane": LANE_OF.get(e["kind"], "notes"), "kind": e["kind"], "valid_from": e["valid_from"],
              "valid_to": e["valid_to"], "approximate": e["precision"] == "approximate", "seq": e["seq"],
              "title": f"{s.when(e)} · {display.kind_label(e['kind'])} · {e['summary'][:200]}" if drawn else ""}
             for e in events]
    geometry = charts.timeline_chart(items, [(key, label) for key, label, _ in LANES], start, end, TIMELINE_MARKS)
    before = sum(1 for e in events if e["valid_to"] < start.isoformat())
    after = sum(1 for e in events if e["valid_from"] > end.isoformat())
    kinds = sorted({e["kind"] for e in events if e["valid_to"] >= start.isoformat() and e["valid_from"] <= end.isoformat()},
                   key=lambda k: (list(LANE_OF).index(k) if k in LANE_OF else 99, k))
    return {"from_year": start_year, "to_year": end_year, "default": not (first or last),
            "full_from": full_from, "full_to": full_to, "before": before, "after": after,
            "legend": [{"kind": k, "label": display.kind_label(k), "colour": charts.colour(k)} for k in kinds],
            "lane_kinds": {key: list(kinds_) for key, _, kinds_ in LANES},
            "svg": geometry}


def visual_timeline_page(conn, key, as_of=None, known_at=None, filters=None, years=(None, None)):
    """The visual timeline alone (the standalone SVG); None / Lookup as entity_page."""
    found = subject(conn, key, as_of, known_at)
    if found is None or isinstance(found, Lookup):
        return found
    return {"entity": found.entity, "as_of": as_of, "known_at": known_at,
            "visual": visual_timeline(found, check_filters(found, filters or {}), years)}


# ---- what changed between two "known at" dates ----

def changes(conn, key, since=None, until=None):
    """What the record about an entity gained between two "known at" dates: new facts, corrections
    and restated values, retractions, and the state keys that changed.  By default, what the latest
    report date added to the one before."""
    entity = resolve_entity(conn, key)
    if entity is None or isinstance(entity, Lookup):
        return entity
    key = entity["key"]
    report_dates = [r["reported_on"] for r in _rows(conn, """
        SELECT DISTINCT reported_on FROM events WHERE entity = :key OR counterparty = :key ORDER BY reported_on""", key=key)]
    if until is None and report_dates:
        until = report_dates[-1]
    if since is None and until is not None:
        earlier = [d for d in report_dates if d < until]
        since = earlier[-1] if earlier else None
    if since and until and since >= until:
        raise BadRequest("from must be before to")
    before = Subject(conn, entity, known_at=since) if since else None
    after = Subject(conn, entity, known_at=until or "9999-12-31")
    known_before = before.status if before else {}
    new_facts, corrections, retractions, withdrawn = [], [], [], []
    for event, (status, changed_by) in after.all:
        if event["id"] in known_before:
            if known_before[event["id"]][0] == "current" and status != "current":
                withdrawn.append({**_brief(after, event), "status": status, "changed_by": changed_by})
            continue
        brief = _brief(after, event)
        if event.get("supersedes"):
            old = after.by_id.get(event["supersedes"])
            corrections.append({**brief, "corrects": _brief(after, old) if old else {"event_id": event["supersedes"]},
                                "status": status})
        elif event.get("retracts"):
            old = after.by_id.get(event["retracts"])
            retractions.append({**brief, "withdraws": _brief(after, old) if old else {"event_id": event["retracts"]},
                                "status": status})
        else:
            new_facts.append({**brief, "status": status})
    state_before = queries.state(conn, key, known_at=since).state if since else {}
    state_after = queries.state(conn, key, known_at=until).state
    state = {"added": [], "changed": [], "removed": []}
    for state_key in sorted(set(state_before) | set(state_after)):
        old, new = state_before.get(state_key), state_after.get(state_key)
        if old is not None and new is not None and old.event == new.event:
            continue
        entry = {"key": state_key, "before": _state_side(after, state_key, old), "after": _state_side(after, state_key, new)}
        either = entry["after"] or entry["before"]
        entry.update(label=either["label"], section=either["section"])
        if old is None:
            state["added"].append(entry)
        elif new is None:
            state["removed"].append(entry)
        else:
            same_period = (old.valid_from, old.valid_to) == (new.valid_from, new.valid_to)
            same_value = entry["before"]["text"] == entry["after"]["text"]
            entry["change"] = ("reported again" if same_value else "restated" if same_period else "newer period")
            state["changed"].append(entry)
    order = {key: place for place, (key, _) in enumerate(SECTIONS)}
    for rows in state.values():
        rows.sort(key=lambda r: (order.get(r["section"], 99), r["label"].casefold()))
    restated = _restated_values(before, after)
    pairs = [{"since": report_dates[i - 1] if i else None, "until": d} for i, d in enumerate(report_dates)][-8:]
    return {"entity": entity, "since": since, "until": until, "report_dates": report_dates, "report_pairs": pairs,
            "new_facts": new_facts, "corrections": corrections, "retractions": retractions, "withdrawn": withdrawn,
            "restated_values": restated, "state": state,
            "counts": {"new_facts": len(new_facts), "corrections": len(corrections), "retractions": len(retractions),
                       "restated_values": len(restated), "state_changes": sum(len(v) for v in state.values())}}


def _brief(s, event):
    return {"event_id": event["id"], "seq": event["seq"], "kind": event["kind"], "kind_label": display.kind_label(event["kind"]),
            "entity": event["entity"], "entity_name": s.name(event["entity"]), "when": s.when(event),
            "reported_on": event["reported_on"], "summary": event["summary"], "reason": event.get("reason"),
            "source": s.source(event["source"])}


def _state_side(s, state_key, entry):
    """One side of a state change: the key's label and value in words, as the state sections say them."""
    if entry is None:
        return None
    event = s.by_id.get(entry.event)
    row = _state_row(s, state_key, entry, event) if event else None
    if row is None:  # a relationship kind, or an event not at hand
        kind = event["kind"] if event else ""
        other = event.get("counterparty") if event else None
        label = f"{_capital(display.kind_label(kind))}: {s.name(other)}" if other else state_key
        text = display.state_value(entry, s.vocab)
        roles = s.vocab.relation(kind) if kind in s.vocab.kinds else None
        if text in ("owner", "invested", "acquired") and roles:
            text = ROLE_WORDS.get(roles[0], roles[0])  # the default says nothing the role does not
        value = [{"text": text}]
        row = {"section": KIND_SECTIONS.get(kind, "other"), "label": label, "value": value,
               "value_text": value[0]["text"]}
    return {"label": row["label"], "section": row["section"], "value": row["value"], "text": row["value_text"],
            "when": display.when(entry.valid_from, entry.valid_to, entry.precision, entry.date_text, entry.reported_on),
            "reported_on": entry.reported_on, "event_id": entry.event, "seq": (event or {}).get("seq"),
            "source": s.source(entry.source)}


def _restated_values(before, after):
    """Metric values for a period already reported before `since` whose standing value is now another."""
    if before is None:
        return []
    old = {(c["metric"], c["series"], c["valid_from"], c["valid_to"], c["shape"] == "change"): c for c in metric_cells(before)}
    restated = []
    for cell in metric_cells(after):
        previous = old.get((cell["metric"], cell["series"], cell["valid_from"], cell["valid_to"], cell["shape"] == "change"))
        if previous is not None and previous["value"] != cell["value"]:
            restated.append({"metric": cell["metric"], "label": after.metric(cell["metric"])["label"],
                             "series": cell["series"], "period": cell["period"],
                             "before": {k: previous[k] for k in ("text", "exact", "event_id", "seq", "reported_on", "source")},
                             "after": {k: cell[k] for k in ("text", "exact", "event_id", "seq", "reported_on", "source")}})
    return restated


# ---- feeds ----

def feed(conn, key=None, limit=FEED_SIZE):
    """The newest events (about `key` when given, as entity or counterparty), as Atom entries: stable
    ids (the event id and a digest of its content, the same after any rebuild), the real recorded_at."""
    where = "WHERE t.entity = :key OR t.counterparty = :key" if key else ""
    seqs = [r["seq"] for r in _rows(conn, f"SELECT t.seq FROM timeline t {where} ORDER BY t.seq DESC LIMIT :limit",
                                     key=key, limit=limit)]
    found = _timeline_rows(conn, seqs)
    entries = []
    for seq in seqs:
        row = found[seq]
        try:
            attributes = json.loads(row["attributes"])
        except (TypeError, ValueError):
            attributes = row["attributes"]
        content = {field: row.get(field) for field in EVENT_CONTENT if field not in ("id", "source", "attributes")}
        content.update(id=row["event_id"], source=row["source_key"], attributes=attributes)
        digest = content_digest(content)
        title = f"{row['entity_name'] or row['entity']} ({row['when']}): {row['summary']}"
        text = f"{row['summary']}\n\n“{row['quote']}” — {row['source_title']}" if row["quote"] else row["summary"]
        if row["source_publisher"]:
            text += f" ({row['source_publisher']})"
        if row["source_safe_url"]:
            text += f" {row['source_safe_url']}"
        if row["supersedes"] or row["retracts"]:
            text += f"\n\n{'Corrects' if row['supersedes'] else 'Withdraws'} {row['supersedes'] or row['retracts']}"
            text += f": {row['reason']}" if row["reason"] else ""
        entries.append({"id": f"tag:timeline,{row['reported_on'][:4]}:event/{row['event_id']}/{digest}",
                        "title": title, "updated": atom_time(row["recorded_at"], row["reported_on"]),
                        "published": f"{row['reported_on']}T00:00:00Z", "content": text, "seq": seq,
                        "entity": row["entity"], "entity_name": row["entity_name"] or row["entity"], "event_id": row["event_id"], "kind": row["kind"], "status": row["status"]})
    return entries


def content_digest(content):
    """16 hex digits of SHA-256 over an event's content (validation.EVENT_CONTENT; absent fields are
    null): what an Atom entry's id carries, so it changes only if the event itself does.  The
    `event_digest()` SQL function (the newest_events canned query) gives the same."""
    if isinstance(content, str):
        content = json.loads(content)
    return sha256_hex(canonical_json({field: content.get(field) for field in EVENT_CONTENT}))[:16]


def atom_time(recorded_at, fallback_date):
    """An RFC 3339 UTC time from a recorded_at ('2026-11-30T22:38:46.664219Z'), else the fallback date's midnight."""
    text = str(recorded_at or "").strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return f"{fallback_date}T00:00:00Z"
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
