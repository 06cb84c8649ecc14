"""Canonical JSON, the hash chain, and `timeline verify` catching tampering."""
import json
import sqlite3

import pytest

from timeline import chain

from .conftest import Cli


@pytest.mark.parametrize("value, text", [
    ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
    ({"amount": 155600000, "unit": "USD"}, '{"amount":155600000,"unit":"USD"}'),
    ({"x": 1.5}, '{"x":1.5}'),
    ({"name": "亿咖通科技"}, '{"name":"亿咖通科技"}'),
    ({"nested": {"z": [3, 2, 1], "a": None}}, '{"nested":{"a":null,"z":[3,2,1]}}'),
    ({"quote": 'He said "hi"\n'}, '{"quote":"He said \\"hi\\"\\n"}'),
    ([], "[]"),
    (True, "true"),
])
def test_canonical_json(value, text):
    assert chain.canonical_json(value) == text


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        chain.canonical_json({"amount": float("nan")})


def test_hash_covers_prev_hash_and_source():
    source = {"key": "s", "title": "T"}
    event = {"seq": 1, "id": "e", "attributes": {}, "prev_hash": chain.GENESIS}
    base = chain.event_hash(event, source)
    assert chain.event_hash({**event, "prev_hash": "1" * 64}, source) != base
    assert chain.event_hash(event, {**source, "title": "Changed"}) != base
    assert chain.event_hash({**event, "attributes": {"a": 1}}, source) != base
    assert chain.event_hash(dict(event), dict(source)) == base


def test_verify_prints_head_and_count(loaded):
    out = loaded.ok("verify")
    assert out.startswith("ok: 4 events, chain head ")
    head = out.split()[-1]
    assert head == json.loads(loaded.ok("export").splitlines()[-1])["hash"]


@pytest.fixture
def tamperable(sqlite_db, corpus):
    """A SQLite log of 4 events whose immutability triggers are dropped."""
    Cli(sqlite_db).ok("import", corpus)
    connection = sqlite3.connect(sqlite_db)
    connection.execute("DROP TRIGGER events_no_update")
    connection.execute("DROP TRIGGER events_no_delete")
    connection.execute("DROP TRIGGER sources_no_update")
    return sqlite_db, connection


def verify_fails(path, expected):
    result = Cli(path)("verify")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and expected in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


TAMPERED_COLUMNS = [
    ("id", "'acme/other'"), ("entity", "'globex'"), ("counterparty", "'acme'"), ("kind", "'note'"),
    ("date_text", "'Q3 2025'"), ("valid_from", "'2025-04-02'"), ("valid_to", "'2025-07-01'"),
    ("precision", "'month'"), ("date_note", "'made up'"), ("reported_on", "'2025-09-09'"),
    ("recorded_at", "'2020-01-01T00:00:00.000000Z'"), ("summary", "'edited'"),
    ("attributes", """'{"metric":"revenue","value":{"amount":1,"unit":"USD"}}'"""),
    ("attributes", """'{"metric": "revenue", "value": {"amount": 155600000, "unit": "USD"}, "change_yoy": {"amount": -10, "unit": "percent"}}'"""),
    ("source_id", "99"), ("quote", "'edited'"), ("supersedes", "'x'"), ("retracts", "'x'"),
    ("reason", "'x'"), ("prev_hash", "'" + "1" * 64 + "'"), ("hash", "'" + "2" * 64 + "'"),
]


@pytest.mark.parametrize("column, value", TAMPERED_COLUMNS)
def test_editing_any_column_is_caught_naming_the_seq(tamperable, column, value):
    path, connection = tamperable
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute(f"UPDATE events SET {column} = {value} WHERE seq = 2")
    connection.commit()
    verify_fails(path, "seq 2")


def test_editing_seq_is_caught(tamperable):
    path, connection = tamperable
    connection.execute("UPDATE events SET seq = 10 WHERE seq = 4")
    connection.commit()
    verify_fails(path, "seq 4")


def test_deleting_a_row_is_caught(tamperable):
    path, connection = tamperable
    connection.execute("DELETE FROM events WHERE seq = 2")
    connection.commit()
    verify_fails(path, "seq 2")


def test_reordering_is_caught(tamperable):
    path, connection = tamperable
    connection.execute("UPDATE events SET seq = -2 WHERE seq = 2")
    connection.execute("UPDATE events SET seq = 2 WHERE seq = 3")
    connection.execute("UPDATE events SET seq = 3 WHERE seq = -2")
    connection.commit()
    verify_fails(path, "seq 2")


def test_truncating_the_log_is_caught(tamperable):
    path, connection = tamperable
    connection.execute("DELETE FROM events WHERE seq >= 3")
    connection.commit()
    verify_fails(path, "truncated")


def test_editing_a_cited_source_is_caught(tamperable):
    path, connection = tamperable
    connection.execute("UPDATE sources SET title = 'Another title'")
    connection.commit()
    verify_fails(path, "seq 1")


def test_editing_a_projection_is_caught(tamperable):
    path, connection = tamperable
    connection.execute("UPDATE entity_state SET value = '\"Paris\"' WHERE key = 'headquarters'")
    connection.commit()
    verify_fails(path, "entity_state")
    Cli(path).ok("rebuild")
    assert Cli(path).ok("verify").startswith("ok: 4 events")
