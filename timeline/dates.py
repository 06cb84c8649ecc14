"""Fuzzy date text -> DateSpan(valid_from, valid_to, precision).

Sources write dates the way people talk: "Q2 2025", "2Q25", "FY2024", "late 2025",
"as of June 30, 2025", "last quarter", "2024年上半年".  A fact is stored with the
inclusive span it covers and the precision its text had, which comes from the form
of the text (our regexes decide whether a day is present), never from the dates.
Text we cannot read is an error, never a silently wrong date.

Readings we chose (tests/test_dates.py pins each one):
- "end of X" / "year-end 2024" / "2025年底" is the last day of X, precision day;
  "start of X" / "beginning of X" its first day.
- early = Jan-Apr, mid = May-Aug, late = Sep-Dec, precision approximate; "c. 2025"
  is the whole year, approximate.
- "Q2 2025" and "H1 2025" are calendar periods.  They are fiscal only when the
  text says so ("Q2 FY2025", "second fiscal quarter", "first half of fiscal 2025");
  FY / fiscal / full-year forms always use fiscal_year_end, and a fiscal year is
  named by the calendar year in which it ends.
- Two-digit years (2Q25, 1H25, FY24, Q2'25) mean 20xx, and only where a Q/H/FY
  marker or an apostrophe makes them a year.
- Relative phrases ("last quarter", "this year", "next month") count calendar
  periods from base; text without a year takes base's year.  Without a base both
  are errors: we never fall back to today.
- Numeric day/month orders ("09/08/2025") are refused as ambiguous.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

PRECISIONS = ("day", "month", "quarter", "half", "year", "approximate")
MIN_YEAR, MAX_YEAR = 1000, 9999
# Naming the languages is several times faster than letting dateparser detect one,
# and keeps it from trying exotic readings of English words.
DATEPARSER_LANGUAGES = ["en", "zh", "de", "fr", "es"]
# calendar.month_abbr follows the process locale; labels must not.
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ORDINAL_WORDS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
ORDINAL_SUFFIXES = ("th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th")
APPROXIMATE_PARTS = {"early": (0, 4), "mid": (4, 4), "late": (8, 4), "approx": (0, 12)}  # (first month, months)

NUMBER_OF = {word: n for n, word in enumerate(ORDINAL_WORDS)} | {str(n): n for n in range(10)}
NUMBER_OF |= {f"{n}{ORDINAL_SUFFIXES[n]}": n for n in range(10)}
NUMBER_OF |= {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"上": 1, "下": 2}
PERIOD_UNITS = {"q": "quarter", "quarter": "quarter", "季": "quarter", "h": "half", "half": "half", "半": "half"}
RELATIVE_STEPS = {
    "this": 0, "current": 0, "the": 0, "last": -1, "previous": -1, "prior": -1, "next": 1, "coming": 1,
    "following": 1, "今": 0, "去": -1, "明": 1, "本": 0, "这个": 0, "上": -1, "上个": -1, "下": 1, "下个": 1,
}
DAY_STEPS = {"today": 0, "yesterday": -1, "tomorrow": 1, "今天": 0, "昨天": -1, "明天": 1}
PERIODS_ENDED = {"quarter": (3, "quarter"), "three months": (3, "quarter"), "six months": (6, "half"),
                 "half year": (6, "half"), "half-year": (6, "half"), "year": (12, "year"),
                 "fiscal year": (12, "year"), "twelve months": (12, "year")}  # "... ended June 30, 2025"

# Pieces of the forms (matched against lower-cased, unwrapped text).
WRAPPERS = re.compile(r"^(?:(?:in|on|during|for|as of|as at|since|by|at) +|(?:截至|截止到?|于) *)(?=\S)")
FISCAL = r"(?:fy|fiscal(?: year)?|full[- ]year)"
RELATIVE_WORD = "this|current|last|previous|prior|next|coming|following"
YEAR = rf"(?P<year>(?:{FISCAL} *)?'?\d+|(?:{RELATIVE_WORD}|the) (?:fiscal )?year)"
NUMERIC_YEAR = re.compile(rf"(?:(?P<fiscal>{FISCAL}) *)?(?P<apostrophe>')?(?P<digits>\d+)")
RELATIVE_YEAR = re.compile(r"(?P<rel>[a-z]+) (?P<fiscal>fiscal )?year|(?P<rel_cn>[今去明])")
CN_YEAR = r"(?:(?P<year>\d+|今|去|明)(?P<fiscal>财)?年度?)"
ORDINAL = "|".join(sorted((w for w in NUMBER_OF if w.isascii() and not w.isdigit()), key=len, reverse=True))
SEP = r"[\s,/-]*"


class DateError(ValueError):
    """A date text or value we cannot accept, said in one line a user reads."""


@dataclass(frozen=True)
class DateSpan:
    valid_from: dt.date
    valid_to: dt.date  # inclusive
    precision: str  # one of PRECISIONS

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise DateError(f"unknown precision '{self.precision}' (expected one of {', '.join(PRECISIONS)})")
        if self.valid_to < self.valid_from:
            raise DateError(f"span ends ({self.valid_to}) before it starts ({self.valid_from})")

    def as_dict(self, text) -> dict:
        return {"text": text, "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat(), "precision": self.precision}


def parse(text: str, base: dt.date | str | None = None, fiscal_year_end: str = "12-31") -> DateSpan:
    """The span `text` names; `base` (the source's publication date) resolves relative and yearless text."""
    if not isinstance(text, str):
        raise DateError(f"date text must be a string, not {type(text).__name__}")
    base_date = None if base is None else _as_date(base, "base date")
    return _parse_cached(text, base_date, fiscal_year_end)


def parse_iso(value: str) -> dt.date:
    """A strict YYYY-MM-DD date."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise DateError(f"'{value}' is not an ISO date (YYYY-MM-DD)")
    try:
        date = dt.date.fromisoformat(value)
    except ValueError as error:
        raise DateError(f"'{value}': {error}") from None
    if date.year < MIN_YEAR:
        raise DateError(f"'{value}': year {date.year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    return date


def label(valid_from, valid_to, precision) -> str:
    """How a span reads at its precision: "2025-09-08", "Sep 2025", "Q2 2025", "FY2024", "late 2025"."""
    return _write_span(LABELS, valid_from, valid_to, precision)


def slug(valid_from, valid_to, precision) -> str:
    """The span as an event-id segment: "2025-09-08", "2025-09", "2025-q2", "fy2024", "2025-late"."""
    return _write_span(SLUGS, valid_from, valid_to, precision)


# Keyed by what a span is called (see _span_name).  Every named period parses back
# to its span ("FY2024" given the fiscal year end); "months" and "range" do not.
LABELS = {
    "day": "{start}", "month": "{start_month} {year}", "quarter": "Q{n} {year}", "half": "H{n} {year}",
    "year": "{year}", "fiscal year": "FY{end_year}", "early": "early {year}", "mid": "mid-{year}",
    "late": "late {year}", "approx": "c. {year}", "months": "{start_month}–{end_month} {year}",
    "months across years": "{start_month} {year}–{end_month} {end_year}", "range": "{start} to {end}",
}
SLUGS = {
    "day": "{start}", "month": "{start:%Y-%m}", "quarter": "{year}-q{n}", "half": "{year}-h{n}",
    "year": "{year}", "fiscal year": "fy{end_year}", "early": "{year}-early", "mid": "{year}-mid",
    "late": "{year}-late", "approx": "{year}-approx", "months": "{start:%Y-%m}-to-{end:%Y-%m}",
    "months across years": "{start:%Y-%m}-to-{end:%Y-%m}", "range": "{start}-to-{end}",
}


def _write_span(formats: dict, valid_from, valid_to, precision) -> str:
    start, end = _as_date(valid_from, "valid_from"), _as_date(valid_to, "valid_to")
    DateSpan(start, end, precision)  # one place checks the precision and the order
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return formats[_span_name(start, end, precision, months)].format(
        start=start, end=end, year=start.year, end_year=end.year, n=(start.month - 1) // months + 1,
        start_month=MONTH_ABBREVIATIONS[start.month - 1], end_month=MONTH_ABBREVIATIONS[end.month - 1])


def _span_name(start: dt.date, end: dt.date, precision: str, months: int) -> str:
    """What a span is called: "quarter", "fiscal year", "late"...  A span that does not fit
    its precision (a "quarter" of Feb-Apr, from a fiscal calendar we cannot see here)
    is called by its months or its dates, so a label never claims more than it knows."""
    if precision == "day" and start == end:
        return "day"
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return "range"
    if precision == "month" and months == 1:
        return "month"
    if precision in ("quarter", "half") and months == {"quarter": 3, "half": 6}[precision]:
        if (start.month - 1) % months == 0:
            return precision
        return "months" if start.year == end.year else "months across years"
    if precision == "year" and months == 12:
        return "year" if start.month == 1 else "fiscal year"
    if precision == "approximate":
        for part, (offset, length) in APPROXIMATE_PARTS.items():
            if (start.month - 1, months) == (offset, length):
                return part
    return "range"


def _as_date(value, what) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_iso(value)
    except DateError as error:
        raise DateError(f"{what}: {error}") from None


def _months(first_month: int, count: int, precision: str) -> DateSpan:
    """The span of `count` whole months from month index `first_month` (year * 12 + month - 1)."""
    last_month = first_month + count - 1
    for year in (first_month // 12, last_month // 12):
        if not MIN_YEAR <= year <= MAX_YEAR:  # "next year" from 9999; the caller quotes the text
            raise ValueError(f"year {year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    end_year, end_month = last_month // 12, last_month % 12 + 1
    end = dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
    return DateSpan(dt.date(first_month // 12, first_month % 12 + 1, 1), end, precision)


def _day(date: dt.date) -> DateSpan:
    return DateSpan(date, date, "day")


@lru_cache(maxsize=4096)  # bulk imports parse the same few strings many times
def _parse_cached(text: str, base: dt.date | None, fiscal_year_end: str) -> DateSpan:
    reading = _Reading(text, base, _fiscal_year_end_month(fiscal_year_end))
    normalized = _normalize(text)
    if not normalized:
        raise DateError("date text is empty")
    try:
        return _read(reading, normalized)
    except DateError:
        raise
    except ValueError as error:  # datetime's own words: "day is out of range for month"
        raise reading.error(str(error)) from None


def _fiscal_year_end_month(fiscal_year_end: str) -> int:
    """The month a fiscal year ends in; its quarters and halves are whole months counted from there."""
    match = re.fullmatch(r"(\d{2})-(\d{2})", str(fiscal_year_end))
    month, day = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= month <= 12:
        raise DateError(f"fiscal year end '{fiscal_year_end}' is not a MM-DD date such as 03-31")
    if day != calendar.monthrange(2001, month)[1] and (month, day) != (2, 29):
        raise DateError(f"fiscal year end '{fiscal_year_end}' must be the last day of a month, such as 03-31")
    return month


def _normalize(text: str) -> str:
    """Lower case, plain quotes and dashes, no wrapper words: "As of June 30, 2025." -> "june 30, 2025"."""
    text = unicodedata.normalize("NFKC", text).casefold()  # NFKC: full-width "２０２４年" -> "2024年"
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"}))
    text = re.sub(r"[\s.,;:!?。、]+$", "", re.sub(r"\s+", " ", text).strip())
    while (unwrapped := WRAPPERS.sub("", text, count=1)) != text:
        text = unwrapped
    return text


@dataclass(frozen=True)
class _Reading:
    """One text being read: the words to quote in errors, and what resolves its missing parts."""

    text: str
    base: dt.date | None
    fiscal_year_end_month: int

    def error(self, reason: str) -> DateError:
        return DateError(f"'{self.text}': {reason}")

    def base_date(self) -> dt.date:
        if self.base is None:
            raise DateError(f"'{self.text}' needs a base date (--base)")
        return self.base

    def first_month_of_year(self, token: str | None, fiscal: bool = False, short_ok: bool = False) -> int:
        """Month index of the first month of the (calendar or fiscal) year `token` names; None is base's."""
        relative = RELATIVE_YEAR.fullmatch(token or ("the fiscal year" if fiscal else "the year"))
        if relative:
            fiscal = fiscal or bool(relative["fiscal"])
            base = self.base_date()
            # the fiscal year holding base is named by the calendar year it ends in
            year = base.year + (fiscal and base.month > self.fiscal_year_end_month)
            year += RELATIVE_STEPS[relative["rel"] or relative["rel_cn"]]
        else:
            numeric = NUMERIC_YEAR.fullmatch(token)
            fiscal = fiscal or bool(numeric["fiscal"])
            digits = numeric["digits"]
            marked = short_ok or numeric["apostrophe"] or numeric["fiscal"]
            year = 2000 + int(digits) if len(digits) == 2 and marked else int(digits)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise self.error(f"year {year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
        return year * 12 + (self.fiscal_year_end_month if fiscal else 12) - 12

    def calendar_year(self, token: str | None) -> int:
        return self.first_month_of_year(token) // 12


def _read(reading: _Reading, text: str) -> DateSpan:
    for form, read_form in FORMS:
        match = form.fullmatch(text)
        if match:
            return read_form(reading, match)
    return _read_day_or_month(reading, text)


def _read_numeric(reading, match):
    """Year-first numbers: "2025-09-08", "2024/4/15", "2025-09", "2024年4月15日", "4月" (year from base)."""
    year, month = reading.calendar_year(match["year"]), int(match["month"])
    if match["day"] is None:
        dt.date(year, month, 1)  # refuses month 13 in datetime's words, which the caller quotes
        return _months(year * 12 + month - 1, 1, "month")
    return _day(dt.date(year, month, int(match["day"])))


def _refuse_ambiguous(reading, match):
    raise reading.error("day and month order is ambiguous; write the date as YYYY-MM-DD")


def _read_year(reading, match):
    return _months(reading.first_month_of_year(match["year"], bool(match.groupdict().get("fiscal"))), 12, "year")


def _read_period(reading, match):
    """Quarters and halves: "Q2 2025", "2Q25", "second half of the year", "2024年第二季度"."""
    unit, n = PERIOD_UNITS[match["unit"]], NUMBER_OF[match["n"]]
    per_year = 4 if unit == "quarter" else 2
    if not 1 <= n <= per_year:
        raise reading.error(f"there is no {ORDINAL_WORDS[n]} {unit}")
    short_ok = match["unit"] in ("q", "h")  # "2Q25": the marker makes 25 a year
    first = reading.first_month_of_year(match["year"], bool(match.groupdict().get("fiscal")), short_ok)
    months = 12 // per_year
    return _months(first + (n - 1) * months, months, unit)


def _read_approximate(reading, match):
    part = match.groupdict().get("part") or "approx"
    offset, months = APPROXIMATE_PARTS[{"初": "early", "中": "mid"}.get(part, part)]  # 年初, 年中
    return _months(reading.first_month_of_year(match["year"]) + offset, months, "approximate")


def _read_edge(reading, match):
    """"end of June 2025" is its last day; "start of 2025" its first."""
    span = _read(reading, match["rest"])
    return _day(span.valid_from if match["edge"] in ("start", "beginning") else span.valid_to)


def _read_year_end(reading, match):
    return _day(_read_year(reading, match).valid_to)


def _read_period_ended(reading, match):
    """"the three months ended June 30, 2025": whole months up to the last day of a month."""
    end = _read(reading, match["rest"]).valid_to
    if end.day != calendar.monthrange(end.year, end.month)[1]:
        raise reading.error("a period must end on the last day of a month")
    months, precision = PERIODS_ENDED[match["length"]]
    return _months(end.year * 12 + end.month - months, months, precision)


def _read_relative(reading, match):
    """"last quarter", "next month", "上个月": calendar periods counted from base."""
    base, step = reading.base_date(), RELATIVE_STEPS[match["rel"]]
    this_month = base.year * 12 + base.month - 1
    if match["unit"] in ("quarter", "季度"):
        return _months(this_month - this_month % 3 + 3 * step, 3, "quarter")
    return _months(this_month + step, 1, "month")


def _read_relative_day(reading, match):
    return _day(reading.base_date() + dt.timedelta(days=DAY_STEPS[match["day"]]))


def _read_day_or_month(reading: _Reading, text: str) -> DateSpan:
    """Month-name forms in several languages ("Sept. 8, 2025", "April 2024"): dateparser reads the
    month; we read the numbers ourselves, so precision and year never come from its guesses."""
    cannot_read = DateError(f"cannot read '{reading.text}' as a date")
    if not re.search(r"[^\W\d_]", text):  # no month word: dateparser would take a bare number for a month
        raise cannot_read
    text = re.sub(r"^the ", "", text)
    numbers = re.findall(r"'?\d+", text)
    years = [n for n in numbers if n.startswith("'") or len(n) > 2]  # "Sept '25" is a year, not a day
    days = [n for n in numbers if n not in years]
    if len(years) > 1 or len(days) > 1:
        raise cannot_read
    year = reading.calendar_year(years[0]) if years else None
    day = int(days[0]) if days else None
    month = _month_named_in(text, day, year, reading.base or dt.date(2000, 1, 1))
    if month is None:
        raise cannot_read
    if year is None:
        year = reading.base_date().year
    if day is None:
        return _months(year * 12 + month - 1, 1, "month")
    return _day(dt.date(year, month, day))  # the caller quotes "day is out of range for month"


def _month_named_in(text: str, day: int | None, year: int | None, relative_base: dt.date) -> int | None:
    """The month dateparser finds in `text`, provided it read the same day and year we did."""
    # dateparser takes ~0.5 ms a call.  With the year in the text its answer does not
    # depend on the base, so "June 30, 2025" is read once however many sources cite it
    # (_parse_cached is keyed by base too: each source's date would miss it).
    return _month_named_in_cached(text, day, year, relative_base if year is None else None)


@lru_cache(maxsize=16384)
def _month_named_in_cached(text: str, day: int | None, year: int | None, relative_base: dt.date | None) -> int | None:
    import dateparser  # slow to import: `timeline --help` must not pay for it

    relative_base = relative_base or dt.date(2000, 1, 1)

    parts = ["month"] + ["day"] * (day is not None) + ["year"] * (year is not None)
    settings = {
        "REQUIRE_PARTS": parts,  # all three is STRICT_PARSING; fewer lets month and yearless forms through
        "PREFER_DAY_OF_MONTH": "first",
        "RELATIVE_BASE": dt.datetime.combine(relative_base, dt.time()),
        "PARSERS": ["absolute-time"],  # relative-time would read "yesterday" as a month form
    }
    found = dateparser.parse(text, languages=DATEPARSER_LANGUAGES, settings=settings)
    if found is None and day is not None and day > 28:
        # dateparser refuses "February 30" just as it refuses nonsense; read the month
        # with day 1 so the caller can say the day is out of range.
        probe = re.sub(r"(?<!\d)\d{1,2}(?:st|nd|rd|th)?(?!\d)", "1", text, count=1)
        found = dateparser.parse(probe, languages=DATEPARSER_LANGUAGES, settings=settings)
        day = 1
    if found is None or (year is not None and found.year != year) or (day is not None and found.day != day):
        return None
    return found.month


FORMS = [(re.compile(form), read_form) for form, read_form in [
    (r"(?P<year>\d+)[-/.](?P<month>\d{1,2})(?:[-/.](?P<day>\d{1,2}))?", _read_numeric),
    (r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", _refuse_ambiguous),
    (rf"(?:the )?{YEAR}", _read_year),
    (rf"(?P<unit>[qh])(?P<n>\d){SEP}{YEAR}?", _read_period),
    (rf"(?P<n>\d)(?P<unit>[qh]){SEP}{YEAR}?", _read_period),
    (rf"{YEAR}年?{SEP}(?P<unit>[qh])(?P<n>\d)", _read_period),
    (rf"(?:the )?(?P<n>{ORDINAL})(?P<fiscal> fiscal)? (?P<unit>quarter|half)(?:,? (?:of )?{YEAR})?", _read_period),
    (rf"{CN_YEAR}?第?(?P<n>[〇一二三四五六七八九\d])(?P<unit>季)度?", _read_period),
    (rf"{CN_YEAR}?(?P<n>[上下])(?P<unit>半)年度?", _read_period),
    (rf"(?P<part>early|mid|late)[\s-]*{YEAR}", _read_approximate),
    (rf"{YEAR}-(?P<part>early|mid|late|approx)", _read_approximate),
    (rf"(?:c\.|ca\.|circa) *{YEAR}", _read_approximate),
    (r"(?:the )?(?P<edge>end|close|start|beginning) of (?P<rest>.+)", _read_edge),
    (rf"(?P<fiscal>fiscal )?year[- ]?end(?:,? {YEAR})?", _read_year_end),
    (rf"{YEAR},? (?P<fiscal>fiscal )?year[- ]?end", _read_year_end),
    (rf"(?:the )?(?P<length>{'|'.join(PERIODS_ENDED)}) end(?:ed|ing) (?P<rest>.+)", _read_period_ended),
    (rf"(?:the )?(?P<rel>{RELATIVE_WORD}) (?P<unit>quarter|month)", _read_relative),
    (r"(?P<rel>本|这个|上个?|下个?)(?P<unit>季度|月)", _read_relative),
    (rf"(?P<day>{'|'.join(DAY_STEPS)})", _read_relative_day),
    (rf"{CN_YEAR}(?:全年)?", _read_year),
    (r"(?P<year>\d+|今|去|明)?年(?P<part>初|中)", _read_approximate),
    (r"(?P<year>\d+|今|去|明)?年[底末]", _read_year_end),
    (r"(?:(?P<year>\d+|今|去|明)年)?(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})[日号])?", _read_numeric),
]]
