"""The event-sourcing rules, as pure functions over event dicts: no SQL here.

Every other module that needs one of these answers calls this one, so each
rule has one definition:

- standing: an event stands (`current`) unless a standing event supersedes or
  retracts it; retracting a correction lets the corrected event stand again
  (`statuses`).  "Known at K" is the same rule over the events reported by K
  (`known_at`), stored as the spans of dates over which each event's status
  holds (`standing_intervals`, the event_standing projection);
- ranking: for each entity and state key the winner is the standing event with
  the greatest (valid_from, valid_to, reported_on, seq) (`rank`, `winners`);
- latest report: for each entity, metric and period, `first_reported` is the
  least (reported_on, seq) and `latest` the greatest (`report_order`,
  `flag_group`);
- the rows each projection holds for an event (`state_row`, `metric_row`,
  `relationship_rows`) and the whole projection of a log (`replay`).

An event here is a dict with the events table's columns, `attributes` as a
mapping and `source` as the cited source's key.
"""
from dataclasses import dataclass, field

from . import vocabulary
from .chain import canonical_json


RANK = ("valid_from", "valid_to", "reported_on", "seq")  # what `rank` compares, in order
REPORT_ORDER = ("reported_on", "seq")  # what `report_order` compares, in order


def rank(event):
    """The order of a state key's candidates: the greatest wins (columns: RANK)."""
    return (event["valid_from"], event["valid_to"], event["reported_on"], event["seq"])


def report_order(event):
    """The order of reports of one metric and period: the least is the first, the greatest the latest
    (columns: REPORT_ORDER)."""
    return (event["reported_on"], event["seq"])


def state_key_of(event, vocab=None):
    """The state key an event sets (None for retractions and kinds without state).

    `vocab`: the log's Vocabulary (vocabulary.for_connection), for the
    metrics its curators added; the built-in one when not given.
    """
    if "_state_key" in event:  # worked out once when the writer staged the event
        return event["_state_key"]
    if event.get("retracts"):
        return None
    return (vocab or vocabulary.builtin()).state_key(
        event["kind"], event["attributes"], event.get("counterparty"),
        event["valid_from"], event["valid_to"], event["precision"])


# ---- standing ----

def statuses(events):
    """{event id: (status, changed_by)} after the events, in seq order."""
    status, by_id = {}, {}
    for event in events:
        by_id[event["id"]] = event
        status[event["id"]] = ("current", None)
        if event.get("supersedes"):
            status[event["supersedes"]] = ("superseded", event["id"])
        if event.get("retracts"):
            status[event["retracts"]] = ("retracted", event["id"])
            target = by_id.get(event["retracts"], {})
            if target.get("supersedes") and status.get(target["supersedes"]) == ("superseded", target["id"]):
                status[target["supersedes"]] = ("current", None)
    return status


def known_at(events, known_at_date):
    """The events reported by `known_at_date`, each with (status, changed_by) as the record stood then.

    `events`: in seq order, and holding every event that changes one of them
    (a correction or retraction of an event is reported with the changer's
    own date).  Returns [(event, (status, changed_by))] in seq order.
    """
    known = [e for e in events if known_at_date is None or e["reported_on"] <= known_at_date]
    status = statuses(known)
    return [(event, status[event["id"]]) for event in known]


def clusters(events):
    """The events grouped by the corrections and retractions that link them, each group in seq order.

    An event's standing depends only on the events of its group: those that
    change it, and those that change them (a retraction of a correction).
    """
    parent = {}

    def root(event_id):
        while parent.setdefault(event_id, event_id) != event_id:
            parent[event_id] = parent[parent[event_id]]
            event_id = parent[event_id]
        return event_id

    for event in events:
        target = event.get("supersedes") or event.get("retracts")
        root(event["id"])
        if target:
            parent[root(event["id"])] = root(target)
    groups = {}
    for event in events:
        groups.setdefault(root(event["id"]), []).append(event)
    return list(groups.values())


def standing_intervals(events):
    """When each event stands, by publication date: rows of the event_standing projection.

    For every event, one row per span of "known at" dates over which its
    status does not change: known_from (inclusive; the first is the event's
    own reported_on) to known_until (exclusive; None for "still"), with the
    status and the event that changed it, as `known_at` gives for any date in
    the span.  `events`: whole clusters (see `clusters`), any order.
    """
    rows = []
    for group in clusters(sorted(events, key=lambda e: e["seq"])):
        dates = sorted({event["reported_on"] for event in group})
        spans = {}  # event id -> [row], the current span last
        for index, date in enumerate(dates):
            until = dates[index + 1] if index + 1 < len(dates) else None
            for event, (status, changed_by) in known_at(group, date):
                span = spans.setdefault(event["id"], [])
                if span and (span[-1]["status"], span[-1]["changed_by"]) == (status, changed_by):
                    span[-1]["known_until"] = until
                    continue
                span.append({"seq": event["seq"], "event_id": event["id"], "entity": event["entity"],
                             "known_from": date, "known_until": until, "status": status, "changed_by": changed_by})
        rows.extend(row for span in spans.values() for row in span)
    return sorted(rows, key=lambda r: (r["seq"], r["known_from"]))


def lone_standing(event):
    """standing_intervals([event]) for an event no other event changes or is changed by (most of a
    log): one row, standing from its own report on (tests/test_scale.py checks the two agree)."""
    return {"seq": event["seq"], "event_id": event["id"], "entity": event["entity"],
            "known_from": event["reported_on"], "known_until": None, "status": "current", "changed_by": None}


def winners(events, as_of=None, vocab=None):
    """{state key: event}: the highest-ranked of `events` (standing ones) for each key, by `as_of`."""
    chosen = {}
    for event in events:
        key = state_key_of(event, vocab)
        if key is None or (as_of and event["valid_from"] > as_of):
            continue
        if key not in chosen or rank(event) > rank(chosen[key]):
            chosen[key] = event
    return chosen


# ---- the rows each projection holds for one standing event ----

def state_value(event, vocab=None):
    return (vocab or vocabulary.builtin()).state_value(event["kind"], event["attributes"], event.get("counterparty"))


def _amount(value):
    """The amount of a single figure, as a float (None for a range, an outcome, text)."""
    return float(value["amount"]) if isinstance(value, dict) and "amount" in value else None


def state_row(event, key, vocab=None, value=None):
    """The entity_state row `event` gives `key`; `value`: its state_value when the caller has it."""
    value = state_value(event, vocab) if value is None else value
    return {
        "entity": event["entity"], "key": key, "value": canonical_json(value),
        "amount": _amount(value),
        "unit": value.get("unit") if isinstance(value, dict) else None,
        "valid_from": event["valid_from"], "valid_to": event["valid_to"],
        "precision": event["precision"], "reported_on": event["reported_on"],
        "event_id": event["id"], "source_key": event["source"], "seq": event["seq"],
    }


def metric_row(event, vocab=None):
    """The metric_history row of an event, flags unset, or None.

    A loss is recorded under the signed metric it is the opposite of (a net
    loss of 4 is a net income of -4), so profit and loss make one series.
    """
    attributes = event["attributes"]
    if event.get("retracts") or event["kind"] not in vocabulary.REPORTED_KINDS:
        return None
    vocab = vocab or vocabulary.builtin()
    value = state_value(event, vocab)
    quantity = value if isinstance(value, dict) and "unit" in value else {}
    return {
        "seq": event["seq"], "entity": event["entity"], "metric": vocab.canonical(attributes["metric"])[0],
        "series": vocabulary.series(attributes),
        "kind": event["kind"], "valid_from": event["valid_from"], "valid_to": event["valid_to"],
        "precision": event["precision"], "date_text": event["date_text"],
        "amount": _amount(value), "unit": quantity.get("unit"), "qualifier": quantity.get("qualifier"),
        "value": canonical_json(value),
        "reported_on": event["reported_on"], "event_id": event["id"], "source_key": event["source"],
        "first_reported": False, "latest": False,
    }


def relationship_rows(event):
    roles = None if event.get("retracts") else vocabulary.relation(event["kind"])
    if not roles or not event.get("counterparty"):
        return []
    common = {
        "kind": event["kind"], "since": event["valid_from"], "precision": event["precision"],
        "attributes": canonical_json(event["attributes"]), "event_id": event["id"],
        "source_key": event["source"], "seq": event["seq"],
    }
    return [
        {"entity": event["entity"], "counterparty": event["counterparty"], "role": roles[0], **common},
        {"entity": event["counterparty"], "counterparty": event["entity"], "role": roles[1], **common},
    ]


def flag_group(rows):
    """Set first_reported/latest on the metric rows of one (entity, metric, period)."""
    first = min(rows, key=report_order)
    latest = max(rows, key=report_order)
    for row in rows:
        row["first_reported"] = row is first
        row["latest"] = row is latest
    return rows


def metric_group(row):
    """The rows that report the same thing: one entity's metric, series and period, a level or a change."""
    is_change = row["value"] is not None and row["value"].startswith('{"change_')
    return (row["entity"], row["metric"], row["series"], row["valid_from"], row["valid_to"], is_change)


def status_row(event, status, changed_by, key):
    return {"seq": event["seq"], "event_id": event["id"], "entity": event["entity"],
            "status": status, "changed_by": changed_by, "state_key": key}


# ---- replay: the definition of every projection ----

@dataclass
class Projection:
    event_status: list = field(default_factory=list)
    event_standing: list = field(default_factory=list)
    entity_state: list = field(default_factory=list)
    metric_history: list = field(default_factory=list)
    relationships: list = field(default_factory=list)


def replay(events, vocab=None):
    """Every projection row, from the events alone (a list in seq order)."""
    status = statuses(events)
    projection = Projection()
    best, groups = {}, {}
    for event in events:
        key = state_key_of(event, vocab)
        state, changed_by = status[event["id"]]
        projection.event_status.append(status_row(event, state, changed_by, key))
        if state != "current":
            continue
        if key is not None:
            winner = best.get((event["entity"], key))
            if winner is None or rank(event) > rank(winner):
                best[(event["entity"], key)] = event
        row = metric_row(event, vocab)
        if row:
            groups.setdefault(metric_group(row), []).append(row)
        projection.relationships.extend(relationship_rows(event))
    projection.event_standing = standing_intervals(events)
    projection.entity_state = [state_row(event, key, vocab) for (_, key), event in best.items()]
    projection.metric_history = [row for rows in groups.values() for row in flag_group(rows)]
    return projection
