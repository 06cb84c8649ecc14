"""Canonical JSON, the hash chain, and `timeline verify` on an intact log.

Tampering with the live database and with a published file: tests/test_stress_tamper.py."""
import json

import pytest

from timeline import chain



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
