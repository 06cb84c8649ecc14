"""Document layouts -> sentences with offsets: datelines, sentence ends, speaker
turns, interleaved translations, lists and tables.  Every segment must be the
document's own text at its offsets."""
import pytest

from timeline.draft import segment

from .test_draft import INTERLEAVED, PRESS_RELEASE, TABLE, TRANSCRIPT


def assert_offsets(text, layout):
    for piece in layout.segments:
        assert text[piece.start:piece.end] == piece.text


@pytest.mark.parametrize("line,place,date", [
    ("LONDON – December 29, 2025 – Acme announced a deal.", "LONDON", "December 29, 2025"),
    ("DETROIT, MICHIGAN - September 8, 2025 (NEWMEDIAWIRE) - Acme Inc. said.", "DETROIT, MICHIGAN", "September 8, 2025"),
    ("SHANGHAI, Aug. 08, 2024 (GLOBE NEWSWIRE) -- Acme today announced results.", "SHANGHAI", "Aug. 08, 2024"),
    ("NEW YORK, Sept. 8, 2025 /PRNewswire/ -- Acme reported revenue.", "NEW YORK", "Sept. 8, 2025"),
    ("Paris, 3 March 2026 – Acme published its figures.", "Paris", "3 March 2026"),
    (" HANGZHOU, China, Nov. 12, 2025 (GLOBE NEWSWIRE) -- Acme Motors Inc. reported.", "HANGZHOU, China", "Nov. 12, 2025"),
])
def test_datelines(line, place, date):
    text = f"Acme news\n\n{line}\n"
    found = segment.find_dateline(text)
    assert (found.place, found.date_text) == (place, date)
    assert text[found.end:].startswith("Acme")


@pytest.mark.parametrize("text", [
    "On September 8, 2025 the company said revenue rose.",
    "Revenue - the main figure - rose in 2025.",
])
def test_sentences_that_are_not_datelines(text):
    assert segment.find_dateline(text) is None


@pytest.mark.parametrize("paragraph,sentences", [
    ("Revenue rose 5%. Costs fell.", ["Revenue rose 5%.", "Costs fell."]),
    ("Mr. Shen joined Acme Inc. in 2020. He leads it.", ["Mr. Shen joined Acme Inc. in 2020.", "He leads it."]),
    ("Shares traded at US$1.37 on Aug. 08, 2024. Volume was high.", ["Shares traded at US$1.37 on Aug. 08, 2024.", "Volume was high."]),
    ("Acme Holdings Inc. (Nasdaq: ACMO) grew. It hired.", ["Acme Holdings Inc. (Nasdaq: ACMO) grew.", "It hired."]),
    ("Sales in the U.S. grew. Europe did not.", ["Sales in the U.S. grew.", "Europe did not."]),
    ("“We grew,” said J. Smith, the CEO. “We will grow.”", ["“We grew,” said J. Smith, the CEO.", "“We will grow.”"]),
    ("Is it growing? Yes, it is!", ["Is it growing?", "Yes, it is!"]),
    ("Margins were 23.5% in Q2. 2025 was strong.", ["Margins were 23.5% in Q2.", "2025 was strong."]),
])
def test_english_sentence_ends(paragraph, sentences):
    assert [paragraph[s:e] for s, e in segment.split_sentences(paragraph)] == sentences


def test_chinese_sentence_ends():
    paragraph = "營收為13億元。我們很滿意！明年會更好？"
    assert [paragraph[s:e] for s, e in segment.split_chinese(paragraph)] == ["營收為13億元。", "我們很滿意！", "明年會更好？"]


def test_press_release_layout():
    layout = segment.read_layout(PRESS_RELEASE)
    assert layout.kind == "press_release" and not layout.interleaved
    assert layout.title == "Acme Motors Reports Third Quarter 2025 Unaudited Financial Results"
    assert "Revenue up 18%" in layout.front_matter          # the standfirst is front matter
    texts = [s.text for s in layout.segments]
    assert texts[0].startswith("Acme Motors Inc. (Nasdaq: ACMO)")  # the body starts after the dateline
    assert "Business Outlook" not in texts and "About Acme Motors" not in texts  # headings are not sentences
    items = [s for s in layout.segments if s.role == "item"]
    assert [s.text for s in items] == ["Total revenue was US$212.4 million, up 18% year-over-year.",
                                       "Gross margin was 24.1%, an increase of 1.2 percentage points sequentially."]
    assert all(s.intro == "Third Quarter 2025 Highlights:" for s in items)
    assert_offsets(PRESS_RELEASE, layout)


def test_transcript_layout_tracks_speakers():
    layout = segment.read_layout(TRANSCRIPT)
    assert layout.kind == "transcript"
    speakers = [s.text for s in layout.segments if s.role == "speaker"]
    assert speakers == ["Jane Doe - Chief Executive Officer", "Mark Lee - Analyst", "Richard Roe - Chief Financial Officer"]
    sentences = [s for s in layout.segments if s.role == "sentence"]
    assert sentences[0].speaker is None  # the operator
    assert {s.speaker for s in sentences if "Gross margin" in s.text} == {"Richard Roe - Chief Financial Officer"}
    assert_offsets(TRANSCRIPT, layout)


@pytest.mark.parametrize("language,first,script", [("en", "Revenue for the quarter", "en"), ("zh", "本季營收", "zh")])
def test_interleaved_translation_reads_one_language(language, first, script):
    layout = segment.read_layout(INTERLEAVED, language)
    assert layout.interleaved
    texts = [s.text for s in layout.segments]
    assert texts[0].startswith(first)
    assert all(segment.script_of(t) == script for t in texts)
    assert_offsets(INTERLEAVED, layout)


def test_table_rows_keep_their_columns_and_caption():
    layout = segment.read_layout(TABLE)
    rows = [s for s in layout.segments if s.role == "row"]
    assert [r.text for r in rows] == ["Total revenue | 845.2 | 701.9", "Net loss | (32.4) | (58.0)", "Employees | 1,240 | 1,100"]
    assert rows[0].header == ("", "FY2025", "FY2024")
    assert rows[0].caption == "(in millions of US$)"
    assert [c[0] for c in rows[1].cells] == ["Net loss", "(32.4)", "(58.0)"]
    assert_offsets(TABLE, layout)


def test_tab_separated_table():
    text = "Key figures\n\tQ2 2025\tQ2 2024\nRevenue (US$ million)\t155.6\t172.9\n"
    rows = [s for s in segment.read_layout(text).segments if s.role == "row"]
    assert [r.text for r in rows] == ["Revenue (US$ million)\t155.6\t172.9"]
    assert rows[0].header == ("", "Q2 2025", "Q2 2024")


def test_hard_wrapped_paragraphs_are_joined():
    text = ("Acme Motors reported that its total revenue for the third quarter of 2025 was\n"
            "US$212.4 million, an increase of 18% year-over-year. Margins rose.\n")
    layout = segment.read_layout(text)
    assert [s.text for s in layout.segments] == [
        "Acme Motors reported that its total revenue for the third quarter of 2025 was\nUS$212.4 million, "
        "an increase of 18% year-over-year.", "Margins rose."]


def test_markup_lines_are_skipped():
    text = "Acme grew in 2025.\n\n---\n\n[Source](https://example.com/x)\n![logo](https://example.com/logo.png)\n(Operator Instructions)\n"
    assert [s.text for s in segment.read_layout(text).segments] == ["Acme grew in 2025."]
