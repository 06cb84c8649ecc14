"""What the Python API returns: plain dataclasses, one per kind of answer.

`to_dict()` gives the JSON the CLI prints with --json (same keys, same order).
"""
import dataclasses
from dataclasses import dataclass, field


class Result:
    def to_dict(self):
        return dataclasses.asdict(self)


@dataclass
class Report(Result):
    """What one write did, counted by what it touched; `event_ids` of the events it added."""
    added: dict = field(default_factory=dict)
    unchanged: dict = field(default_factory=dict)
    event_ids: list = field(default_factory=list)

    def count(self, outcome, what):
        counts = getattr(self, outcome)
        counts[what] = counts.get(what, 0) + 1

    def summary(self):
        parts = []
        for outcome in ("added", "unchanged"):
            counts = getattr(self, outcome)
            if counts:
                parts.append(f"{outcome} " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        return "; ".join(parts) or "nothing to do"


@dataclass
class StateEntry(Result):
    """One state key's value, the period it holds for, and the event and source it came from."""
    value: object
    unit: str
    qualifier: str
    valid_from: str
    valid_to: str
    precision: str
    period: str
    date_text: str
    reported_on: str
    event: str
    source: str


@dataclass
class State(Result):
    """An entity's state: now, as of a date (valid time) and/or as known at a date (publication time)."""
    entity: str
    as_of: str
    known_at: str
    state: dict  # state key -> StateEntry, sorted by key


@dataclass
class LogEntry(Result):
    """One event as the `timeline` view shows it, with its status and its period label."""
    seq: int
    event_id: str
    entity: str
    entity_name: str
    counterparty: str
    counterparty_name: str
    kind: str
    date_text: str
    valid_from: str
    valid_to: str
    precision: str
    date_note: str
    reported_on: str
    summary: str
    attributes: dict
    quote: str
    source_key: str
    source_title: str
    source_publisher: str
    source_url: str
    status: str
    changed_by: str
    supersedes: str
    retracts: str
    reason: str
    recorded_at: str
    period: str


@dataclass
class HistoryEntry(Result):
    """One reported value of a metric, standing or not, with first-reported and latest flags.

    `metric` is what the event reported (net_loss), `amount` signed as the
    history's metric counts it (a net income of -624000000); `value` is what
    was stated: a figure, a range, an outcome or a change.
    """
    period: str
    series: str
    valid_from: str
    valid_to: str
    precision: str
    kind: str
    metric: str
    value: object
    amount: object
    unit: str
    qualifier: str
    reported_on: str
    status: str
    first_reported: bool
    latest: bool
    event: str
    source: str


@dataclass
class EntityRecord(Result):
    key: str
    name: str
    type: str
    parent: str
    fiscal_year_end: str
    note: str
    aliases: list


@dataclass
class SourceRecord(Result):
    key: str
    title: str
    publisher: str
    url: str
    published_on: str
    published_from: str
    published_to: str
    published_precision: str
    retrieved_on: str
    document_type: str
    language: str
    sha256: str
    note: str
    recorded_at: str
    events: int


@dataclass
class Publication(Result):
    """A published file: where, what it holds, and the chain head it was built from."""
    path: str
    head_hash: str
    event_count: int
    entity_count: int
    source_count: int
    entities_head: str
    entity_aliases_head: str
    sources_head: str
    metrics_head: str
    built_at: str
    schema_revision: str
    timeline_version: str
    signed_message: str
    signature: str
    bytes: int
