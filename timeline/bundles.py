"""Reading bundles (YAML in events/, JSON Lines exports) and writing exports.

A Bundle is what one file holds: entities, sources, and events that cite a
default source.  Reading never touches a database; the store validates.

YAML is loaded with a safe loader that also refuses anchors and aliases (no
"billion laughs"), duplicate keys (the second would silently win) and
absurdly deep nesting.
"""
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .chain import SOURCE_FIELDS, canonical_json
from .errors import TimelineError

MAX_DEPTH = 50
BUNDLE_KEYS = ("source", "events")


@dataclass
class Bundle:
    path: str
    entities: list = field(default_factory=list)
    metrics: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    events: list = field(default_factory=list)
    default_source: str = None


class _Strict:
    """Safe loading, stricter: no aliases, no duplicate keys, no deep nesting, no impossible dates."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(None, None, "anchors and aliases are not allowed", mark)
        if len(self.depth_stack) > MAX_DEPTH:
            raise yaml.MarkedYAMLError(None, None, f"nested deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
        self.depth_stack.append(None)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth_stack.pop()

    def construct_yaml_timestamp(self, node):
        # 2025-13-45 looks like a date to YAML; datetime refuses it with a bare ValueError
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as error:
            raise yaml.MarkedYAMLError(None, None, f"impossible date {node.value!r} ({error})", node.start_mark) from None

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (list, dict)):
                raise yaml.MarkedYAMLError(None, None, "a mapping key must be plain text", key_node.start_mark)
            if key in seen:
                raise yaml.MarkedYAMLError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


if getattr(yaml, "__with_libyaml__", False):
    class _StrictLoader(_Strict, yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor,
                        yaml.resolver.Resolver):
        """libyaml scans and parses (several times faster than PyYAML's Python scanner);
        the Python composer above builds the nodes, so the checks in _Strict still run
        on every event before anything is built."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:
    class _StrictLoader(_Strict, yaml.SafeLoader):
        """PyYAML's pure-Python loader, where libyaml is not installed."""


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _Strict.construct_yaml_timestamp)


def _load_yaml(text, path):
    loader = None
    try:
        loader = _StrictLoader(text)  # the reader already refuses control characters here
        loader.depth_stack = []
        return loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or getattr(error, "reason", None) or str(error).splitlines()[0]
        raise TimelineError(f"malformed YAML at{line}: {problem}", path) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TimelineError("not UTF-8 text", str(path)) from None
    except OSError as error:
        raise TimelineError(error.strerror or str(error), str(path)) from None


def files_under(paths):
    """The bundle files named by `paths`: entities.yml and metrics.yml first, then bundles by name."""
    found = []
    for path in map(Path, paths):
        try:
            if path.is_dir():
                inside = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml", ".jsonl") and p.is_file())
                found.extend(sorted(inside, key=lambda p: (p.stem not in ("entities", "metrics"), str(p))))
            elif path.exists():
                found.append(path)
            else:
                raise TimelineError("no such file or directory", str(path))
        except OSError as error:  # a name too long for the file system, an unreadable directory…
            raise TimelineError(error.strerror or str(error), str(path)) from None
        except ValueError:  # os.stat refuses a NUL in a path (no shell can pass one; a caller can)
            raise TimelineError("a path cannot contain a NUL character", repr(str(path))) from None
    if not found:
        raise TimelineError(f"no bundles (.yml, .yaml, .jsonl) in {', '.join(map(str, paths))}")
    return found


def read(paths):
    """Bundles from files and directories."""
    return [read_file(path) for path in files_under(paths)]


def read_file(path):
    text = read_text(path)
    if Path(path).suffix == ".jsonl":
        return read_jsonl(text, str(path))
    return read_yaml(text, str(path))


def read_yaml(text, path):
    data = _load_yaml(text, path)
    if not isinstance(data, dict):
        raise TimelineError("a bundle must be a mapping with `entities:` or `source:` and `events:`", path)
    for registry in ("entities", "metrics"):
        if registry in data:
            if set(data) != {registry}:
                raise TimelineError(f"a{'n' if registry == 'entities' else ''} {registry} file holds only `{registry}:`", path)
            if not isinstance(data[registry], list):
                raise TimelineError(f"`{registry}:` must be a list", path)
            return Bundle(path, **{registry: data[registry]})
    unknown = set(data) - set(BUNDLE_KEYS)
    if unknown:
        raise TimelineError(f"unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}; a bundle has `source:` and `events:`", path)
    source = data.get("source")
    events = data.get("events")
    events = [] if events is None else events
    if not isinstance(events, list):
        raise TimelineError("`events:` must be a list", path)
    if not isinstance(source, dict):
        raise TimelineError("a bundle needs a `source:` mapping", path)
    return Bundle(path, sources=[source], events=events, default_source=source.get("key"))


def read_jsonl(text, path):
    """A JSON Lines export: entity, source and event records, in that order."""
    bundle = Bundle(path)
    source_keys = set()  # of bundle.sources: an export cites thousands, one lookup per event
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise TimelineError(f"line {number}: not JSON ({error.msg})", path) from None
        if not isinstance(record, dict):
            raise TimelineError(f"line {number}: a record must be a JSON object", path)
        kind = record.pop("record", "event")
        if kind == "entity":
            bundle.entities.append(record)
        elif kind == "metric":
            bundle.metrics.append(record)
        elif kind == "source":
            bundle.sources.append(record)
            if isinstance(record.get("key"), str):
                source_keys.add(record["key"])
        elif kind == "event":
            bundle.events.append(_event_from_export(record, bundle, source_keys, number, path))
        else:
            raise TimelineError(f"line {number}: unknown record type {kind!r}", path)
    return bundle


def _event_from_export(record, bundle, source_keys, number, path):
    source = record.get("source")
    if not isinstance(source, dict) or "key" not in source:
        raise TimelineError(f"line {number}: an event needs a `source` object with a key", path)
    key = source["key"]
    if not isinstance(key, str):  # not a key at all: the store refuses it, naming the source
        bundle.sources.append(source)
    elif key not in source_keys:
        source_keys.add(key)
        bundle.sources.append(source)
    raw = {k: record.get(k) for k in ("id", "entity", "counterparty", "kind", "valid_from", "valid_to",
                                      "precision", "date_note", "reported_on", "summary", "attributes",
                                      "quote", "supersedes", "retracts", "reason")}
    raw = {k: v for k, v in raw.items() if v is not None}
    raw["date"] = record.get("date_text")
    raw["source"] = source["key"]
    if not raw.get("date_note"):
        # the span was parsed from date_text when recorded; parsing again gives it back
        for name in ("valid_from", "valid_to", "precision"):
            raw.pop(name, None)
    if {"seq", "recorded_at", "prev_hash", "hash"} <= set(record):
        raw["_preserve"] = {k: record[k] for k in ("seq", "recorded_at", "prev_hash", "hash")}
    return raw


# ---- exporting ----

EXPORT_FIELDS = ("id", "seq", "entity", "counterparty", "kind", "date_text", "valid_from", "valid_to",
                 "precision", "date_note", "reported_on", "recorded_at", "summary", "attributes", "source",
                 "quote", "supersedes", "retracts", "reason", "prev_hash", "hash")


def export_records(entities, aliases, metrics, sources, events):
    """The records of a whole log: entities (with their aliases), metrics, sources, then events.

    Every row keeps its recorded_at, so importing the records rebuilds the log
    as it was (an alias recorded later than its entity says when).  `aliases`:
    {entity key: [(alias, recorded_at)]} in the order recorded.
    """
    for entity in entities:
        yield {"record": "entity", **{k: entity[k] for k in ("key", "name", "type", "parent", "fiscal_year_end", "note")},
               "aliases": [alias if recorded_at == entity["recorded_at"] else {"alias": alias, "recorded_at": recorded_at}
                           for alias, recorded_at in aliases.get(entity["key"], [])],
               "recorded_at": entity["recorded_at"]}
    for metric in metrics:
        yield {"record": "metric", **{k: metric[k] for k in ("key", "label", "unit", "type", "section", "chart",
                                                             "opposite", "description", "recorded_at")},
               "xbrl": json.loads(metric["xbrl"]), "words": json.loads(metric["words"])}
    for source in sources:
        yield {"record": "source", **{k: source[k] for k in SOURCE_FIELDS if k not in ("published_from", "published_to", "published_precision")},
               "recorded_at": source["recorded_at"]}
    by_id = {s["id"]: s for s in sources}
    for event in events:
        source = by_id[event["source_id"]]
        yield {"record": "event", **{k: event.get(k) for k in EXPORT_FIELDS if k != "source"},
               "attributes": json.loads(event["attributes"]),
               "source": {k: source[k] for k in ("key", "title", "publisher", "url", "published_on")}}


def to_jsonl(records):
    return "".join(canonical_json(record) + "\n" for record in records)


CSV_FIELDS = tuple(f for f in EXPORT_FIELDS if f != "source") + ("source_key", "source_title", "source_url")


def to_csv(records):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        if record["record"] != "event":
            continue
        writer.writerow({**record, "attributes": canonical_json(record["attributes"]),
                         "source_key": record["source"]["key"], "source_title": record["source"]["title"],
                         "source_url": record["source"]["url"]})
    return out.getvalue()
