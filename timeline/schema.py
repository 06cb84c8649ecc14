"""The database schema, in SQLAlchemy Core: the single source of truth.

Alembic revisions in migrations/ must produce exactly these tables (a test runs
compare_metadata).  Dates are ISO-8601 text and timestamps ISO-8601 UTC text, on
every backend: they sort correctly as text, they are what canonical JSON hashes,
and a log copied between SQLite and PostgreSQL stays byte-identical.
"""
import re

import sqlalchemy as sa

from .errors import TimelineError

metadata = sa.MetaData()

ISO_DATE = sa.String(10)
TIMESTAMP = sa.String(32)
HASH = sa.String(64)

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("publisher", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("published_on", sa.String(100), nullable=False),  # as written: "2025-09-08", "August 2024"
    sa.Column("published_from", ISO_DATE, nullable=False),
    sa.Column("published_to", ISO_DATE, nullable=False),
    sa.Column("published_precision", sa.String(12), nullable=False),
    sa.Column("retrieved_on", ISO_DATE),
    sa.Column("document_type", sa.String(40)),
    sa.Column("language", sa.String(16)),
    sa.Column("sha256", HASH),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", TIMESTAMP, nullable=False),
    sa.Column("prev_hash", HASH),  # the registry chains (chain.row_hash): always written, checked by verify
    sa.Column("hash", HASH),
)

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("parent", sa.String(200)),
    sa.Column("fiscal_year_end", sa.String(5), nullable=False, server_default="12-31"),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", TIMESTAMP, nullable=False),
    sa.Column("prev_hash", HASH),  # the registry chains (chain.row_hash): always written, checked by verify
    sa.Column("hash", HASH),
)

entity_aliases = sa.Table(
    "entity_aliases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(200), sa.ForeignKey("entities.key"), nullable=False),
    sa.Column("alias", sa.Text, nullable=False),
    sa.Column("alias_folded", sa.Text, nullable=False, index=True),
    sa.Column("recorded_at", TIMESTAMP, nullable=False),
    sa.Column("prev_hash", HASH),  # the registry chains (chain.row_hash): always written, checked by verify
    sa.Column("hash", HASH),
    sa.UniqueConstraint("entity", "alias_folded", name="uq_entity_aliases_entity_alias"),
)

metrics = sa.Table(
    # The metrics curators add (timeline metric add); the built-in ones are
    # timeline/metrics.yml.  Append-only like entities.
    "metrics",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),  # currency, per_share, count, percent, points, ratio, physical
    sa.Column("type", sa.String(10), nullable=False),  # flow or stock
    sa.Column("section", sa.String(40)),
    sa.Column("chart", sa.Boolean, nullable=False),
    sa.Column("opposite", sa.String(100)),
    sa.Column("xbrl", sa.Text, nullable=False),  # canonical JSON list of concepts
    sa.Column("words", sa.Text, nullable=False),  # canonical JSON list of phrases
    sa.Column("description", sa.Text),
    sa.Column("recorded_at", TIMESTAMP, nullable=False),
    sa.Column("prev_hash", HASH),  # the registry chains (chain.row_hash): always written, checked by verify
    sa.Column("hash", HASH),
)

events = sa.Table(
    "events",
    metadata,
    # seq is assigned by the writer as head + 1 inside the serialised append, so
    # it is gap-free on every backend and part of what the hash chain covers.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id", sa.String(300), nullable=False, unique=True),
    sa.Column("entity", sa.String(200), sa.ForeignKey("entities.key"), nullable=False),
    sa.Column("counterparty", sa.String(200), sa.ForeignKey("entities.key")),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("date_text", sa.Text, nullable=False),
    sa.Column("valid_from", ISO_DATE, nullable=False),
    sa.Column("valid_to", ISO_DATE, nullable=False),
    sa.Column("precision", sa.String(12), nullable=False),
    sa.Column("date_note", sa.Text),
    sa.Column("reported_on", ISO_DATE, nullable=False),
    sa.Column("recorded_at", TIMESTAMP, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),  # canonical JSON object
    sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("supersedes", sa.String(300)),
    sa.Column("retracts", sa.String(300)),
    sa.Column("reason", sa.Text),
    sa.Column("prev_hash", HASH, nullable=False),
    sa.Column("hash", HASH, nullable=False, unique=True),
    sa.Index("ix_events_entity_valid_from", "entity", "valid_from"),
    sa.Index("ix_events_reported_on", "reported_on"),
    sa.Index("ix_events_source_id", "source_id"),
    sa.Index("ix_events_supersedes", "supersedes"),
    sa.Index("ix_events_retracts", "retracts"),
)

# ---- projections: derived from the log, rebuilt by `timeline rebuild` ----

event_status = sa.Table(
    # One row per event: whether it still stands, and which state key it sets.
    # The time-travel queries read this index instead of re-deriving it.
    "event_status",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(300), nullable=False, unique=True),
    sa.Column("entity", sa.String(200), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # current, superseded, retracted
    sa.Column("changed_by", sa.String(300)),  # the correction or retraction
    sa.Column("state_key", sa.Text),
    sa.Index("ix_event_status_entity_key", "entity", "state_key", "status"),
)

event_standing = sa.Table(
    # When each event stands, by publication date (rules.standing_intervals):
    # one row per span of "known at" dates over which its status holds.
    # "Known at K" reads the rows with known_from <= K < known_until.
    "event_standing",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("known_from", ISO_DATE, primary_key=True),
    sa.Column("known_until", ISO_DATE),  # exclusive; NULL: still
    sa.Column("event_id", sa.String(300), nullable=False),
    sa.Column("entity", sa.String(200), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("changed_by", sa.String(300)),
    sa.Index("ix_event_standing_event_id", "event_id"),
)

entity_state = sa.Table(
    "entity_state",
    metadata,
    sa.Column("entity", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # canonical JSON
    sa.Column("amount", sa.Float),
    sa.Column("unit", sa.String(40)),
    sa.Column("valid_from", ISO_DATE, nullable=False),
    sa.Column("valid_to", ISO_DATE, nullable=False),
    sa.Column("precision", sa.String(12), nullable=False),
    sa.Column("reported_on", ISO_DATE, nullable=False),
    sa.Column("event_id", sa.String(300), nullable=False),
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Index("ix_entity_state_event_id", "event_id"),
)

metric_history = sa.Table(
    "metric_history",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("entity", sa.String(200), nullable=False),
    sa.Column("metric", sa.String(100), nullable=False),
    sa.Column("series", sa.Text, nullable=False, server_default=""),  # segment, product, market: "" for the total
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("valid_from", ISO_DATE, nullable=False),
    sa.Column("valid_to", ISO_DATE, nullable=False),
    sa.Column("precision", sa.String(12), nullable=False),
    sa.Column("date_text", sa.Text, nullable=False),
    sa.Column("amount", sa.Float),
    sa.Column("unit", sa.String(40)),
    sa.Column("qualifier", sa.String(20)),
    sa.Column("value", sa.Text),  # canonical JSON of what was stated: a figure, a range, an outcome, a change
    sa.Column("reported_on", ISO_DATE, nullable=False),
    sa.Column("event_id", sa.String(300), nullable=False),
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("first_reported", sa.Boolean, nullable=False),
    sa.Column("latest", sa.Boolean, nullable=False),
    sa.Index("ix_metric_history_entity_metric", "entity", "metric", "valid_from"),
    sa.Index("ix_metric_history_event_id", "event_id"),
)

relationships = sa.Table(
    "relationships",
    metadata,
    sa.Column("entity", sa.String(200), primary_key=True),
    sa.Column("counterparty", sa.String(200), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),  # what the counterparty is to the entity
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("since", ISO_DATE, nullable=False),
    sa.Column("precision", sa.String(12), nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),
    sa.Column("event_id", sa.String(300), primary_key=True),
    sa.Column("source_key", sa.String(200), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Index("ix_relationships_event_id", "event_id"),
)

for _table in (sources, entities, entity_aliases, metrics):
    sa.Index(f"uq_{_table.name}_hash", _table.c.hash, unique=True)

PROJECTIONS = (event_status, event_standing, entity_state, metric_history, relationships)
LOG_TABLES = (sources, entities, entity_aliases, metrics, events)


# ---- what every backend can store ----

# lone UTF-16 surrogates: what a JSON or YAML "\ud800" escape or non-UTF-8 bytes in an
# argument decode to; no database can store them (sqlite3 and psycopg refuse to encode them)
_SURROGATE = re.compile("[\ud800-\udfff]")
_COLUMN_LENGTHS = {}


def valid_text(value):
    """True for a str a database can store and compare (no lone surrogates)."""
    return isinstance(value, str) and not _SURROGATE.search(value)


def _column_lengths(table):
    """{column name: VARCHAR length or None} of `table`, computed once (an import checks every row)."""
    lengths = _COLUMN_LENGTHS.get(table.name)
    if lengths is None:
        lengths = _COLUMN_LENGTHS[table.name] = {c.name: getattr(c.type, "length", None) for c in table.c}
    return lengths


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_fits(table, row, what=None):
    """Every text value must fit its column, on every backend.

    PostgreSQL enforces VARCHAR(n) and refuses NUL characters; SQLite stores
    either.  Checking here gives the same one-line error on both, so a log
    SQLite accepts can always be copied to PostgreSQL.
    """
    limits = _column_lengths(table)
    texts = [(name, value) for name, value in row.items() if isinstance(value, str) and name in limits]
    if not _UNSTORABLE.search("".join([value for _, value in texts])):
        # the common case, one search for every value: no NUL, no lone surrogate; only widths are left
        for name, value in texts:
            length = limits[name]
            if length and len(value) > length:
                break
        else:
            return
    for name, value in row.items():
        if not isinstance(value, str) or name not in limits:
            continue
        label = what or name
        if "\x00" in value:
            raise TimelineError(f"{label} contains a NUL character")
        if _SURROGATE.search(value):
            raise TimelineError(f"{label} is not valid Unicode text (a lone surrogate: bytes that "
                                "are not UTF-8, or an escape such as \\ud800)")
        length = limits[name]
        if length and len(value) > length:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise TimelineError(f"{label} {shown!r} is {len(value)} characters long; at most {length} are allowed")
