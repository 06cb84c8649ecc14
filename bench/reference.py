"""The hand-written baselines each timeline measurement is compared with.

They use only the standard library (sqlite3, json, hashlib) on a database
that `timeline init` created, so they pay for the same tables and indexes and
nothing else: no validation, no projections, no SQLAlchemy.
"""
import hashlib
import json
import sqlite3

GENESIS = "0" * 64
EVENT_FIELDS = ("seq", "id", "entity", "counterparty", "kind", "date_text", "valid_from", "valid_to",
                "precision", "date_note", "reported_on", "recorded_at", "summary", "attributes", "quote",
                "supersedes", "retracts", "reason", "prev_hash")
EVENT_COLUMNS = ("seq", "id", "entity", "counterparty", "kind", "date_text", "valid_from", "valid_to",
                 "precision", "date_note", "reported_on", "recorded_at", "summary", "attributes", "source_id",
                 "quote", "supersedes", "retracts", "reason", "prev_hash", "hash")
SOURCE_COLUMNS = ("id", "key", "title", "publisher", "url", "published_on", "published_from", "published_to",
                  "published_precision", "recorded_at")


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def raw_import(jsonl_path, db_path):
    """Insert a JSON Lines export with sqlite3 executemany, hashing the chain in Python.

    Every event row is hashed as timeline hashes it (sha256 of the previous
    hash + the canonical JSON of the row with its source key and a digest of
    the source), then entities, sources and events go in with one executemany
    each, in one transaction.  Returns the number of events.
    """
    entities, sources, rows, digests = [], {}, [], {}
    prev = GENESIS
    with open(jsonl_path, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            kind = record.pop("record")
            if kind == "entity":
                entities.append((record["key"], record["name"], record["type"], record.get("parent"),
                                 record.get("fiscal_year_end") or "12-31", record.get("note"), "1970-01-01T00:00:00Z"))
            elif kind == "source":
                sources[record["key"]] = (len(sources) + 1, record)
            else:
                key = record["source"]["key"]
                source_id, source = sources[key]
                digest = digests.get(key)
                if digest is None:
                    digest = digests[key] = _sha256(_canonical(source))
                payload = {name: record.get(name) for name in EVENT_FIELDS}
                payload.update(prev_hash=prev, source=key, source_digest=digest)
                digest_now = _sha256(prev + _canonical(payload))
                row = {**payload, "attributes": _canonical(record["attributes"]), "source_id": source_id,
                       "hash": digest_now}
                rows.append(tuple(row.get(name) for name in EVENT_COLUMNS))
                prev = digest_now
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            conn.executemany("INSERT INTO entities (key, name, type, parent, fiscal_year_end, note, recorded_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", entities)
            conn.executemany(
                f"INSERT INTO sources ({', '.join(SOURCE_COLUMNS)}) VALUES ({', '.join('?' * len(SOURCE_COLUMNS))})",
                [(source_id, key, s["title"], s.get("publisher"), s.get("url"), s["published_on"], s["published_on"],
                  s["published_on"], "day", "1970-01-01T00:00:00Z") for key, (source_id, s) in sources.items()])
            conn.executemany(
                f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})", rows)
    finally:
        conn.close()
    return len(rows)


# The state of one entity as of a date, by hand: for each state key the
# standing event with the greatest (valid_from, valid_to, reported_on, seq)
# among those that started by the date, through the same indexes timeline has.
AS_OF_SQL = """
SELECT state_key, id, seq, valid_from, valid_to, precision, reported_on, date_text, attributes, source
FROM (
    SELECT s.state_key, e.id, e.seq, e.valid_from, e.valid_to, e.precision, e.reported_on, e.date_text,
           e.attributes, src.key AS source,
           ROW_NUMBER() OVER (PARTITION BY s.state_key
                              ORDER BY e.valid_from DESC, e.valid_to DESC, e.reported_on DESC, e.seq DESC) AS n
    FROM event_status s
    JOIN events e ON e.seq = s.seq
    JOIN sources src ON src.id = e.source_id
    WHERE s.entity = ? AND s.status = 'current' AND s.state_key IS NOT NULL AND e.valid_from <= ?
)
WHERE n = 1
ORDER BY state_key
"""


def state_as_of(conn, entity, as_of):
    """{state key: event id} with each winner's row parsed, as a reader of the raw file would."""
    result = {}
    for key, event_id, *_rest, attributes, _source in conn.execute(AS_OF_SQL, (entity, as_of)):
        json.loads(attributes)
        result[key] = event_id
    return result
