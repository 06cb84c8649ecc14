"""Dates in context: which words of a sentence name a date, and what span they mean.

The candidates are found by patterns for the ways corporate reporting writes
dates ("Q2 2025", "the second quarter", "as of June 30, 2025", "in January",
"full-year 2025", "last year", "2024年第二季度"); each candidate is then read by
`timeline.dates.parse` against the publication date, and kept only if it parses,
so a span never comes from our patterns alone.

Two readings depend on the document rather than the calendar, because results
releases and earnings calls speak from the period they report on:
- "the quarter", "this quarter", "during the period" mean the reporting period;
- "last quarter", "the prior quarter", "the same period last year" count from
  the reporting period, not from the publication date (a Q2 call held in August
  calls Q1 "last quarter").
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .. import dates

MONTH_NAMES = ("January|February|March|April|May|June|July|August|September|October|November|December")
MONTH_SHORT = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\."
MONTH = rf"(?:{MONTH_NAMES}|{MONTH_SHORT})"
YEAR4 = r"(?:19|20)\d{2}"
ORDINAL = r"(?:first|second|third|fourth|1st|2nd|3rd|4th)"
RELATIVE = r"(?:this|last|next|previous|prior|current|coming|following)"
YEAR_WORDS = rf"(?:(?:fiscal(?: year)?|FY) ?'?\d{{2,4}}|{YEAR4}|{RELATIVE} (?:fiscal )?year|the (?:fiscal )?year)"
DAY_DATE = rf"{MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? {YEAR4})?(?![\d])|\d{{1,2}} {MONTH}(?: {YEAR4})?"
QUARTER = (rf"(?:the )?{ORDINAL}(?: fiscal)? quarter(?:,? (?:of )?{YEAR_WORDS})?"
           rf"|\bQ[1-4](?:[ -]?(?:FY ?)?'?(?:{YEAR4}|\d{{2}}(?!\d)))?|\b[1-4]Q ?'?\d{{2}}(?!\d)")
HALF = (rf"(?:the )?(?:first|second|1st|2nd) half(?: of)?(?: (?:{YEAR_WORDS}))?"
        rf"|\bH[12](?:[ -]?'?(?:{YEAR4}|\d{{2}}(?!\d)))?|\b[12]H ?'?\d{{2}}(?!\d)")
PERIOD = rf"(?:{QUARTER}|{HALF}|{MONTH_NAMES} {YEAR4}|{YEAR_WORDS})"

# Order matters only for readability: overlapping finds keep the longest.
ENGLISH_FORMS = [
    rf"(?:as of|as at) (?:the )?(?:end of (?:the )?(?:{PERIOD})|{DAY_DATE})",
    rf"(?:the )?(?:three|six|nine|twelve|3|6|9|12) months ended {DAY_DATE}",
    rf"(?:the )?(?:end|close|start|beginning) of (?:the )?(?:{PERIOD}|{MONTH_NAMES} {YEAR4})",
    rf"(?:fiscal )?year[- ]end(?:,? {YEAR4})?|{YEAR4} (?:fiscal )?year[- ]end",
    DAY_DATE,
    rf"(?:{MONTH_NAMES}|{MONTH_SHORT}),? {YEAR4}",
    # a month without a year names a month of the publication year: only after a preposition
    # (kept in the text: dates.parse reads "in June"), so the verb "may" and names such as
    # "April Smith" are not dates
    rf"\b(?:in|since|by|during) (?:{MONTH_NAMES})(?! \d)",
    QUARTER,
    HALF,
    rf"(?:early|mid|late)[- ](?:{YEAR4}|{RELATIVE} year)",
    rf"full[- ]year {YEAR4}|(?:fiscal(?: year)?|FY) ?'?\d{{2,4}}(?!\d)",
    rf"{RELATIVE} (?:fiscal )?(?:year|quarter|month)",
    r"for the (?:full )?year",
    r"(?<![\w$€£¥.,])" + YEAR4 + r"(?![\d,.]?\d|%| ?(?:units|vehicles|shares|employees|patents))",
    r"\b(?:in|since) '\d{2}(?![\w'])",
    r"today|yesterday",
]
CHINESE_FORMS = [
    r"(?:\d{4}\s*年\s*)?(?:第\s*[一二三四1-4]\s*季度?|[上下]\s*半年度?|\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|[初中底末])",
    r"\d{4}\s*年(?:度|全年)?",
    r"[今去明]年(?:[初中底末]|[上下]半年|第[一二三四]季度?)?",
    r"(?:本|上個?|下個?|这个|這個)(?:季度|月)",
]
ENGLISH = re.compile("|".join(f"(?:{form})" for form in ENGLISH_FORMS), re.IGNORECASE)
CHINESE = re.compile("|".join(f"(?:{form})" for form in CHINESE_FORMS))
# Patterns are case-insensitive for "The Second Quarter", but month names must be capitalised
# ("in may" is not May).
MONTH_WORD = re.compile(rf"\b(?:{MONTH_NAMES})\b", re.IGNORECASE)

# Words that mean "the period this document reports on".
REPORTING_REFERENCE = re.compile(
    r"\b(?:(?:during|in|for|over|throughout) )?(?:the|this|the current) (?:reporting )?(?:quarter|period)\b(?! (?:ended|ending))"
    r"|\b(?:this|the) (?:three|six)-month period\b|本季度?|本期|當季|当季", re.IGNORECASE)
# ... and the periods counted from it.
SAME_PERIOD_LAST_YEAR = re.compile(r"\b(?:the )?same (?:period|quarter) (?:of |in )?(?:last|the previous|the prior) year\b"
                                   r"|\b(?:a|one) year (?:earlier|ago)\b|去年同期", re.IGNORECASE)
END_OF_REPORTING = re.compile(r"\b(?:the )?end of the (?:quarter|period|reporting period)\b|本季度?末", re.IGNORECASE)
PREVIOUS_QUARTER = re.compile(r"\b(?:the )?(?:last|previous|prior|preceding) quarter\b|上個?季度?", re.IGNORECASE)
# "up from 22.9% last quarter", "compared with a net loss of US$15.2 million in the same period last year",
# "an increase over 2023" ("over" only right before the date: "over US$1.1 billion in 2024" is a qualifier)
COMPARISON_BEFORE = re.compile(r"\b(?:from|compared (?:to|with)|versus|vs\.?|(?<!more )(?<!less )(?<!fewer )(?<!greater )(?<!rather )than|against)\s+"
                               r"(?:an? (?:net )?(?:loss|profit|gain|income) of\s+)?(?:[^\s;]*[^\s,;]\s+){0,3}?"
                               r"(?:in\s+|during\s+|for\s+)?(?:the\s+)?$|\bover\s+(?:the\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class DateMention:
    """Words of a sentence that name a date, and the span they mean."""

    text: str
    start: int
    end: int
    span: dates.DateSpan
    how: str = "parsed"          # parsed, reporting (the reporting period), relative_to_reporting
    comparison: bool = False     # a period compared against ("up from ... the same period last year")
    note: str | None = None      # how a reading that is not plain parsing was made

    @property
    def from_text(self):
        """Whether `timeline import` reads the same span from the text alone."""
        return self.how == "parsed"


@dataclass(frozen=True)
class ReportingPeriod:
    """The period a results document reports on, and the words that say so."""

    span: dates.DateSpan
    evidence: str                # the words of the document naming it
    label: str                   # "Q2 2024"


def find_dates(sentence, base, fiscal_year_end="12-31", language="en", reporting=None):
    """Every date mention of `sentence`, in order, without overlaps (the longest wins)."""
    found = []
    pattern = CHINESE if language == "zh" else ENGLISH
    for match in pattern.finditer(sentence):
        mention = _read_candidate(sentence, match.start(), match.end(), base, fiscal_year_end, reporting)
        if mention:
            found.append(mention)
    if reporting is not None:
        found.extend(_reporting_references(sentence, reporting))
    if language != "zh":
        found.extend(_inferred(sentence, _as_date(base), fiscal_year_end, reporting))
    return _without_overlaps(found)


# ---- date forms the parser does not read: spans worked out here, each with a note saying how ----

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "a": 1, "a couple of": 2, "several": None}
AGO = re.compile(r"\b(?P<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|a) (?P<unit>years?|months?) ago\b",
                 re.IGNORECASE)
THIS_YEAR_ASIDE = re.compile(r"\b(?:earlier|later) (?:this|in the) year\b|\bearlier in \d{4}\b", re.IGNORECASE)
FISCAL_YEAR_ENDING = re.compile(rf"\b(?:its |the |our )?fiscal year (?:ending|ended|that ends|which ends) "
                                rf"(?P<day>{MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? (?P<year>{YEAR4}))?)", re.IGNORECASE)
MONTHS_ENDED = re.compile(rf"\b(?:the )?(?P<n>three|six|nine|twelve|3|6|9|12)[- ]months? (?:period )?ended (?P<day>{MONTH} \d{{1,2}},? {YEAR4})",
                          re.IGNORECASE)
YEAR_TO_DATE = re.compile(rf"\byear[- ]to[- ]date\b|\bYTD\b|\b(?:the )?first nine months(?: of (?P<year>{YEAR4}))?", re.IGNORECASE)
AND_YEAR = re.compile(r"(?<=\d{4} and )'(?P<yy>\d{2})(?![\w'])|(?<=\d{4} or )'(?P<yy2>\d{2})(?![\w'])")
YEARLESS = re.compile(r"(?:the )?(?P<ordinal>first|second|third|fourth|1st|2nd|3rd|4th)(?: fiscal)? (?P<part>quarter|half)",
                      re.IGNORECASE)
LOOKS_AHEAD = re.compile(r"\b(?:will|expects?|expected|outlook|guidance|plans?|forecasts?|anticipates?|next)\b", re.IGNORECASE)


def _inferred(sentence, base, fiscal_year_end, reporting):
    found = []
    for match in AGO.finditer(sentence):
        n = match["n"].lower()
        n = NUMBER_WORDS.get(n, None) if not n.isdigit() else int(n)
        if not n:
            continue
        if match["unit"].lower().startswith("year"):
            year = base.year - n
            span = dates.DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
        else:
            month_index = base.year * 12 + base.month - 1 - n
            year, month = divmod(month_index, 12)
            span = dates.DateSpan(dt.date(year, month + 1, 1), _month_end(year, month + 1), "month")
        found.append(_inferred_mention(sentence, match, span, f"'{match.group()}' counted back from the publication "
                                                               f"date {base.isoformat()}"))
    for match in THIS_YEAR_ASIDE.finditer(sentence):
        year = int(re.search(r"\d{4}", match.group()).group()) if re.search(r"\d{4}", match.group()) else base.year
        span = dates.DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
        found.append(_inferred_mention(sentence, match, span, f"'{match.group()}': some time in {year}, the year of "
                                                               f"the publication"))
    for match in FISCAL_YEAR_ENDING.finditer(sentence):
        try:
            end = dates.parse(match["day"] if match["year"] else f"{match['day']}, {base.year}", base=base)
        except dates.DateError:
            continue
        day = end.valid_from
        if not match["year"] and (day - base).days > 200:
            day = day.replace(year=day.year - 1)
        elif not match["year"] and (base - day).days > 200:
            day = day.replace(year=day.year + 1)
        start = _add_days(day.replace(year=day.year - 1), 1)
        found.append(_inferred_mention(sentence, match, dates.DateSpan(start, day, "year"),
                                       f"'{match.group()}': the fiscal year ending {day.isoformat()} (52/53-week "
                                       f"years end on a weekday: check the start)"))
    for match in MONTHS_ENDED.finditer(sentence):
        try:
            end = dates.parse(match["day"]).valid_from
        except dates.DateError:
            continue
        months = {"three": 3, "six": 6, "nine": 9, "twelve": 12}.get(match["n"].lower()) or int(match["n"])
        start = _months_before(end, months)
        precision = {3: "quarter", 6: "half", 12: "year"}.get(months, "month")
        found.append(_inferred_mention(sentence, match, dates.DateSpan(start, end, precision),
                                       f"'{match.group().strip()}': {months} months ending {end.isoformat()}"))
    for match in YEAR_TO_DATE.finditer(sentence):
        if match["year"]:
            year = int(match["year"])
            end = dt.date(year, 9, 30)
        elif reporting is not None:
            end = reporting.span.valid_to
            year = end.year
        else:
            last = base.replace(day=1) - dt.timedelta(days=1)
            end, year = last, last.year
        if "nine" in match.group().lower():
            end = dt.date(year, 9, 30)
        span = dates.DateSpan(dt.date(year, 1, 1), end, "month")
        source = f"the reporting period {reporting.label}" if reporting is not None and not match["year"] else "the text"
        found.append(_inferred_mention(sentence, match, span, f"'{match.group()}': from the start of {year} to "
                                                               f"{end.isoformat()} (the end taken from {source})"))
    for match in AND_YEAR.finditer(sentence):
        yy = match["yy"] or match["yy2"]
        year = 2000 + int(yy)
        span = dates.DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
        found.append(_inferred_mention(sentence, match, span, f"'{match.group()}' after a year: {year}"))
    return found


def _inferred_mention(sentence, match, span, note):
    comparison = bool(COMPARISON_BEFORE.search(sentence[max(0, match.start() - 40):match.start()]))
    return DateMention(match.group().strip(), match.start(), match.start() + len(match.group().strip()), span,
                       "inferred", comparison, note)


def _month_end(year, month):
    return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


def _add_days(day, n):
    return day + dt.timedelta(days=n)


def _months_before(end, months):
    """The first day of a period of `months` months ending on `end` (a 52/53-week quarter ends on any day)."""
    index = end.year * 12 + end.month - 1 - months
    year, month = divmod(index, 12)
    if end == _month_end(end.year, end.month):
        return _month_end(year, month + 1) + dt.timedelta(days=1)
    try:
        return dt.date(year, month + 1, end.day) + dt.timedelta(days=1)
    except ValueError:
        return _month_end(year, month + 1) + dt.timedelta(days=1)


def _yearless(text, span, sentence, base, reporting, fiscal_year_end):
    """"the fourth quarter" has no year: on a results call it is the reporting period's year; else the
    latest such quarter ended by the publication, unless the sentence looks ahead."""
    match = YEARLESS.fullmatch(text)
    if match is None or re.search(r"\d", text):
        return None
    if reporting is not None:
        year = reporting.span.valid_to.year
        why = f"the year of the reporting period {reporting.label}"
    else:
        ahead = LOOKS_AHEAD.search(sentence)
        year = span.valid_from.year
        if not ahead and span.valid_to > base:
            year -= 1
            why = f"the latest {match.group().lower().replace('the ', '')} ended by the publication ({base.isoformat()})"
        elif ahead and span.valid_to < base:
            year += 1
            why = "the next one: the sentence looks ahead"
        else:
            return None
    try:
        moved = dates.parse(f"{text} {year}", base=base, fiscal_year_end=fiscal_year_end)
    except dates.DateError:
        return None
    if moved == span:
        return None
    return moved, f"'{text}' has no year: read as {_label(moved)}, {why}"


def _read_candidate(sentence, start, end, base, fiscal_year_end, reporting):
    text = sentence[start:end].strip(" ,")
    end = start + len(sentence[start:end].rstrip(" ,"))
    if any(not word[0].isupper() for word in MONTH_WORD.findall(text)):
        return None
    compact = re.sub(r"(?<=[\d年月季半])\s+|\s+(?=[年月季半日号])", "", text) if has_cjk(text) else text
    try:
        span = dates.parse(compact, base=base, fiscal_year_end=fiscal_year_end)
    except dates.DateError:
        return None
    comparison = bool(COMPARISON_BEFORE.search(sentence[max(0, start - 40):start]))
    if reporting is not None and PREVIOUS_QUARTER.fullmatch(text) and reporting.span.precision == "quarter":
        # "last quarter" on a results call is the quarter before the one reported on
        span = dates.parse(text, base=reporting.span.valid_from, fiscal_year_end=fiscal_year_end)
        note = f"'{text}' counted from the reporting period {reporting.label} ({reporting.evidence!r}), not from the publication date"
        return DateMention(text, start, end, span, "relative_to_reporting", comparison, note)
    yearless = _yearless(text, span, sentence, _as_date(base), reporting, fiscal_year_end)
    if yearless is not None:
        return DateMention(text, start, end, yearless[0], "inferred", comparison, yearless[1])
    if compact != text:
        note = f"'{text}' read as '{compact}' (spaces removed)"
        return DateMention(text, start, end, span, "respaced", comparison, note)
    return DateMention(text, start, end, span, "parsed", comparison)


def has_cjk(text):
    return re.search(r"[\u3400-\u9fff]", text) is not None


def _reporting_references(sentence, reporting):
    """'the quarter', 'the same period last year': spans read from the reporting period."""
    mentions = []
    for match in REPORTING_REFERENCE.finditer(sentence):
        note = f"'{match.group()}' is the reporting period, {reporting.label} ({reporting.evidence!r})"
        comparison = bool(COMPARISON_BEFORE.search(sentence[max(0, match.start() - 40):match.start()]))
        mentions.append(DateMention(match.group(), match.start(), match.end(), reporting.span, "reporting",
                                    comparison, note))
    for match in END_OF_REPORTING.finditer(sentence):
        span = dates.DateSpan(reporting.span.valid_to, reporting.span.valid_to, "day")
        note = f"'{match.group()}' is the last day of the reporting period, {reporting.label} ({reporting.evidence!r})"
        mentions.append(DateMention(match.group(), match.start(), match.end(), span, "reporting", False, note))
    for match in SAME_PERIOD_LAST_YEAR.finditer(sentence):
        span = _year_earlier(reporting.span)
        label = dates.label(span.valid_from, span.valid_to, span.precision)
        note = f"'{match.group()}' is {label}: the reporting period {reporting.label} a year earlier"
        mentions.append(DateMention(match.group(), match.start(), match.end(), span, "reporting", True, note))
    return mentions


def _year_earlier(span):
    def back(day):
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # February 29
            return day.replace(year=day.year - 1, day=28)
    return dates.DateSpan(back(span.valid_from), back(span.valid_to), span.precision)


def _without_overlaps(mentions):
    """Keep the longest of overlapping mentions."""
    chosen = []
    # on a tie the document's reading wins: "this quarter" on a results call is the quarter reported
    for mention in sorted(mentions, key=lambda m: (-(m.end - m.start), m.how == "parsed", m.start)):
        if all(mention.end <= other.start or mention.start >= other.end for other in chosen):
            chosen.append(mention)
    return sorted(chosen, key=lambda m: m.start)


def nearest(mentions, position):
    """The mention closest to `position` that is not a comparison period, else None."""
    candidates = [m for m in mentions if not m.comparison]
    if not candidates:
        return None
    return min(candidates, key=lambda m: (_distance(m, position), m.start))


def _distance(mention, position):
    if mention.start <= position < mention.end:
        return 0
    return mention.start - position if mention.start > position else position - mention.end + 1


# ---- the reporting period of a document ----

RESULTS_WORDS = (r"(?:(?:unaudited|audited|financial|operating|earnings|business|interim|preliminary|"
                 r"conference|investor|update|and)\s+){0,3}(?:results|earnings(?: (?:conference )?call)?|conference call|report)")
REPORTING_CUES = [
    # "second quarter 2024 earnings conference call", "Q2 2025 Unaudited Financial Results"
    re.compile(rf"(?P<period>{QUARTER}|{HALF}|(?:full[- ]year|fiscal(?: year)?|FY) ?'?\d{{2,4}}|{YEAR4})(?:'s)? {RESULTS_WORDS}\b",
               re.IGNORECASE),
    # "results for the second quarter of 2025", "results for the three months ended June 30, 2025"
    re.compile(rf"\bresults for (?P<period>(?:the )?(?:three|six|nine|twelve) months ended {DAY_DATE}|{QUARTER}|{HALF}|{YEAR_WORDS})",
               re.IGNORECASE),
    re.compile(r"(?P<period>\d{4}\s*年\s*(?:第\s*[一二三四1-4]\s*季度?|[上下]\s*半年度?))\s*(?:財報|财报|業績|业绩)"),
]
HEADLINE_PERIOD = re.compile(rf"\b(?P<period>{QUARTER}|{HALF})\b", re.IGNORECASE)
FINANCIAL_FIGURE = re.compile(r"\b(?:revenue|revenues|net (?:loss|income)|gross (?:profit|margin)|EBITDA)\b.{0,80}?"
                              r"(?:US\$|HK\$|RMB|\$|€|£|¥|USD|CNY)\s?\d", re.IGNORECASE)


def reporting_period(text, front_matter, published_on, fiscal_year_end="12-31"):
    """The period a results document reports on, or None when the text does not make it clear.

    Strong evidence is a period named with results words ("second quarter 2024 earnings
    call", "results for the three months ended June 30, 2025"), anywhere in the text.
    Weaker evidence is a quarter or half named in the headline of a document that states
    financial figures ("... Contract Wins In Q2").  The period must have ended by the
    publication date: results are reported after the fact.
    """
    for cue in REPORTING_CUES:
        for match in cue.finditer(text):
            found = _past_period(match["period"], published_on, fiscal_year_end)
            if found:
                return ReportingPeriod(found, match.group().strip(), _label(found))
    if front_matter and FINANCIAL_FIGURE.search(text):
        for match in HEADLINE_PERIOD.finditer(front_matter):
            found = _past_period(match["period"], published_on, fiscal_year_end)
            if found:
                return ReportingPeriod(found, f"{match['period']}, in the headline", _label(found))
    return None


CALL_CUE = re.compile(r"\b(?:earnings|conference|investor) call\b|\b(?:recap|review|overview) of the quarter\b"
                      r"|\bthank(?:s| you),? (?:operator|everyone)\b", re.IGNORECASE)
CALL_WINDOW_DAYS = 75  # results calls are held within weeks of the quarter's end


def call_period(text, published_on, is_transcript=False):
    """The quarter a results call reports on when it does not name it: the latest calendar quarter
    ended before the call, if the call is within CALL_WINDOW_DAYS of its end."""
    cue = CALL_CUE.search(text[:20000])
    if not (cue or is_transcript) or not FINANCIAL_FIGURE.search(text):
        return None
    day = _as_date(published_on)
    first_of_quarter = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    end = first_of_quarter - dt.timedelta(days=1)
    if (day - end).days > CALL_WINDOW_DAYS:
        return None
    span = dates.DateSpan(dt.date(end.year, end.month - 2, 1), end, "quarter")
    why = f"'{cue.group()}'" if cue else "a call transcript"
    return ReportingPeriod(span, f"{why} on {day.isoformat()}, {(day - end).days} days after {_label(span)} ended", _label(span))


def _past_period(text, published_on, fiscal_year_end):
    compact = re.sub(r"\s+", "", text) if has_cjk(text) else text
    try:
        span = dates.parse(compact, base=published_on, fiscal_year_end=fiscal_year_end)
    except dates.DateError:
        return None
    if span.precision not in ("quarter", "half", "year") or span.valid_to > _as_date(published_on):
        return None
    return span


def _label(span):
    return dates.label(span.valid_from, span.valid_to, span.precision)


def _as_date(value):
    return value if isinstance(value, dt.date) else dates.parse_iso(value)
