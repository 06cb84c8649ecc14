"""The log as YAML bundles: the files `timeline export --bundles events/` writes.

`bundle_texts(records)` turns the export records of a whole log
(bundles.export_records) into the text of entities.yml, metrics.yml and one
bundle per source, in the format curators write by hand (docs/bundles.md),
with what a rebuild needs to reproduce the log exactly: each event's span,
`recorded_at` and `seq`, and the recording time of every entity, alias,
metric and source.

The text is byte-stable: the same log always gives the same bytes (keys in a
fixed order, no line wrapping, one quoting rule), so a curator's addition is
a small, readable diff.  Every scalar reads back as the value written, under
the project's strict YAML loader.
"""
import json
import re

from . import dates

SOURCE_ORDER = ("key", "title", "publisher", "url", "published_on", "retrieved_on", "document_type", "language",
                "sha256", "note", "recorded_at")
ENTITY_ORDER = ("key", "name", "type", "aliases", "parent", "fiscal_year_end", "note", "recorded_at")
METRIC_ORDER = ("key", "label", "unit", "type", "section", "chart", "opposite", "xbrl", "words", "description",
                "recorded_at")
EVENT_ORDER = ("id", "entity", "counterparty", "kind", "date", "valid_from", "valid_to", "precision", "date_note",
               "reported_on", "summary", "attributes", "quote", "supersedes", "retracts", "reason", "recorded_at", "seq")
ATTRIBUTE_ORDER = ("metric", "value", "target", "target_text", "outcome", "change_yoy", "change_qoq")


def bundle_texts(records):
    """{file stem: YAML text}: 'entities', 'metrics' (when curators added any), and each source's key."""
    entities, metrics, sources, events = [], [], {}, {}
    for record in records:
        kind = record["record"]
        if kind == "entity":
            entities.append(record)
        elif kind == "metric":
            metrics.append(record)
        elif kind == "source":
            sources[record["key"]] = record
            events.setdefault(record["key"], [])
        else:
            events.setdefault(record["source"]["key"], []).append(record)
    texts = {"entities": _document("entities", [_entity(e) for e in entities])}
    if metrics:
        texts["metrics"] = _document("metrics", [_ordered(m, METRIC_ORDER) for m in metrics])
    for key, source in sources.items():
        published_to = dates.parse(str(source["published_on"])).valid_to.isoformat()
        body = _mapping({"source": _ordered(source, SOURCE_ORDER)}, 0)
        items = [_event(event, published_to) for event in events[key]]
        body += "events:\n" + "".join(_item(item) for item in items) if items else "events: []\n"
        texts[key] = body
    return texts


def _entity(record):
    entity = _ordered(record, ENTITY_ORDER)
    if entity.get("fiscal_year_end") == "12-31":
        del entity["fiscal_year_end"]  # the default, as curators write it
    if not entity.get("aliases"):
        entity.pop("aliases", None)
    return entity


def _event(record, published_to):
    event = {**record, "date": record["date_text"]}
    if published_to and event.get("reported_on") == published_to:
        del event["reported_on"]  # the source's date: the default
    attributes = record.get("attributes") or {}
    first = [name for name in ATTRIBUTE_ORDER if name in attributes]
    event["attributes"] = {name: attributes[name] for name in first + sorted(set(attributes) - set(first))}
    if not event["attributes"]:
        del event["attributes"]
    return _ordered(event, EVENT_ORDER)


def _ordered(record, order):
    return {key: record[key] for key in order if record.get(key) is not None}


def _document(name, items):
    return f"{name}:\n" + "".join(_item(item) for item in items) if items else f"{name}: []\n"


def _item(mapping):
    """A list item: '- key: value' then the other keys indented under it."""
    lines = _mapping(mapping, 2).splitlines(keepends=True)
    return "- " + lines[0][2:] + "".join(lines[1:])


def _mapping(mapping, indent):
    out = []
    pad = " " * indent
    for key, value in mapping.items():
        if isinstance(value, dict) and not _flat(value):
            out.append(f"{pad}{key}:\n" + _mapping(value, indent + 2))
        else:
            out.append(f"{pad}{key}: {_flow(value)}\n")
    return "".join(out)


def _flat(value):
    """A mapping small enough for one line: {amount: 155600000, unit: USD}."""
    return all(not isinstance(v, (dict, list)) for v in value.values()) and set(value) <= {
        "amount", "unit", "qualifier", "low", "high", "text", "alias", "recorded_at"}


def _flow(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return _scalar(value)


# plain (unquoted) text: what curators write, when it cannot be read as anything else
_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*$")
_FLOW_SPECIAL = re.compile(r"[,\[\]{}]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _scalar(value):
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        # YAML 1.1 reads a float only with a dot: 1e-11 would be text
        return text.replace("e", ".0e", 1) if "e" in text and "." not in text else text
    text = str(value)
    if (_PLAIN.match(text) and not text.endswith(" ") and ": " not in text and " #" not in text
            and not _FLOW_SPECIAL.search(text) and _reads_back(text)):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _reads_back(text):
    from .bundles import load_yaml
    from .errors import TimelineError
    try:
        return load_yaml(text) == text
    except TimelineError:
        return False
