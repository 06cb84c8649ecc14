"""Reading bundles (YAML in events/, JSON Lines exports) and writing exports.

A Bundle is what one file holds: entities, sources, and events that cite a
default source.  Reading never touches a database; the store validates.

YAML is loaded with a safe loader that also refuses anchors and aliases (no
"billion laughs"), duplicate keys (the second would silently win) and
absurdly deep nesting, and reads plain scalars as YAML 1.2 does: `1:30` and
`0x1F` stay text (YAML 1.1 would read 90 and 31), only true/false are
booleans.  Files must be regular files of a bounded size: `/dev/zero` is not
a bundle.
"""
import csv
import io
import json
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .chain import EVENT_FIELDS, GENESIS, SOURCE_FIELDS, canonical_json, source_digest
from .errors import TimelineError

MAX_DEPTH = 50
MAX_YAML_BYTES = 64 * 1024 * 1024  # a bundle is one document's facts; the whole ECARX corpus is 200 KB
MAX_JSONL_BYTES = 64 * 1024 ** 3  # an export of ten million events is about 10 GB
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


class _CoreResolver(yaml.resolver.BaseResolver):
    """Plain scalars as YAML 1.2's core schema reads them: a date stays the text written (dates.py reads it)."""


for _tag, _pattern, _first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    _CoreResolver.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


if getattr(yaml, "__with_libyaml__", False):
    class _StrictLoader(_Strict, yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor,
                        _CoreResolver):
        """libyaml scans and parses (several times faster than PyYAML's Python scanner);
        the Python composer above builds the nodes, so the checks in _Strict still run
        on every event before anything is built."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            _CoreResolver.__init__(self)
else:
    class _StrictLoader(_Strict, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
                        yaml.constructor.SafeConstructor, _CoreResolver):
        """PyYAML's pure-Python loader, where libyaml is not installed."""

        def __init__(self, stream):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            _CoreResolver.__init__(self)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _Strict.construct_yaml_timestamp)


def load_yaml(text, path=None):
    """The data of one YAML document, read strictly (see the module's docstring)."""
    loader = None
    try:
        loader = _StrictLoader(text)  # the reader already refuses control characters here
        loader.depth_stack = []
        return loader.get_single_data()
    except ValueError as error:  # an integer of more digits than Python converts (4300)
        raise TimelineError(f"malformed YAML: {error}", path) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or getattr(error, "reason", None) or str(error).splitlines()[0]
        raise TimelineError(f"malformed YAML at{line}: {problem}", path) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_text(path, limit=MAX_YAML_BYTES):
    """The text of a bundle file: a regular file of at most `limit` bytes, in UTF-8."""
    path = Path(path)
    try:
        _checked_size(path, limit)
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)  # a file that grows while it is read is not read past its limit
        if len(data) > limit:
            raise TimelineError(f"larger than a bundle may be ({limit:,} bytes)", str(path))
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise TimelineError("not UTF-8 text", str(path)) from None
    except OSError as error:
        raise TimelineError(error.strerror or str(error), str(path)) from None


def _checked_size(path, limit):
    """The size of `path`, a regular file of at most `limit` bytes; TimelineError otherwise."""
    if not path.is_file():
        raise TimelineError("not a regular file (a bundle is a .yml, .yaml or .jsonl file)", str(path))
    size = path.stat().st_size
    if size > limit:
        raise TimelineError(f"{size:,} bytes is larger than a bundle may be ({limit:,})", str(path))
    return size


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
    if Path(path).suffix == ".jsonl":
        return read_jsonl(read_text(path, MAX_JSONL_BYTES), str(path))
    return read_yaml(read_text(path), str(path))


def read_yaml(text, path):
    data = load_yaml(text, path)
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
    """A JSON Lines export (its whole text) as one Bundle: entity, metric, source and event records.

    An export's events carry their chain (seq, prev_hash, hash): the chain is
    checked from the first record, so a deleted, reordered or relinked record,
    or one edited or stripped of its hash, is refused naming its seq.  An
    import reads the file as a stream instead (JsonlFile): the same records
    and checks, one line at a time.
    """
    bundle = Bundle(path)
    reader = JsonlFile(path, size=len(text))
    for number, _, kind, record in reader.records(io.BytesIO(text.encode("utf-8", "surrogatepass"))):
        if kind == "event":
            raw, new_source = reader.event(record, number)
            if new_source is not None:
                bundle.sources.append(new_source)
            bundle.events.append(raw)
        else:
            reader.registry_record(kind, record)
            getattr(bundle, {"entity": "entities", "metric": "metrics", "source": "sources"}[kind]).append(record)
    return bundle


MAX_LINE_BYTES = MAX_YAML_BYTES  # one record of an export: an event is a few kilobytes


class JsonlFile:
    """A JSON Lines export read as a stream of records, one line at a time, in bounded memory.

    `records(handle)` yields (line number, byte offset of the line, record
    type, record) for every non-blank line; `event(record, number)` checks an
    event record's place in the export's chain (ExportChain) and turns it into
    the raw event the store validates, with the source it cites when this file
    has not named that source before; `registry_record` notes a source record.
    Every error names the file and the line.
    """

    def __init__(self, path, size=None):
        self.path = str(path)
        self.size = _checked_size(Path(path), MAX_JSONL_BYTES) if size is None else size
        self.chain = ExportChain(self.path)
        self.first_source = {}  # key -> the first source this file names (what the chain's digests use)
        self.source_keys = set()  # str keys this file has named (a record, or an event's source object)

    def open(self):
        try:
            return open(self.path, "rb")
        except OSError as error:
            raise TimelineError(error.strerror or str(error), self.path) from None

    def records(self, handle, offset=0, number=0):
        """(line number, byte offset, record type, record) from byte `offset` (line `number` + 1 there on)."""
        handle.seek(offset)
        read = offset
        while True:
            try:
                line = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as error:
                raise TimelineError(error.strerror or str(error), self.path) from None
            if not line:
                return
            number += 1
            start, read = read, read + len(line)
            if read > MAX_JSONL_BYTES:  # a file that grows while it is read is not read past its limit
                raise TimelineError(f"larger than a bundle may be ({MAX_JSONL_BYTES:,} bytes)", self.path)
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                raise TimelineError(f"line {number}: longer than a record may be ({MAX_LINE_BYTES:,} bytes)", self.path)
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                raise TimelineError("not UTF-8 text", self.path) from None
            if not text.strip():
                continue
            yield (number, start, *self.parse(text, number))

    def parse(self, line, number):
        """(record type, record) of one line."""
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise TimelineError(f"line {number}: not JSON ({error.msg})", self.path) from None
        except ValueError as error:  # an integer of more digits than Python converts
            raise TimelineError(f"line {number}: not JSON ({error})", self.path) from None
        except RecursionError:
            raise TimelineError(f"line {number}: not JSON (nested too deeply)", self.path) from None
        if not isinstance(record, dict):
            raise TimelineError(f"line {number}: a record must be a JSON object", self.path)
        kind = record.pop("record", "event")
        if kind not in ("entity", "metric", "source", "event"):
            raise TimelineError(f"line {number}: unknown record type {kind!r}", self.path)
        return kind, record

    def registry_record(self, kind, record):
        if kind == "source":
            self._named(record)

    def _named(self, source):
        key = source.get("key")
        if isinstance(key, str):
            self.source_keys.add(key)
        if isinstance(key, Hashable):
            self.first_source.setdefault(key, source)

    def event(self, record, number):
        """(raw event, the source object it cites if this file has not named that source yet, else None)."""
        payload = self.chain.check(record, self.first_source, number)
        raw, source = _event_from_export(record, number, self.path, payload)
        key = source["key"]
        if isinstance(key, str) and key in self.source_keys:
            return raw, None
        self._named(source)  # not a key at all (the store refuses it, naming the source), or a new one
        return raw, source


CHAIN_FIELDS = ("seq", "prev_hash", "hash", "recorded_at")


class ExportChain:
    """The hash chain of an export's event records, checked record by record as the file is read."""

    def __init__(self, path):
        self.path = path
        self.chained = None  # whether the export carries its chain: decided by its first event
        self.seq, self.head = 0, GENESIS
        self.sources = {}  # key -> (the source row its digest is computed from, the digest)

    def check(self, record, sources, number):
        """Check `record`'s place in the chain; `sources`: {key: the first source record of that key
        before it} (or the list of source records before it).  Returns what was hashed, for the
        store to compare instead of hashing again: (source digest, attributes' canonical JSON), or
        None when the export carries no chain."""
        has_chain = [field in record for field in CHAIN_FIELDS]
        if self.chained is None:
            self.chained = any(has_chain)
        if not self.chained:
            if any(has_chain):
                raise TimelineError(f"line {number}: an event with a chain among events without one", self.path)
            return None
        expected = self.seq + 1
        if not all(has_chain):
            missing = ", ".join(f for f, has in zip(CHAIN_FIELDS, has_chain) if not has)
            raise TimelineError(f"line {number}: chain broken at seq {expected}: the record has no {missing}", self.path)
        if record["seq"] != expected:
            raise TimelineError(f"line {number}: chain broken at seq {expected}: the record says seq "
                                f"{str(record['seq'])[:20]} (a record deleted, reordered or renumbered)", self.path)
        if record["prev_hash"] != self.head:
            raise TimelineError(f"line {number}: chain broken at seq {expected}: prev_hash does not match the record "
                                "before (a record deleted, reordered or relinked)", self.path)
        computed, hashed = self._hash(record, sources, number)
        if computed != record["hash"]:
            raise TimelineError(f"line {number}: chain broken at seq {expected}: the record does not match its hash "
                                "(the export was altered after it was written)", self.path)
        self.seq, self.head = expected, record["hash"]
        return hashed

    def _hash(self, record, sources, number):
        from .chain import event_hash
        from .validation import make_source, recorded_time
        recorded_time(record["recorded_at"], f"line {number}: recorded_at")
        source = record.get("source")
        key = source.get("key") if isinstance(source, dict) else None
        if not isinstance(key, Hashable) or key not in self.sources:
            if isinstance(sources, dict):
                written = sources.get(key) if isinstance(key, Hashable) else None
            else:
                written = next((s for s in sources if isinstance(s, dict) and s.get("key") == key), None)
            if not isinstance(written, dict):
                raise TimelineError(f"line {number}: chain broken at seq {self.seq + 1}: its source '{key}' has no "
                                    "source record before it", self.path)
            row = make_source({k: v for k, v in written.items() if k != "recorded_at"})
            self.sources[key] = (row, source_digest(row))
        row, digest = self.sources[key]
        try:
            attributes_json = canonical_json(record.get("attributes"))
            # (event_hash reads the source's key from the source row, not from the record)
            return event_hash(record, row, digest, attributes_json), (digest, attributes_json)
        except (TypeError, ValueError):
            return None, None


def _event_from_export(record, number, path, hashed=None):
    """(the raw event an export's record gives the store, the source object it cites)."""
    source = record.get("source")
    if not isinstance(source, dict) or "key" not in source:
        raise TimelineError(f"line {number}: an event needs a `source` object with a key", path)
    raw = {k: record.get(k) for k in ("id", "entity", "counterparty", "kind", "valid_from", "valid_to",
                                      "precision", "date_note", "reported_on", "summary", "attributes",
                                      "quote", "supersedes", "retracts", "reason")}
    raw = {k: v for k, v in raw.items() if v is not None}
    raw["date"] = record.get("date_text")
    raw["source"] = source["key"]
    if {"seq", "recorded_at", "prev_hash", "hash"} <= set(record):
        # the record's chain was checked (ExportChain): its span is the one recorded, taken as
        # written; the store hashes the event again only if it differs from what was hashed
        raw["_preserve"] = {k: record[k] for k in ("seq", "recorded_at", "prev_hash", "hash")}
        if hashed is not None:
            raw["_preserve"]["hashed"] = ({k: record.get(k) for k in HASHED_FIELDS}, *hashed)
    elif not raw.get("date_note"):
        # the span was parsed from date_text when recorded; parsing again gives it back
        for name in ("valid_from", "valid_to", "precision"):
            raw.pop(name, None)
    return raw, source


# what an event's hash covers besides its attributes and its source (chain.EVENT_FIELDS)
HASHED_FIELDS = tuple(f for f in EVENT_FIELDS if f != "attributes")


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
    return "".join(jsonl_lines(records))


def jsonl_lines(records):
    """The JSON Lines export of `records`, a line at a time."""
    for record in records:
        yield canonical_json(record) + "\n"


CSV_FIELDS = tuple(f for f in EXPORT_FIELDS if f != "source") + ("source_key", "source_title", "source_url")


def to_csv(records):
    return "".join(csv_chunks(records))


def csv_chunks(records, rows=1000):
    """The CSV export of `records` (events only), `rows` lines a chunk."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for record in records:
        if record["record"] != "event":
            continue
        writer.writerow({**record, "attributes": canonical_json(record["attributes"]),
                         "source_key": record["source"]["key"], "source_title": record["source"]["title"],
                         "source_url": record["source"]["url"]})
        count += 1
        if count % rows == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
