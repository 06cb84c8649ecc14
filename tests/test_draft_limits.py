"""`timeline draft` on hostile input (issue #12): a size limit, read without reading more than
it allows, and rules that stay linear in the length of a sentence; and the warning for a
document the database already cites.  No test asserts a time: bench/draft_quality.py
measures the speed (`python -m bench.draft_quality --speed`)."""
import hashlib
import os

import pytest

from timeline.draft import MAX_BYTES, draft_bundle

from .test_draft import INDEX, PRESS_RELEASE, assert_honest, cli_run, database  # noqa: F401 (a fixture)

FACT = ("Acme said revenue was $12.5 million in the second quarter of 2025, up 8% year over year, "
        "and it shipped 1,200 units to Globex")


def test_a_document_over_the_limit_is_refused_in_one_line(database, tmp_path):  # noqa: F811
    document = tmp_path / "huge.txt"
    document.write_bytes(b"a" * (MAX_BYTES + 1))
    out = tmp_path / "huge.yml"
    result = cli_run("--db", database, "draft", document, "--source-key", "huge", "-o", out)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:") and "too large" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and result.stdout == ""


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_an_endless_device_is_refused_after_reading_the_limit(database, tmp_path):  # noqa: F811
    out = tmp_path / "zero.yml"
    result = cli_run("--db", database, "draft", "/dev/zero", "--source-key", "zero", "-o", out)
    assert result.exit_code == 1 and result.stderr.startswith("Error:") and "too large" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_document_at_the_limit_is_drafted(tmp_path):
    text = "LONDON – July 30, 2025 – " + FACT + ".\n"
    document = tmp_path / "edge.txt"
    document.write_bytes((text + " " * (MAX_BYTES - len(text.encode()))).encode())
    assert document.stat().st_size == MAX_BYTES
    from timeline.draft import draft_file
    assert draft_file(document, source_key="edge", index=INDEX)["events"]


def test_a_one_line_megabyte_is_drafted_sanely():
    body = (FACT + ". ") * (1_000_000 // (len(FACT) + 2))
    text = "LONDON – July 30, 2025 – " + body + FACT  # one line, a million characters
    assert "\n" not in text and len(text) > 999_000
    bundle = draft_bundle(text, source_key="one-line", index=INDEX)
    assert_honest(bundle, text)
    kinds = {event["kind"] for event in bundle["events"]}
    assert "financial_result" in kinds
    assert len(bundle["events"]) < 50  # the same facts, merged: not one event per repeat


def test_a_megabyte_without_a_full_stop_is_cut_into_pieces():
    body = ", ".join([FACT] * (1_000_000 // (len(FACT) + 2)))  # one sentence of a million characters
    text = "LONDON – July 30, 2025 – " + body
    bundle = draft_bundle(text, source_key="run-on", index=INDEX)
    assert_honest(bundle, text)
    assert bundle["events"]


def test_five_megabytes_of_lines_are_drafted_sanely(tmp_path):
    # a long release: facts, headings, list items and table rows, repeated to 5 MB
    lines = [FACT.replace("12.5", f"{n % 97}.5") + "." for n in range(97)]
    layout = ["Highlights", "- Gross margin: 21.5%", "| Revenue | 845.2 | 701.9 |", "", "-" * 70, "Section 4", ""]
    block = "\n".join(lines + layout * 300) + "\n"
    text = "LONDON – July 30, 2025 – Acme reports.\n" + block * (4_900_000 // len(block))
    assert 4_500_000 < len(text.encode()) <= MAX_BYTES
    document = tmp_path / "many-lines.txt"
    document.write_text(text, encoding="utf-8")
    from timeline.draft import draft_file
    bundle = draft_file(document, source_key="many-lines", index=INDEX)
    assert_honest(bundle, text)
    values = {e["attributes"]["value"]["amount"] for e in bundle["events"] if e["kind"] == "financial_result"
              and e["attributes"]["metric"] == "revenue"}
    assert len(values) == 97  # each distinct revenue figure once, repeats merged


def test_a_document_already_cited_is_drafted_with_a_warning(database, tmp_path):  # noqa: F811
    document = tmp_path / "acme.txt"
    document.write_text(PRESS_RELEASE, encoding="utf-8")
    digest = hashlib.sha256(document.read_bytes()).hexdigest()
    added = cli_run("--db", database, "source", "add", "acme-q3-2025", "--title", "Acme Q3 2025",
                    "--published-on", "2025-11-12", "--sha256", digest)
    assert added.exit_code == 0, added.output
    out = tmp_path / "again.yml"
    result = cli_run("--db", database, "draft", document, "--source-key", "acme-again", "-o", out)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "acme-q3-2025" in warnings[0]
    assert out.exists()
    other = tmp_path / "other.txt"
    other.write_text(PRESS_RELEASE + "\n", encoding="utf-8")
    result = cli_run("--db", database, "draft", other, "--source-key", "other")
    assert result.exit_code == 0 and "Warning" not in result.stderr
