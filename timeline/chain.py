"""Canonical JSON and the SHA-256 hash chain over the event log.

One function writes canonical JSON; import, export, hashing and verify all use
it, so a log moved between databases or files hashes to the same head.

    hash = sha256(prev_hash + canonical_json(payload))

where the payload is the event row as JSON (attributes as an object, the source
as its key plus a digest of the source row, so editing a cited source breaks
the chain too) without `hash` itself.
"""
import hashlib
import json

GENESIS = "0" * 64


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value):
    """Sorted keys, no whitespace, UTF-8 text, integers kept integers.

    (json.dumps with these options, through one encoder made once: json.dumps
    would build a new encoder on every call, a third of the cost of a small
    object.)
    """
    return _CANONICAL.encode(value)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


SOURCE_FIELDS = (
    "key", "title", "publisher", "url", "published_on", "published_from", "published_to",
    "published_precision", "retrieved_on", "document_type", "language", "sha256", "note",
)

EVENT_FIELDS = (
    "seq", "id", "entity", "counterparty", "kind", "date_text", "valid_from", "valid_to",
    "precision", "date_note", "reported_on", "recorded_at", "summary", "attributes", "quote",
    "supersedes", "retracts", "reason", "prev_hash",
)


def source_digest(source):
    """Digest of a source row's content: events carry it into their hash."""
    return sha256_hex(canonical_json({field: source.get(field) for field in SOURCE_FIELDS}))


def event_payload(event, source, digest=None):
    """What an event's hash covers: every column but `hash`, with the source inlined.

    `digest` is source_digest(source) when the caller already has it (a bulk
    import hashes thousands of events citing one source).
    """
    payload = {field: event.get(field) for field in EVENT_FIELDS}
    if isinstance(payload["attributes"], str):
        payload["attributes"] = json.loads(payload["attributes"])
    payload["source"] = source["key"]
    payload["source_digest"] = digest or source_digest(source)
    return payload


# "attributes" sorts first among the payload's keys, so the payload's canonical
# JSON is '{"attributes":' + the attributes' canonical JSON + ',' + the rest's.
_AFTER_ATTRIBUTES = tuple(f for f in EVENT_FIELDS if f != "attributes")
assert min(EVENT_FIELDS + ("source", "source_digest")) == "attributes"


def event_hash(event, source, digest=None, attributes_json=None):
    """sha256(prev_hash + canonical_json(event_payload(event, source))).

    `attributes_json`, the canonical JSON of event["attributes"] when the
    caller has it (the store writes it to the row too), is spliced in rather
    than encoded again; the text hashed is the same.
    """
    if attributes_json is None:
        return sha256_hex(event["prev_hash"] + canonical_json(event_payload(event, source, digest)))
    rest = {field: event.get(field) for field in _AFTER_ATTRIBUTES}
    rest["source"] = source["key"]
    rest["source_digest"] = digest or source_digest(source)
    return sha256_hex(event["prev_hash"] + '{"attributes":' + attributes_json + "," + canonical_json(rest)[1:])


# ---- the registry's chains: entities, aliases, sources and metrics ----
#
# Each registry table is a chain of its own, in id order: a row's hash covers
# every column but `hash` (its id, recording time and prev_hash included), so
# renaming an entity, editing an alias or a source, or deleting or reordering
# rows breaks it like an edit of an event breaks the event chain.

REGISTRY_TABLES = ("entities", "entity_aliases", "sources", "metrics")
BOOLEAN_COLUMNS = {"metrics": ("chart",)}  # SQLite stores 0/1: hashed as the truth value


def row_payload(table_name, row):
    payload = {name: value for name, value in row.items() if name != "hash"}
    for name in BOOLEAN_COLUMNS.get(table_name, ()):
        payload[name] = bool(payload[name])
    return payload


def row_hash(table_name, row):
    """sha256(prev_hash + canonical_json(the row without its hash))."""
    return sha256_hex(row["prev_hash"] + canonical_json(row_payload(table_name, row)))
