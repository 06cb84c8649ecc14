"""Sources, entities and events as plain row dicts, checked and normalised.

These functions take what a person wrote (a YAML mapping, CLI options) and
return the row the store appends, or raise a one-line TimelineError.  They
touch no database: whether an entity or a source exists is the store's check.
"""
import re

from . import characters, dates, vocabulary
from .errors import TimelineError, did_you_mean

MAX_QUOTE = 300
KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9._@~/+-]*$")
ENTITY_TYPES = ("company", "brand", "product", "facility", "person", "market", "organization")
DOCUMENT_TYPES = ("news", "article", "press_release", "earnings_call", "filing", "report", "interview", "other")

SOURCE_KEYS = ("key", "title", "publisher", "url", "published_on", "retrieved_on", "document_type",
               "language", "sha256", "note", "status", "recorded_at")
ENTITY_KEYS = ("key", "name", "type", "aliases", "parent", "fiscal_year_end", "note", "recorded_at")
METRIC_KEYS = ("key", "label", "unit", "type", "section", "chart", "opposite", "xbrl", "words", "description",
               "recorded_at")
METRIC_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
EVENT_KEYS = ("id", "entity", "counterparty", "kind", "date", "valid_from", "valid_to", "precision",
              "date_note", "reported_on", "summary", "attributes", "quote", "supersedes", "retracts",
              "reason", "review", "recorded_at", "seq")

# at most this many characters, so no name, title or note can fill a page or a disk
TEXT_LIMITS = {"name": 500, "title": 1000, "publisher": 500, "note": 10000, "summary": 2000, "reason": 2000,
               "date_note": 2000, "date": 200, "url": 2000, "label": 200, "description": 2000, "alias": 300}
LEGAL_SUFFIXES = {"ltd", "ltd.", "limited", "inc", "inc.", "incorporated", "co", "co.", "company", "corp", "corp.",
                  "corporation", "llc", "l.l.c.", "plc", "ag", "sa", "s.a.", "se", "gmbh", "nv", "n.v.", "bv", "b.v.",
                  "kk", "k.k.", "oy", "ab", "asa", "spa", "s.p.a.", "pte", "pte.", "pty", "pty.", "group", "holdings",
                  "holding", "the company"}

_ALLOWED = {}  # field names -> the same as a set

# what makes two versions of an event "the same event": all but the recording columns
EVENT_CONTENT = ("id", "entity", "counterparty", "kind", "date_text", "valid_from", "valid_to",
                 "precision", "date_note", "reported_on", "summary", "attributes", "source",
                 "quote", "supersedes", "retracts", "reason")


def _check_fields(raw, allowed, what):
    if not isinstance(raw, dict):
        raise TimelineError(f"{what} must be a mapping, not {type(raw).__name__}")
    known = _ALLOWED.get(allowed)
    if known is None:
        known = _ALLOWED[allowed] = frozenset(allowed)
    if known.issuperset(raw):
        return
    for name in raw:
        if name not in allowed:
            raise TimelineError(f"unknown field '{name}' in {what}{did_you_mean(name, allowed)}")


def _text(raw, name, required=True, limit=None):
    value = raw.get(name)
    if type(value) is str and value and not value.isspace():  # the common case, first
        return checked_text(value, name, limit or TEXT_LIMITS.get(name))
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise TimelineError(f"{name} is missing or empty")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name not in ("summary", "quote"):
        value = str(value)
    if not isinstance(value, str):
        raise TimelineError(f"{name} must be text, not {type(value).__name__}")
    return checked_text(value, name, limit or TEXT_LIMITS.get(name))


def checked_text(value, name, limit=None):
    """`value` if it holds no control character and at most `limit` characters; else TimelineError."""
    control = characters.control_character(value)  # NUL among them
    if control and "\x00" in value:
        raise TimelineError(f"{name} contains a NUL character")
    if control:
        raise TimelineError(f"{name} contains the control character {characters.describe(control)}; "
                            "text may hold newlines and tabs, no other control characters")
    if limit and len(value) > limit:
        raise TimelineError(f"{name} is {len(value)} characters long; at most {limit} are allowed")
    return value


def _date_text(raw, name):
    """YAML reads 2025-09-08 as a date object; we keep dates as the text written."""
    value = raw.get(name)
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else _text(raw, name)


def _span(text, base=None, fiscal_year_end="12-31", explain=False):
    try:
        return dates.parse(text, base=base, fiscal_year_end=fiscal_year_end)
    except dates.DateError as error:
        hint = (" (when the date cannot be read, give valid_from, valid_to and precision, with a date_note "
                "saying how they were inferred)") if explain else ""
        raise TimelineError(f"{error}{hint}") from None


_DATES_READ = {}  # text -> ISO date: a bulk import reads the same few thousand dates once per row


def iso_date(text, name):
    """An ISO date (YYYY-MM-DD) as text, or TimelineError naming `name`."""
    if type(text) is str and text in _DATES_READ:
        return _DATES_READ[text]
    try:
        found = dates.parse_iso(text).isoformat()
    except dates.DateError as error:
        raise TimelineError(f"{name}: {error}") from None
    if len(_DATES_READ) > 20000:
        _DATES_READ.clear()
    _DATES_READ[text] = found
    return found


def make_source(raw):
    _check_fields(raw, SOURCE_KEYS, "source")
    key = _text(raw, "key")
    if not KEY.match(key):
        raise TimelineError(f"source key {key!r} must be a slug: lowercase letters, digits and hyphens")
    if raw.get("status") is not None:
        raise TimelineError(f"source '{key}' is marked status: {raw['status']}; review the draft and remove the draft marks before importing")
    published_on = _date_text(raw, "published_on")
    if not published_on:
        raise TimelineError(f"source '{key}' has no published_on date")
    span = _span(published_on)
    url = _text(raw, "url", required=False)
    if url and not re.match(r"^https?://\S+$", url):
        raise TimelineError(f"source '{key}' url {url!r} is not an http(s) address")
    document_type = _text(raw, "document_type", required=False)
    if document_type and document_type not in DOCUMENT_TYPES:
        raise TimelineError(f"unknown document_type '{document_type}'{did_you_mean(document_type, DOCUMENT_TYPES)}")
    sha256 = _text(raw, "sha256", required=False)
    if sha256 and not re.match(r"^[0-9a-f]{64}$", sha256):
        raise TimelineError(f"source '{key}' sha256 must be 64 lowercase hex digits")
    retrieved_on = _date_text(raw, "retrieved_on")
    return {
        "key": key,
        "title": _text(raw, "title"),
        "publisher": _text(raw, "publisher", required=False),
        "url": url,
        "published_on": published_on,
        "published_from": span.valid_from.isoformat(),
        "published_to": span.valid_to.isoformat(),
        "published_precision": span.precision,
        "retrieved_on": iso_date(retrieved_on, "retrieved_on") if retrieved_on else None,
        "document_type": document_type,
        "language": _text(raw, "language", required=False),
        "sha256": sha256,
        "note": _text(raw, "note", required=False),
    }


def make_entity(raw):
    """(entity row, [aliases]) from an entities.yml item."""
    _check_fields(raw, ENTITY_KEYS, "entity")
    key = _text(raw, "key")
    if not KEY.match(key):
        raise TimelineError(f"entity key {key!r} must be a slug: lowercase letters, digits and hyphens")
    entity_type = _text(raw, "type")
    if entity_type not in ENTITY_TYPES:
        raise TimelineError(f"entity '{key}': unknown type '{entity_type}'{did_you_mean(entity_type, ENTITY_TYPES)}")
    fiscal_year_end = _text(raw, "fiscal_year_end", required=False) or "12-31"
    if not re.match(r"^\d\d-\d\d$", fiscal_year_end):
        raise TimelineError(f"entity '{key}': fiscal_year_end {fiscal_year_end!r} must be MM-DD")
    iso_date(f"2000-{fiscal_year_end}", f"entity '{key}' fiscal_year_end")
    aliases = raw.get("aliases") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list):
        raise TimelineError(f"entity '{key}': aliases must be a list of names")
    aliases = [_alias(key, alias) for alias in aliases]
    seen = {}
    for alias, _ in aliases:
        folded = " ".join(alias.split()).casefold()
        if folded in seen:
            raise TimelineError(f"entity '{key}': alias {alias!r} is {seen[folded]!r} again (names are looked up "
                                "ignoring case and spacing); keep one")
        seen[folded] = alias
    parent = _text(raw, "parent", required=False)
    if parent == key:
        raise TimelineError(f"entity '{key}' cannot be its own parent")
    row = {
        "key": key,
        "name": _text(raw, "name"),
        "type": entity_type,
        "parent": parent,
        "fiscal_year_end": fiscal_year_end,
        "note": _text(raw, "note", required=False),
    }
    return row, aliases


def _alias(key, alias):
    """(name, recorded_at or None) of an alias: a name, or {alias: name, recorded_at: when} as written back."""
    recorded_at = None
    if isinstance(alias, dict):
        if set(alias) - {"alias", "recorded_at"} or "alias" not in alias:
            raise TimelineError(f"entity '{key}': an alias is a name, or {{alias: NAME, recorded_at: TIME}}")
        recorded_at = recorded_time(alias.get("recorded_at"), f"entity '{key}' alias recorded_at")
        alias = alias["alias"]
    if not isinstance(alias, (str, int)) or isinstance(alias, bool) or not str(alias).strip():
        raise TimelineError(f"entity '{key}': aliases must be a list of names")
    alias = checked_text(str(alias).strip(), f"entity '{key}' alias", TEXT_LIMITS["alias"])
    if " ".join(alias.split()).casefold().strip(" ,") in LEGAL_SUFFIXES:
        raise TimelineError(f"entity '{key}': alias {alias!r} is a bare legal form or a generic word, not a name "
                            "(write the whole name, quoted if it holds a comma: \"Acme Co., Ltd.\")")
    return alias, recorded_at


RECORDED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$")


_TIMES_READ = {}  # text -> recording time: a bulk import reads the same few times once per row


def recorded_time(value, what="recorded_at"):
    """A recording time as written back ("2026-11-30T12:00:00.000000Z", UTC), or None when not given."""
    import datetime as dt
    if value is None:
        return None
    if type(value) is str and value in _TIMES_READ:
        return _TIMES_READ[value]  # read before, and not in the future then, so not now either
    if isinstance(value, dt.datetime):  # YAML reads an unquoted timestamp as one
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if not isinstance(value, str) or not RECORDED_AT.match(value):
        shown = value if isinstance(value, str) and len(value) <= 40 else repr(value)[:40]
        raise TimelineError(f"{what} {shown!r} is not a UTC time like 2026-11-30T12:00:00.000000Z")
    try:
        moment = dt.datetime.strptime(value.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f" if "." in value else "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise TimelineError(f"{what} {value!r} is not a real time") from None
    if moment > dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(minutes=5):
        raise TimelineError(f"{what} {value} is in the future")
    if len(_TIMES_READ) > 10000:
        _TIMES_READ.clear()
    found = _TIMES_READ[value] = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # one form, so times compare as text
    return found


def make_metric(raw, vocab):
    """The metrics-table row for a metric a curator adds, checked against `vocab` (the log's vocabulary)."""
    from .chain import canonical_json
    _check_fields(raw, METRIC_KEYS, "metric")
    key = _text(raw, "key")
    if len(key) > 100 or not METRIC_KEY.match(key):
        raise TimelineError(f"metric key {key!r} must be lowercase letters, digits and underscores, starting "
                            "with a letter (at most 100)")
    if key in vocab.metrics and vocab.metrics[key]["builtin"]:
        raise TimelineError(f"metric '{key}' is built in (timeline/metrics.yml); pick another key")
    unit = _text(raw, "unit")
    if unit not in vocabulary.UNIT_KINDS:
        raise TimelineError(f"metric '{key}': unknown unit kind '{unit}'{did_you_mean(unit, vocabulary.UNIT_KINDS)} "
                            f"(one of {', '.join(vocabulary.UNIT_KINDS)})")
    period = _text(raw, "type")
    if period not in ("flow", "stock"):
        raise TimelineError(f"metric '{key}': type must be flow (over a period) or stock (a level on a day), not {period!r}")
    section = _text(raw, "section", required=False)
    if section is not None and section not in vocabulary.SECTIONS:
        raise TimelineError(f"metric '{key}': unknown section '{section}'{did_you_mean(section, vocabulary.SECTIONS)}")
    opposite = _text(raw, "opposite", required=False)
    if opposite is not None:
        if opposite not in vocab.metrics or vocab.metrics[opposite]["opposite"]:
            raise TimelineError(f"metric '{key}': opposite must be a signed metric it is the negative of, "
                                f"not {opposite!r}{vocab.suggest_metric(opposite)}")
    chart = raw.get("chart", True)
    if not isinstance(chart, bool):
        raise TimelineError(f"metric '{key}': chart must be true or false, not {chart!r}")
    lists = {}
    for name in ("xbrl", "words"):
        value = raw.get(name) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise TimelineError(f"metric '{key}': {name} must be a list of text")
        if name == "xbrl":
            bad = [v for v in value if not XBRL_CONCEPT.match(v)]
            if bad:
                raise TimelineError(f"metric '{key}': XBRL concept {bad[0]!r} must look like taxonomy:Concept "
                                    "(us-gaap:Revenues, ifrs-full:Revenue)")
        lists[name] = canonical_json(value)
    return {
        "key": key,
        "label": _text(raw, "label", limit=200),
        "unit": unit,
        "type": period,
        "section": section,
        "chart": chart,
        "opposite": opposite,
        "xbrl": lists["xbrl"],
        "words": lists["words"],
        "description": _text(raw, "description", required=False, limit=2000),
    }


XBRL_CONCEPT = re.compile(r"^[a-z][a-z0-9-]*:[A-Za-z][A-Za-z0-9_]*$")


def make_event(raw, source, fiscal_year_end="12-31", vocab=None, recorded_span=False):
    """The event row (without seq, recorded_at and hashes) from a bundle item.

    `source` is the cited source's row: its publication date is the base for
    relative dates and the default `reported_on`.  `vocab`: the log's
    Vocabulary (vocabulary.for_connection); the built-in one when not given.
    `recorded_span`: the item's span is the one recorded with it, under a hash
    the caller checked (a JSON Lines export that carries its chain): taken as
    written, as a written-back event's is, without reading the date again.
    """
    vocab = vocab or vocabulary.builtin()
    _check_fields(raw, EVENT_KEYS, "event")
    if raw.get("review") is not None:
        raise TimelineError("event still has its draft `review:` note; check the event and remove the note before importing")
    event_id = _text(raw, "id")
    if len(event_id) > 300 or not EVENT_ID.match(event_id):
        raise TimelineError(f"event id {event_id!r} must be lowercase letters, digits and . _ @ ~ / + - (at most 300)")
    kind = _text(raw, "kind")
    vocab.check_kind(kind)
    supersedes = _text(raw, "supersedes", required=False)
    retracts = _text(raw, "retracts", required=False)
    if supersedes and retracts:
        raise TimelineError("an event either supersedes or retracts another, not both")
    reason = _text(raw, "reason", required=False)
    if (supersedes or retracts) and not reason:
        raise TimelineError("a correction or retraction needs a reason")
    if reason and not (supersedes or retracts):
        raise TimelineError("reason is only for corrections and retractions (add supersedes or retracts)")

    date_text = _date_text(raw, "date")
    if not date_text:
        raise TimelineError("date is missing or empty")
    base = source["published_to"]
    explicit = [raw.get(name) for name in ("valid_from", "valid_to", "precision")]
    date_note = _text(raw, "date_note", required=False)
    if any(value is not None for value in explicit):
        if not all(value is not None for value in explicit):
            raise TimelineError("give all of valid_from, valid_to and precision, or none")
        if not date_note and raw.get("recorded_at") is None and not recorded_span:
            # a written-back event (with its recorded_at) keeps the span it was recorded with
            raise TimelineError("an explicit valid_from/valid_to/precision needs a date_note saying how the date was inferred")
        valid_from = iso_date(_date_text(raw, "valid_from"), "valid_from")
        valid_to = iso_date(_date_text(raw, "valid_to"), "valid_to")
        precision = raw["precision"]
        if precision not in dates.PRECISIONS:
            raise TimelineError(f"unknown precision '{precision}'{did_you_mean(precision, dates.PRECISIONS)}")
    else:
        span = _span(date_text, base=base, fiscal_year_end=fiscal_year_end, explain=True)
        valid_from, valid_to, precision = span.valid_from.isoformat(), span.valid_to.isoformat(), span.precision
    if valid_to < valid_from:
        raise TimelineError(f"valid_to {valid_to} is before valid_from {valid_from}")

    reported = _date_text(raw, "reported_on")
    # a fuzzy publication date counts from the end of its span: nothing is known early
    reported_on = _span(reported).valid_to.isoformat() if reported else source["published_to"]

    quote = _text(raw, "quote", required=not retracts, limit=MAX_QUOTE) or ""
    attributes = {} if retracts else vocab.validate_attributes(kind, raw.get("attributes"))
    return {
        "id": event_id,
        "entity": _text(raw, "entity"),
        "counterparty": _text(raw, "counterparty", required=False),
        "kind": kind,
        "date_text": date_text,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "precision": precision,
        "date_note": date_note,
        "reported_on": reported_on,
        "summary": _text(raw, "summary", limit=2000),
        "attributes": attributes,
        "source": source["key"],
        "quote": quote,
        "supersedes": supersedes,
        "retracts": retracts,
        "reason": reason,
    }


def differing_fields(new, old):
    """Names of the content fields in which two versions of an event differ."""
    return [field for field in EVENT_CONTENT if new.get(field) != old.get(field)]
