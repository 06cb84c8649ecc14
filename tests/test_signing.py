"""Signed publications: what an unsigned chain cannot prove (origin), a signature does."""
import shutil
import sqlite3
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from timeline import chain, signing

from .conftest import Cli, write_corpus


def keypair(directory, name="key"):
    key = Ed25519PrivateKey.generate()
    private = directory / name
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                          serialization.NoEncryption()))
    public = directory / f"{name}.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
                       + b" curator@example\n")
    return private, public


@pytest.fixture
def signed(tmp_path):
    cli = Cli(tmp_path / "live.db")
    cli.ok("init")
    cli.ok("import", write_corpus(tmp_path / "events"))
    private, public = keypair(tmp_path)
    out = tmp_path / "site.db"
    cli.ok("publish", out, "--sign", private)
    return cli, out, public


def test_a_signed_publication_verifies_with_its_key_only(signed, tmp_path):
    cli, out, public = signed
    assert cli.ok("verify", out, "--key", public).strip().endswith("; signed by the key given")
    _, other = keypair(tmp_path, "other")
    result = cli("verify", out, "--key", other)
    assert result.exit_code == 1 and result.stderr == "Error: the file was signed by another key than the one given\n"


def test_an_unsigned_publication_fails_a_key_check(signed, tmp_path):
    cli, _, public = signed
    unsigned = tmp_path / "unsigned.db"
    cli.ok("publish", unsigned)
    assert cli.ok("verify", unsigned).startswith("ok: 4 events")
    result = cli("verify", unsigned, "--key", public)
    assert result.exit_code == 1 and "the file is not signed" in result.stderr


def test_an_edit_with_the_chain_recomputed_verifies_but_not_against_the_key(signed, tmp_path):
    """The attack an unkeyed chain cannot see: edit a row, recompute every hash and the publication record."""
    cli, out, public = signed
    forged = tmp_path / "forged.db"
    shutil.copy(out, forged)
    conn = sqlite3.connect(forged)
    conn.row_factory = sqlite3.Row
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for trigger in triggers:
        conn.execute(f'DROP TRIGGER "{trigger["name"]}"')
    sources = {row["id"]: dict(row) for row in conn.execute("SELECT * FROM sources")}
    prev = chain.GENESIS
    for row in conn.execute("SELECT * FROM events ORDER BY seq").fetchall():
        event = dict(row)
        if event["id"] == "acme/2025-04/headquarters":
            event["summary"] = "Acme moved its headquarters to Paris."
        event["prev_hash"] = prev
        event["hash"] = chain.event_hash(event, sources[event["source_id"]])
        conn.execute("UPDATE events SET summary = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (event["summary"], event["prev_hash"], event["hash"], event["seq"]))
        prev = event["hash"]
    conn.execute("UPDATE publication SET head_hash = ?", (prev,))
    record = dict(conn.execute("SELECT * FROM publication").fetchone())
    conn.execute("UPDATE publication SET signed_message = ?", (signing.message(record),))
    conn.execute("INSERT INTO timeline_fts (timeline_fts) VALUES ('rebuild')")
    for trigger in triggers:
        conn.execute(trigger["sql"])
    conn.commit()
    conn.close()
    assert cli.ok("verify", forged).startswith("ok: 4 events")  # integrity alone cannot tell
    result = cli("verify", forged, "--key", public)
    assert result.exit_code == 1
    assert result.stderr == ("Error: the signature does not match the publication record: "
                             "the file was altered after it was signed\n")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="OpenSSH's ssh-keygen is not installed")
def test_openssh_checks_the_signature_too(signed, tmp_path):
    _, out, public = signed
    conn = sqlite3.connect(out)
    message, signature = conn.execute("SELECT signed_message, signature FROM publication").fetchone()
    conn.close()
    (tmp_path / "message.sig").write_text(signature)
    checked = subprocess.run(["ssh-keygen", "-Y", "check-novalidate", "-n", "timeline", "-f", str(public),
                              "-s", str(tmp_path / "message.sig")], input=message, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "Good" in checked.stdout + checked.stderr


@pytest.mark.parametrize("content, message", [
    ("not a key", "is not an unencrypted OpenSSH private key"),
    (None, "cannot read the signing key"),
])
def test_a_bad_signing_key_is_one_error_and_writes_nothing(signed, tmp_path, content, message):
    cli, _, _ = signed
    key = tmp_path / "bad-key"
    if content is not None:
        key.write_text(content)
    out = tmp_path / "never.db"
    result = cli("publish", out, "--sign", key)
    assert result.exit_code == 1 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()
