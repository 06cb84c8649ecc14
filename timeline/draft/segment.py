"""Document layouts -> sentences, each with its offsets in the original text.

A draft quotes the document verbatim, so everything here is a span of the text
as given (`text[start:end]`), never a cleaned-up copy.  The layouts we read:

- press releases and news with a dateline ("LONDON – December 29, 2025 –"): the
  lines before the dateline are the headline and standfirst, which restate the
  body, so they are kept as front matter (for the reporting period and the
  title) and not drafted from;
- earnings-call transcripts: speaker lines ("Phil Zhou - Chief Financial
  Officer", "Operator") open turns; each sentence remembers who said it;
- interleaved machine translations: an English line followed by its Chinese
  line; one language is read (`language`), the other skipped;
- lists ("- Revenue was $155.6 million") and tables of figures (rows under a
  header of periods, "|"- or tab-separated).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
         r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
DASH = r"(?:--|[-–—])"
# "DETROIT, MICHIGAN - September 8, 2025 (NEWMEDIAWIRE) -", "SHANGHAI, Aug. 08, 2024 (GLOBE NEWSWIRE) --",
# "NEW YORK, Sept. 8, 2025 /PRNewswire/ --", "LONDON – 29 December 2025 –"
DATELINE = re.compile(
    rf"""(?P<place>[A-Z][A-Za-z.'’]*(?:[ ,]+[A-Z][A-Za-z.'’]*){{0,5}})\s*(?:,|{DASH})\s*
         (?P<date>{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{MONTH}\s+\d{{4}})\s*
         (?:\([^)\n]{{1,60}}\)\s*|/[^/\n]{{1,60}}/\s*)?{DASH}+\s*""",
    re.VERBOSE,
)
DATELINE_SEARCH_LINES = 25
# "Phil Zhou - Chief Financial Officer", "Shen Ziyu - Chairman of the Board, Chief Executive Officer"
SPEAKER = re.compile(r"(?P<name>[A-Z][\w'’.]*(?: [A-Z][\w'’.]*){0,3}) [-–—] (?P<title>[A-Z][^.!?]{1,80})")
MODERATORS = ("Operator", "Moderator", "Host")
MIN_SPEAKER_LINES = 3  # fewer look like headings with a dash, not a transcript
LIST_MARKER = re.compile(r"[ \t]*(?:--|[-*•·▪●◦]|\(?\d{1,2}[.)]|\([a-z]\))[ \t]+")
# a line that goes on from the one above: it starts in lower case or with a figure ("an increase of\n11%")
CONTINUES = re.compile(r"[a-z(%$€£¥]|\d")
MARKUP_LINE = re.compile(r"\s*(?:!?\[[^\]]*\]\([^)]*\)|-{3,}|={3,}|https?://\S+|\([^)]*\)|\[[^\]]*\]\.?)\s*")
TERMINAL = ".!?:;。！？；\"”’')"
HEADING_MAX = 150
NAME_LINE = re.compile(r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,2}")
TITLE_LINE = re.compile(r"(?:Chief|President|CEO|CFO|COO|CTO|Chairman|Chairwoman|(?:Senior |Executive )?Vice President|"
                        r"Head of|Founder|Co-Founder|Managing Director|General Manager|Director of)\b")
WRAP_MIN = 60  # a line this long without an ending is a hard-wrapped paragraph, not a heading

# Words after which a period does not end a sentence.
NEVER_SPLIT_AFTER = {"mr", "mrs", "ms", "dr", "prof", "st", "mt", "messrs", "no", "nos", "vs", "approx",
                     "fig", "e.g", "i.e", "cf", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
                     "oct", "nov", "dec", "est", "ca", "c"}
# Company suffixes end a sentence only when a capitalised word follows ("... Acme Inc. The deal").
SPLIT_BEFORE_CAPITAL_ONLY = {"inc", "co", "corp", "ltd", "llc", "plc", "jr", "sr", "u.s", "u.k", "a.g", "s.a"}
SENTENCE_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s|$)")
CHINESE_SENTENCE_END = re.compile(r"[。！？；!?]+[」』”’\"]*")


@dataclass(frozen=True)
class Segment:
    """One piece of the document a fact may be drafted from: text[start:end]."""

    start: int
    end: int
    text: str
    role: str = "sentence"            # sentence, item (of a list), row (of a table), speaker (line)
    speaker: str | None = None        # transcript turn: "Phil Zhou - Chief Financial Officer"
    intro: str | None = None          # a list item's introducing line ("Second quarter 2025 highlights:")
    header: tuple = ()                # a table row's column headers
    cells: tuple = ()                 # a table row's cells as (text, start, end)
    caption: str | None = None        # the line above a table ("(in millions of US$)")


@dataclass(frozen=True)
class Dateline:
    place: str
    date_text: str
    start: int
    end: int                          # the body starts here


@dataclass
class Layout:
    """What kind of document this is and where its parts are."""

    kind: str                         # press_release, transcript, article
    interleaved: bool = False         # English and Chinese lines alternate
    dateline: Dateline | None = None
    front_matter: str = ""            # headline and standfirst (before the dateline)
    title: str | None = None
    segments: list = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    start: int
    end: int                          # without the newline
    text: str

    @property
    def stripped(self):
        return self.text.strip()


def lines_of(text):
    lines, position = [], 0
    for raw in text.split("\n"):
        lines.append(Line(position, position + len(raw), raw))
        position += len(raw) + 1
    return lines


def script_of(line_text):
    """'zh' when a line is mostly Chinese, 'en' when it has Latin letters, None otherwise."""
    cjk, latin = len(CJK.findall(line_text)), len(LATIN.findall(line_text))
    if cjk and cjk >= 0.3 * (cjk + latin):
        return "zh"
    return "en" if latin else None


def is_speaker_line(stripped):
    return stripped in MODERATORS or (len(stripped) <= 100 and SPEAKER.fullmatch(stripped) is not None)


def is_markup(stripped):
    return MARKUP_LINE.fullmatch(stripped) is not None


def is_heading(stripped):
    """Short lines without a sentence ending: titles, section headings, bylines, captions."""
    if stripped.startswith("#"):
        return True
    return len(stripped) <= HEADING_MAX and not stripped.endswith(tuple(TERMINAL))


def is_title_case(stripped):
    words = re.findall(r"[A-Za-z][\w'’-]*", stripped)
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def is_table_line(stripped):
    return stripped.count("|") >= 2 or "\t" in stripped.strip("\t")


def find_dateline(text, lines=None):
    """The dateline opening the body of a press release or news story, if any."""
    for line in (lines or lines_of(text))[:DATELINE_SEARCH_LINES]:
        offset = len(line.text) - len(line.text.lstrip())
        match = DATELINE.match(line.text, offset)
        if match:
            return Dateline(match["place"].strip(" ,"), match["date"], line.start + match.start("date"),
                            line.start + match.end())
    return None


def detect_interleaved(lines):
    """English lines each followed by a Chinese line (machine translation under the original)."""
    scripts = [script_of(line.stripped) for line in lines if line.stripped and not is_speaker_line(line.stripped)]
    scripts = [s for s in scripts if s]
    if len(scripts) < 4:
        return False
    english, chinese = scripts.count("en"), scripts.count("zh")
    pairs = sum(1 for a, b in zip(scripts, scripts[1:]) if a == "en" and b == "zh")
    return english >= 0.25 * len(scripts) and chinese >= 0.25 * len(scripts) and pairs >= 3


def read_layout(text, language="en"):
    """The layout of `text` and the segments to draft from, in document order."""
    lines = lines_of(text)
    dateline = find_dateline(text, lines)
    speakers = sum(1 for line in lines if is_speaker_line(line.stripped))
    interleaved = detect_interleaved(lines)
    kind = "transcript" if speakers >= MIN_SPEAKER_LINES else "press_release" if dateline else "article"
    # the body starts after the dateline; what comes before it is headline matter
    body_start = dateline.end if dateline else 0
    front = text[:_line_at(lines, dateline.start).start] if dateline else ""
    title = _title(lines)
    layout = Layout(kind, interleaved, dateline, front, title)
    layout.segments = list(_segments(text, lines, layout, language, body_start))
    return layout


def _line_at(lines, position):
    return next(line for line in lines if line.start <= position <= line.end)


def _title(lines):
    for line in lines:
        stripped = line.stripped.lstrip("#").strip()
        if stripped and script_of(stripped) != "zh" and not is_markup(stripped):
            return stripped
    return None


def _segments(text, lines, layout, language, body_start):
    """Walk the body line by line: speaker turns, lists, tables and paragraphs."""
    speaker = None
    speakers_seen = set()
    intro = None
    last_line = None  # the line above a table is its caption ("(in millions of US$)")
    index = 0
    body = [line for line in lines if line.start >= body_start or line.end > body_start]
    while index < len(body):
        line = body[index]
        stripped = line.stripped
        index += 1
        if stripped and not is_table_line(stripped):
            last_line = stripped
        if not stripped or is_markup(stripped):
            intro = None if not stripped else intro
            continue
        if layout.kind == "transcript" and is_speaker_line(stripped):
            speaker = None if stripped in MODERATORS else stripped
            intro = None
            if speaker and speaker not in speakers_seen:
                # a speaker line states a role ("Phil Zhou - Chief Financial Officer"): offer it once
                speakers_seen.add(speaker)
                offset = line.text.index(stripped)
                yield Segment(line.start + offset, line.start + offset + len(stripped), stripped, "speaker", speaker)
            continue
        if layout.interleaved and script_of(stripped) not in (None, language):
            continue
        if is_table_line(stripped):
            table = [line]
            while index < len(body) and is_table_line(body[index].stripped):
                table.append(body[index])
                index += 1
            yield from _table_rows(table, caption=last_line)
            continue
        marker = LIST_MARKER.match(line.text)
        if marker:
            start, end = line.start + marker.end(), line.end
            # an item hard-wrapped onto the next lines ("-- U.S. GAAP revenue of $5.1 billion, an increase of\n11%")
            while index < len(body) and _item_goes_on(line.stripped, body[index], layout):
                line = body[index]
                end = line.end
                index += 1
            for segment in _sentences(text, start, end):
                yield Segment(segment.start, segment.end, segment.text, "item", speaker, intro)
            continue
        start = max(line.start, body_start)
        end = line.end
        # a hard-wrapped paragraph continues on the next lines
        while (index < len(body) and body[index].stripped
               and (len(line.stripped) >= WRAP_MIN and not is_title_case(line.stripped)
                    or CONTINUES.match(body[index].stripped) and len(line.stripped) >= 20)
               and not line.stripped.endswith(tuple(TERMINAL))
               and not is_speaker_line(body[index].stripped) and not is_markup(body[index].stripped)
               and not LIST_MARKER.match(body[index].text) and not is_table_line(body[index].stripped)
               and script_of(body[index].stripped) == script_of(line.stripped)):
            line = body[index]
            end = line.end
            index += 1
        paragraph = text[start:end].strip()
        if (NAME_LINE.fullmatch(paragraph) and index < len(body) and TITLE_LINE.match(body[index].stripped)
                and len(body[index].stripped) <= HEADING_MAX):
            # "Joseph Massaro" / "Chief Financial Officer ... at Aptiv": a speaker introduced on two lines
            title = body[index]
            index += 1
            first = start + text[start:end].index(paragraph)
            yield Segment(first, title.end, text[first:title.end].rstrip(), "sentence", speaker)
            continue
        if is_heading(paragraph) and "\n" not in paragraph:
            intro = None
            continue
        intro = paragraph if paragraph.endswith(":") else None
        if intro:
            continue
        for segment in _sentences(text, start, end):
            yield Segment(segment.start, segment.end, segment.text, "sentence", speaker)


def _item_goes_on(stripped, following, layout):
    """Whether the line after a list item's line continues the item: not a new item, heading,
    speaker or table line, and either the item has no ending yet or the line starts in lower case."""
    after = following.stripped
    if not after or LIST_MARKER.match(following.text) or is_table_line(after) or is_markup(after):
        return False
    if after.endswith(":") or (layout.kind == "transcript" and is_speaker_line(after)):
        return False
    if script_of(after) != script_of(stripped) and script_of(after) is not None:
        return False
    if stripped.endswith((".", "!", "?", "。", "！", "？", "\"", "”")):
        return False
    return bool(CONTINUES.match(after)) or not is_title_case(after)


def _sentences(text, start, end):
    """Sentences of text[start:end], split by the rules of the paragraph's own script; a
    "sentence" longer than MAX_SENTENCE (a run-on line, a document with no full stops) is cut
    into pieces, so no rule ever works on more than MAX_SENTENCE characters at once."""
    splitter = split_chinese if script_of(text[start:start + 2000]) == "zh" else split_sentences
    for s, e in splitter(text[start:end]):
        for piece_start, piece_end in pieces(text, start + s, start + e):
            for cell_start, cell_end in cells(text, piece_start, piece_end):
                yield Segment(cell_start, cell_end, text[cell_start:cell_end])


# a table pasted without its spaces: "Actual EPS$0.13Consensus EPS $0.11Beat/MissBeat by +$0.02"
GLUE = re.compile(r"(?<=[a-z0-9%)])(?=[A-Z][a-z])")
MIN_GLUES = 3


def cells(text, start, end):
    """The cells of a table that lost its spaces, each a segment of its own; other text as it is."""
    glues = [m.start() for m in GLUE.finditer(text, start, end)]
    if len(glues) < MIN_GLUES:
        yield start, end
        return
    bounds = [start] + [start + (g - start) for g in glues] + [end]
    for s, e in zip(bounds, bounds[1:]):
        s, e = _trim(text, s, e)
        if e > s:
            yield s, e


MAX_SENTENCE = 1500
PIECE_BREAK = re.compile(r"[;:,]\s|\s[-–—]+\s|\s")


def pieces(text, start, end, limit=MAX_SENTENCE):
    """(start, end) spans of at most `limit` characters covering text[start:end]: cut at the last
    clause break (else the last space) before the limit, else hard at the limit."""
    while end - start > limit:
        window = text[start + limit // 2:start + limit]
        breaks = [m for m in PIECE_BREAK.finditer(window) if not m.group().isspace()] or list(PIECE_BREAK.finditer(window))
        cut = start + limit // 2 + (breaks[-1].end() if breaks else len(window))
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > start:
            yield start, piece_end
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def split_sentences(paragraph):
    """(start, end) of each English sentence in `paragraph`, whitespace trimmed."""
    spans, begin = [], 0
    for match in SENTENCE_END.finditer(paragraph):
        if not _ends_sentence(paragraph, match):
            continue
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, len(paragraph)))
    return [_trim(paragraph, s, e) for s, e in spans if paragraph[s:e].strip()]


def _ends_sentence(paragraph, match):
    # windows, never the rest of the paragraph: a one-line document of megabytes stays linear
    after = paragraph[match.end():match.end() + 200].lstrip()
    if not after:
        return not paragraph[match.end() + 200:].strip()
    first = after[0]
    if not (first.isupper() or first.isdigit() or first in "\"“‘'"):
        return False
    if match.group()[0] != ".":
        return True
    word = re.search(r"([\w.&]+)$", paragraph[max(0, match.start() - 100):match.start()])
    word = word.group(1).lower() if word else ""
    if word in NEVER_SPLIT_AFTER or (len(word) == 1 and word.isalpha()):
        return False  # "Mr. Shen", "Aug. 08", initials "J. Smith"
    if word in SPLIT_BEFORE_CAPITAL_ONLY:
        return first.isupper()
    return True


def split_chinese(paragraph):
    spans, begin = [], 0
    for match in CHINESE_SENTENCE_END.finditer(paragraph):
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, len(paragraph)))
    return [_trim(paragraph, s, e) for s, e in spans if paragraph[s:e].strip()]


def _trim(text, start, end):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# ---- tables ----

def _cells(line):
    """(text, start, end) of each cell of a table line, split on "|" or tabs; empty cells are kept
    so that the columns line up with the header ("| | FY2025 | FY2024 |")."""
    separator = "|" if line.text.count("|") >= 2 else "\t"
    parts, position = [], line.start
    for part in line.text.split(separator):
        stripped = part.strip()
        offset = part.index(stripped) if stripped else 0
        parts.append((stripped, position + offset, position + offset + len(stripped)))
        position += len(part) + 1
    if separator == "|" and line.text.strip().startswith("|"):
        parts = parts[1:]
    if separator == "|" and line.text.strip().endswith("|"):
        parts = parts[:-1]
    return parts


def _table_rows(table_lines, caption=None):
    """Rows of figures with the header row above them; separator rows (|---|) skipped."""
    header = ()
    for line in table_lines:
        cells = _cells(line)
        if not any(c[0] for c in cells) or all(re.fullmatch(r":?-{2,}:?|", c[0]) for c in cells):
            continue
        numeric = [c for c in cells[1:] if re.search(r"\d", c[0]) and not _looks_like_period(c[0])]
        if not header and not numeric:
            header = tuple(c[0] for c in cells)
            continue
        if not numeric:
            continue
        filled = [c for c in cells if c[0]]
        if not cells[0][0]:
            continue  # a row of figures needs a label
        start, end = filled[0][1], filled[-1][2]
        text = line.text[start - line.start:end - line.start]
        yield Segment(start, end, text, "row", header=header, cells=tuple(cells), caption=caption)


def _looks_like_period(cell):
    return bool(re.fullmatch(r"(?:[QH][1-4]|FY|[1-4][QH])?\s*'?\d{2,4}|(?:19|20)\d\d|[QH][1-4]\s*(?:19|20)?\d\d|"
                             r"(?:[1-4][QH])\s*\d{2,4}", cell.strip(), re.IGNORECASE)) or bool(
        re.search(r"\b(?:quarter|half|year|months|ended)\b", cell, re.IGNORECASE))
