"""timeline.dates: fuzzy date text -> DateSpan, and spans back to labels and slugs."""
import calendar
import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.dates import PRECISIONS, DateError, DateSpan, label, parse, parse_iso, slug

PUBLISHED = "2025-08-20"  # a source's publication date: Q3, H2, FY2026 for a 03-31 year end
NEW_YEARS_DAY = "2025-01-15"

# (text, base, fiscal_year_end) -> (valid_from, valid_to, precision)
READINGS = [
    # days
    ("2025-09-08", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("September 8, 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("8 September 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("Sept. 8, 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("Sep 8 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("Sept 8th, 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("SEPTEMBER 8, 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("the 8th of September 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("on September 8, 2025.", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("8 septembre 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("8. September 2025", None, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("February 29, 2024", None, "12-31", "2024-02-29", "2024-02-29", "day"),
    ("September 8", PUBLISHED, "12-31", "2025-09-08", "2025-09-08", "day"),
    ("September 8", "2024-12-31", "12-31", "2024-09-08", "2024-09-08", "day"),
    ("2024/4/15", None, "12-31", "2024-04-15", "2024-04-15", "day"),
    ("as of June 30, 2025", None, "12-31", "2025-06-30", "2025-06-30", "day"),
    ("as of June 30 2025", None, "12-31", "2025-06-30", "2025-06-30", "day"),
    ("As at 30 June 2025", None, "12-31", "2025-06-30", "2025-06-30", "day"),
    ("since May 1, 2024", None, "12-31", "2024-05-01", "2024-05-01", "day"),
    ("today", PUBLISHED, "12-31", "2025-08-20", "2025-08-20", "day"),
    ("yesterday", PUBLISHED, "12-31", "2025-08-19", "2025-08-19", "day"),
    ("2024年4月15日", None, "12-31", "2024-04-15", "2024-04-15", "day"),
    ("2024年4月15号", None, "12-31", "2024-04-15", "2024-04-15", "day"),
    ("２０２４年４月１５日", None, "12-31", "2024-04-15", "2024-04-15", "day"),
    ("4月15日", PUBLISHED, "12-31", "2025-04-15", "2025-04-15", "day"),
    ("截至2025年6月30日", None, "12-31", "2025-06-30", "2025-06-30", "day"),
    # ends and starts of periods are their last and first days
    ("end of June 2025", None, "12-31", "2025-06-30", "2025-06-30", "day"),
    ("end of 2025", None, "12-31", "2025-12-31", "2025-12-31", "day"),
    ("by the end of 2025", None, "12-31", "2025-12-31", "2025-12-31", "day"),
    ("by the end of the year", PUBLISHED, "12-31", "2025-12-31", "2025-12-31", "day"),
    ("end of Q2 2025", None, "12-31", "2025-06-30", "2025-06-30", "day"),
    ("end of the second quarter", PUBLISHED, "12-31", "2025-06-30", "2025-06-30", "day"),
    ("end of FY2025", None, "03-31", "2025-03-31", "2025-03-31", "day"),
    ("year-end 2024", None, "12-31", "2024-12-31", "2024-12-31", "day"),
    ("year end 2024", None, "12-31", "2024-12-31", "2024-12-31", "day"),
    ("fiscal year-end 2024", None, "03-31", "2024-03-31", "2024-03-31", "day"),
    ("start of 2026", None, "12-31", "2026-01-01", "2026-01-01", "day"),
    ("the beginning of next quarter", PUBLISHED, "12-31", "2025-10-01", "2025-10-01", "day"),
    ("2025年底", None, "12-31", "2025-12-31", "2025-12-31", "day"),
    ("年底", PUBLISHED, "12-31", "2025-12-31", "2025-12-31", "day"),
    # months
    ("April 2024", None, "12-31", "2024-04-01", "2024-04-30", "month"),
    ("Apr. 2024", None, "12-31", "2024-04-01", "2024-04-30", "month"),
    ("in April 2024", None, "12-31", "2024-04-01", "2024-04-30", "month"),
    ("February 2024", None, "12-31", "2024-02-01", "2024-02-29", "month"),
    ("avril 2024", None, "12-31", "2024-04-01", "2024-04-30", "month"),
    ("Sept '25", None, "12-31", "2025-09-01", "2025-09-30", "month"),
    ("April", PUBLISHED, "12-31", "2025-04-01", "2025-04-30", "month"),
    ("2025-09", None, "12-31", "2025-09-01", "2025-09-30", "month"),
    ("2024年4月", None, "12-31", "2024-04-01", "2024-04-30", "month"),
    ("4月", PUBLISHED, "12-31", "2025-04-01", "2025-04-30", "month"),
    ("this month", PUBLISHED, "12-31", "2025-08-01", "2025-08-31", "month"),
    ("last month", PUBLISHED, "12-31", "2025-07-01", "2025-07-31", "month"),
    ("next month", PUBLISHED, "12-31", "2025-09-01", "2025-09-30", "month"),
    ("last month", NEW_YEARS_DAY, "12-31", "2024-12-01", "2024-12-31", "month"),
    ("上个月", PUBLISHED, "12-31", "2025-07-01", "2025-07-31", "month"),
    ("本月", PUBLISHED, "12-31", "2025-08-01", "2025-08-31", "month"),
    # quarters
    ("Q2 2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("q2 2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("2Q25", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("2Q 2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("Q2'25", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("Q2’25", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("Q2-2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("2025 Q2", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("2025-q2", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("Q4", PUBLISHED, "12-31", "2025-10-01", "2025-12-31", "quarter"),
    ("Q2 FY2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("Q2 FY2025", None, "03-31", "2024-07-01", "2024-09-30", "quarter"),
    ("Q1 FY2025", None, "03-31", "2024-04-01", "2024-06-30", "quarter"),
    ("Q1 FY2025", None, "01-31", "2024-02-01", "2024-04-30", "quarter"),
    ("Q4 FY2025", None, "03-31", "2025-01-01", "2025-03-31", "quarter"),
    ("2QFY25", None, "03-31", "2024-07-01", "2024-09-30", "quarter"),
    ("Q2 2025", None, "03-31", "2025-04-01", "2025-06-30", "quarter"),  # no FY: a calendar quarter
    ("second quarter of 2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("second quarter 2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("2nd quarter of 2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("the fourth quarter of 2024", None, "12-31", "2024-10-01", "2024-12-31", "quarter"),
    ("the second quarter", PUBLISHED, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("during the second quarter of this year", PUBLISHED, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("second quarter of fiscal 2025", None, "03-31", "2024-07-01", "2024-09-30", "quarter"),
    ("second fiscal quarter of 2025", None, "03-31", "2024-07-01", "2024-09-30", "quarter"),
    ("this quarter", PUBLISHED, "12-31", "2025-07-01", "2025-09-30", "quarter"),
    ("last quarter", PUBLISHED, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("next quarter", PUBLISHED, "12-31", "2025-10-01", "2025-12-31", "quarter"),
    ("last quarter", NEW_YEARS_DAY, "12-31", "2024-10-01", "2024-12-31", "quarter"),
    ("the previous quarter", PUBLISHED, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("the three months ended June 30, 2025", None, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    ("quarter ended September 30, 2024", None, "12-31", "2024-07-01", "2024-09-30", "quarter"),
    ("2024年第二季度", None, "12-31", "2024-04-01", "2024-06-30", "quarter"),
    ("2024年第二季", None, "12-31", "2024-04-01", "2024-06-30", "quarter"),
    ("2024年一季度", None, "12-31", "2024-01-01", "2024-03-31", "quarter"),
    ("2024年Q3", None, "12-31", "2024-07-01", "2024-09-30", "quarter"),
    ("第四季度", PUBLISHED, "12-31", "2025-10-01", "2025-12-31", "quarter"),
    ("上季度", PUBLISHED, "12-31", "2025-04-01", "2025-06-30", "quarter"),
    # halves
    ("H1 2025", None, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("H2 2025", None, "12-31", "2025-07-01", "2025-12-31", "half"),  # dateparser reads a February date
    ("1H 2025", None, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("1H25", None, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("H1'25", None, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("2025-h2", None, "12-31", "2025-07-01", "2025-12-31", "half"),
    ("H1 FY2025", None, "03-31", "2024-04-01", "2024-09-30", "half"),
    ("first half of 2025", None, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("first half 2025", None, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("the first half of fiscal 2025", None, "06-30", "2024-07-01", "2024-12-31", "half"),
    ("second half", PUBLISHED, "12-31", "2025-07-01", "2025-12-31", "half"),
    ("the second half of the year", PUBLISHED, "12-31", "2025-07-01", "2025-12-31", "half"),
    ("second half of next year", PUBLISHED, "12-31", "2026-07-01", "2026-12-31", "half"),
    ("the six months ended June 30, 2025", None, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("2024年上半年", None, "12-31", "2024-01-01", "2024-06-30", "half"),
    ("2024年下半年", None, "12-31", "2024-07-01", "2024-12-31", "half"),
    ("上半年", PUBLISHED, "12-31", "2025-01-01", "2025-06-30", "half"),
    ("今年下半年", PUBLISHED, "12-31", "2025-07-01", "2025-12-31", "half"),
    # years, calendar and fiscal
    ("2024", None, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("in 2024", None, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("2024", None, "03-31", "2024-01-01", "2024-12-31", "year"),  # a bare year is a calendar year
    ("FY2024", None, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("FY2024", None, "03-31", "2023-04-01", "2024-03-31", "year"),
    ("FY 2024", None, "03-31", "2023-04-01", "2024-03-31", "year"),
    ("FY24", None, "06-30", "2023-07-01", "2024-06-30", "year"),
    ("fiscal year 2024", None, "03-31", "2023-04-01", "2024-03-31", "year"),
    ("fiscal 2024", None, "09-30", "2023-10-01", "2024-09-30", "year"),
    ("full year 2024", None, "03-31", "2023-04-01", "2024-03-31", "year"),
    ("for the full year 2024", None, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("full-year 2025", None, "12-31", "2025-01-01", "2025-12-31", "year"),
    ("FY2024", None, "02-29", "2023-03-01", "2024-02-29", "year"),
    ("fiscal year ended March 31, 2024", None, "12-31", "2023-04-01", "2024-03-31", "year"),
    ("this year", PUBLISHED, "12-31", "2025-01-01", "2025-12-31", "year"),
    ("last year", PUBLISHED, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("next year", PUBLISHED, "12-31", "2026-01-01", "2026-12-31", "year"),
    ("the prior year", PUBLISHED, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("this year", PUBLISHED, "03-31", "2025-01-01", "2025-12-31", "year"),  # calendar, fiscal only when said
    ("this fiscal year", PUBLISHED, "03-31", "2025-04-01", "2026-03-31", "year"),
    ("last fiscal year", PUBLISHED, "03-31", "2024-04-01", "2025-03-31", "year"),
    ("2024年", None, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("2024年全年", None, "12-31", "2024-01-01", "2024-12-31", "year"),
    ("2024财年", None, "03-31", "2023-04-01", "2024-03-31", "year"),
    ("去年", PUBLISHED, "12-31", "2024-01-01", "2024-12-31", "year"),
    # approximate
    ("early 2025", None, "12-31", "2025-01-01", "2025-04-30", "approximate"),
    ("mid-2025", None, "12-31", "2025-05-01", "2025-08-31", "approximate"),
    ("mid 2025", None, "12-31", "2025-05-01", "2025-08-31", "approximate"),
    ("mid–2025", None, "12-31", "2025-05-01", "2025-08-31", "approximate"),
    ("late 2025", None, "12-31", "2025-09-01", "2025-12-31", "approximate"),
    ("Late 2025.", None, "12-31", "2025-09-01", "2025-12-31", "approximate"),
    ("early next year", PUBLISHED, "12-31", "2026-01-01", "2026-04-30", "approximate"),
    ("c. 2025", None, "12-31", "2025-01-01", "2025-12-31", "approximate"),
    ("circa 2025", None, "12-31", "2025-01-01", "2025-12-31", "approximate"),
    ("2025-late", None, "12-31", "2025-09-01", "2025-12-31", "approximate"),
    ("2025-approx", None, "12-31", "2025-01-01", "2025-12-31", "approximate"),
    ("2024年初", None, "12-31", "2024-01-01", "2024-04-30", "approximate"),
    ("年中", PUBLISHED, "12-31", "2025-05-01", "2025-08-31", "approximate"),
]


@pytest.mark.parametrize("text, base, fiscal_year_end, valid_from, valid_to, precision", READINGS)
def test_reads(text, base, fiscal_year_end, valid_from, valid_to, precision):
    expected = DateSpan(dt.date.fromisoformat(valid_from), dt.date.fromisoformat(valid_to), precision)
    assert parse(text, base=base, fiscal_year_end=fiscal_year_end) == expected


# (text, base, fiscal_year_end) -> a fragment of the one-line message
REFUSALS = [
    ("Q5 2025", None, "12-31", "'Q5 2025': there is no fifth quarter"),
    ("Q0 2025", None, "12-31", "there is no zeroth quarter"),
    ("fifth quarter of 2025", None, "12-31", "there is no fifth quarter"),
    ("2025年第五季度", None, "12-31", "there is no fifth quarter"),
    ("H3 2025", None, "12-31", "'H3 2025': there is no third half"),
    ("3H25", None, "12-31", "there is no third half"),
    ("February 30, 2025", None, "12-31", "'February 30, 2025': day is out of range for month"),
    ("February 29, 2025", None, "12-31", "day is out of range for month"),
    ("Sep 31 2025", None, "12-31", "day is out of range for month"),
    ("2025-02-30", None, "12-31", "'2025-02-30': day is out of range for month"),
    ("2025-13-01", None, "12-31", "'2025-13-01': month must be in 1..12"),
    ("2025-13", None, "12-31", "month must be in 1..12"),
    ("2024年13月", None, "12-31", "month must be in 1..12"),
    ("sometime", None, "12-31", "cannot read 'sometime' as a date"),
    ("sometime in 2025", None, "12-31", "cannot read"),
    ("", None, "12-31", "date text is empty"),
    ("   ", None, "12-31", "date text is empty"),
    ("13 2025", None, "12-31", "cannot read '13 2025' as a date"),
    ("8 2025", None, "12-31", "cannot read"),  # dateparser: August 2025
    ("2 2025", None, "12-31", "cannot read"),  # dateparser: February 2025
    ("W2 2025", None, "12-31", "cannot read"),
    ("Q12 2025", None, "12-31", "cannot read"),
    ("spring 2025", None, "12-31", "cannot read"),
    ("September 8, 2025 and 2026", None, "12-31", "cannot read"),
    ("Sept. 1999 '25", None, "12-31", "cannot read"),  # two years; dateparser: 25 September 1999
    ("999", None, "12-31", "'999': year 999 is out of range (1000-9999)"),
    ("10000", None, "12-31", "year 10000 is out of range"),
    ("Q2 0999", None, "12-31", "year 999 is out of range"),
    ("September 8, 999", None, "12-31", "year 999 is out of range"),
    ("first half of 25", None, "12-31", "year 25 is out of range"),  # two digits need a Q/H/FY mark
    ("FY1000", None, "03-31", "year 999 is out of range"),
    ("next year", "9999-06-01", "12-31", "year 10000 is out of range"),
    ("last quarter", None, "12-31", "'last quarter' needs a base date (--base)"),
    ("the second quarter", None, "12-31", "needs a base date"),
    ("second half", None, "12-31", "needs a base date"),
    ("上半年", None, "12-31", "needs a base date"),
    ("this year", None, "12-31", "needs a base date"),
    ("September 8", None, "12-31", "'September 8' needs a base date (--base)"),  # never today's year
    ("April", None, "12-31", "needs a base date"),
    ("4月15日", None, "12-31", "needs a base date"),
    ("yesterday", None, "12-31", "needs a base date"),
    ("09/08/2025", None, "12-31", "day and month order is ambiguous"),
    ("8.9.2025", None, "12-31", "day and month order is ambiguous"),
    ("quarter ended September 27, 2025", None, "12-31", "a period must end on the last day of a month"),
    ("Q2 2025", "2025/08/20", "12-31", "base date: '2025/08/20' is not an ISO date (YYYY-MM-DD)"),
    ("FY2024", None, "3-31", "fiscal year end '3-31' is not a MM-DD date"),
    ("FY2024", None, "13-31", "is not a MM-DD date"),
    ("FY2024", None, "09-27", "fiscal year end '09-27' must be the last day of a month"),
]


@pytest.mark.parametrize("text, base, fiscal_year_end, message", REFUSALS)
def test_refuses_with_one_clear_line(text, base, fiscal_year_end, message):
    with pytest.raises(DateError) as refused:
        parse(text, base=base, fiscal_year_end=fiscal_year_end)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


# What dateparser alone makes of these (with today's date filling the gaps), and what we read.
DATEPARSER_MISREADINGS = [
    ("H2 2025", DateSpan(dt.date(2025, 7, 1), dt.date(2025, 12, 31), "half")),  # it says February 2025
    ("2025", DateSpan(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "year")),  # a day in today's month
    ("1H25", DateSpan(dt.date(2025, 1, 1), dt.date(2025, 6, 30), "half")),
    ("Q5 2025", "there is no fifth quarter"),
    ("8 2025", "cannot read"),  # August 2025
    ("15", "year 15 is out of range"),  # the 15th of today's month
    ("March", "needs a base date"),  # March of today's year
    ("yesterday", "needs a base date"),  # the day before today
]


@pytest.mark.parametrize("text, reading", DATEPARSER_MISREADINGS)
def test_dateparser_misreadings_never_leak(text, reading):
    if isinstance(reading, DateSpan):
        assert parse(text) == reading
    else:
        with pytest.raises(DateError, match=reading):
            parse(text)


def test_refuses_text_that_is_not_a_string():
    with pytest.raises(DateError, match="must be a string"):
        parse(2025)


@pytest.mark.parametrize("base", ["2025-08-20", dt.date(2025, 8, 20), dt.datetime(2025, 8, 20, 23, 59)])
def test_base_may_be_a_date_a_datetime_or_iso_text(base):
    assert parse("last quarter", base=base) == parse("Q2 2025")


def test_explicit_year_wins_over_base():
    assert parse("Q2 2023", base=PUBLISHED) == parse("Q2 2023")


def test_repeated_text_is_read_once():
    assert parse("Sept. 8, 2025", base=PUBLISHED) is parse("Sept. 8, 2025", base=PUBLISHED)


def test_importing_does_not_import_dateparser():
    # `timeline --help` imports this module; dateparser takes a noticeable time to load.
    probe = "import sys, timeline.dates; print('dateparser' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_as_dict():
    span = parse("Q2 2025")
    assert span.as_dict("Q2 2025") == {
        "text": "Q2 2025", "valid_from": "2025-04-01", "valid_to": "2025-06-30", "precision": "quarter"}


def test_span_checks_its_precision_and_order():
    with pytest.raises(DateError, match="unknown precision 'week'"):
        DateSpan(dt.date(2025, 1, 1), dt.date(2025, 1, 7), "week")
    with pytest.raises(DateError, match="ends .* before it starts"):
        DateSpan(dt.date(2025, 1, 7), dt.date(2025, 1, 1), "day")


@pytest.mark.parametrize("value, expected", [
    ("2025-09-08", dt.date(2025, 9, 8)),
    ("2024-02-29", dt.date(2024, 2, 29)),
])
def test_parse_iso(value, expected):
    assert parse_iso(value) == expected


@pytest.mark.parametrize("value, message", [
    ("2025-9-8", "'2025-9-8' is not an ISO date (YYYY-MM-DD)"),
    ("September 8, 2025", "is not an ISO date"),
    ("2025-09-08T10:00", "is not an ISO date"),
    (" 2025-09-08", "is not an ISO date"),
    ("2025-02-29", "'2025-02-29': day is out of range for month"),
    ("2025-00-10", "month must be in 1..12"),
    ("0999-01-01", "year 999 is out of range"),
    (None, "'None' is not an ISO date"),
])
def test_parse_iso_refuses(value, message):
    with pytest.raises(DateError) as refused:
        parse_iso(value)
    assert message in str(refused.value)


# (valid_from, valid_to, precision) -> label, slug
NAMES = [
    ("2025-09-08", "2025-09-08", "day", "2025-09-08", "2025-09-08"),
    ("2025-09-01", "2025-09-30", "month", "Sep 2025", "2025-09"),
    ("2024-02-01", "2024-02-29", "month", "Feb 2024", "2024-02"),
    ("2025-04-01", "2025-06-30", "quarter", "Q2 2025", "2025-q2"),
    ("2025-10-01", "2025-12-31", "quarter", "Q4 2025", "2025-q4"),
    ("2025-01-01", "2025-06-30", "half", "H1 2025", "2025-h1"),
    ("2025-07-01", "2025-12-31", "half", "H2 2025", "2025-h2"),
    ("2025-01-01", "2025-12-31", "year", "2025", "2025"),
    ("2023-04-01", "2024-03-31", "year", "FY2024", "fy2024"),
    ("2023-07-01", "2024-06-30", "year", "FY2024", "fy2024"),
    ("2025-01-01", "2025-04-30", "approximate", "early 2025", "2025-early"),
    ("2025-05-01", "2025-08-31", "approximate", "mid-2025", "2025-mid"),
    ("2025-09-01", "2025-12-31", "approximate", "late 2025", "2025-late"),
    ("2025-01-01", "2025-12-31", "approximate", "c. 2025", "2025-approx"),
    # a fiscal quarter or half we cannot number without the fiscal year end: named by its months
    ("2024-02-01", "2024-04-30", "quarter", "Feb–Apr 2024", "2024-02-to-2024-04"),
    ("2024-11-01", "2025-01-31", "quarter", "Nov 2024–Jan 2025", "2024-11-to-2025-01"),
    ("2024-04-01", "2024-09-30", "half", "Apr–Sep 2024", "2024-04-to-2024-09"),
    # spans that do not fit their precision are named by their dates, never rounded
    ("2025-09-08", "2025-09-10", "day", "2025-09-08 to 2025-09-10", "2025-09-08-to-2025-09-10"),
    ("2025-09-02", "2025-09-30", "month", "2025-09-02 to 2025-09-30", "2025-09-02-to-2025-09-30"),
    ("2025-01-01", "2025-03-31", "half", "2025-01-01 to 2025-03-31", "2025-01-01-to-2025-03-31"),
    ("2025-03-01", "2025-06-30", "approximate", "2025-03-01 to 2025-06-30", "2025-03-01-to-2025-06-30"),
]


@pytest.mark.parametrize("valid_from, valid_to, precision, expected_label, expected_slug", NAMES)
def test_label(valid_from, valid_to, precision, expected_label, expected_slug):
    assert label(valid_from, valid_to, precision) == expected_label
    assert label(dt.date.fromisoformat(valid_from), dt.date.fromisoformat(valid_to), precision) == expected_label


@pytest.mark.parametrize("valid_from, valid_to, precision, expected_label, expected_slug", NAMES)
def test_slug(valid_from, valid_to, precision, expected_label, expected_slug):
    assert slug(valid_from, valid_to, precision) == expected_slug


@pytest.mark.parametrize("valid_from, valid_to, precision, message", [
    ("2025-09-08", "2025-09-08", "week", "unknown precision 'week'"),
    ("2025-09-08", "2025-09-01", "day", "before it starts"),
    ("2025-9-8", "2025-09-08", "day", "valid_from: '2025-9-8' is not an ISO date"),
])
def test_label_and_slug_refuse(valid_from, valid_to, precision, message):
    for write in (label, slug):
        with pytest.raises(DateError, match=message):
            write(valid_from, valid_to, precision)


# Properties

def month_end(year, month):
    return dt.date(year, month, calendar.monthrange(year, month)[1])


years = st.integers(min_value=1001, max_value=9998)  # fiscal years reach into the year before
fiscal_year_ends = st.integers(min_value=1, max_value=12).map(lambda month: f"{month_end(2001, month):%m-%d}")


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_an_iso_date_is_its_day(day):
    assert parse(day.isoformat()) == DateSpan(day, day, "day")
    assert label(day, day, "day") == slug(day, day, "day") == day.isoformat()


@given(years, st.integers(min_value=1, max_value=4))
def test_a_quarter_is_its_three_months_and_reads_back(year, quarter):
    span = parse(f"Q{quarter} {year}")
    first_month = 3 * quarter - 2
    assert span == DateSpan(dt.date(year, first_month, 1), month_end(year, first_month + 2), "quarter")
    assert parse(f"{quarter}Q{year}") == parse(f"{year}年第{'一二三四'[quarter - 1]}季度") == span
    assert label(span.valid_from, span.valid_to, "quarter") == f"Q{quarter} {year}"
    assert parse(label(span.valid_from, span.valid_to, "quarter")) == span
    assert parse(slug(span.valid_from, span.valid_to, "quarter")) == span


@given(years, st.integers(min_value=1, max_value=2))
def test_a_half_is_its_six_months_and_reads_back(year, half):
    span = parse(f"H{half} {year}")
    first_month = 6 * half - 5
    assert span == DateSpan(dt.date(year, first_month, 1), month_end(year, first_month + 5), "half")
    assert parse(f"{['first', 'second'][half - 1]} half of {year}") == span
    assert parse(label(span.valid_from, span.valid_to, "half")) == span
    assert parse(slug(span.valid_from, span.valid_to, "half")) == span


@given(years, fiscal_year_ends)
def test_a_fiscal_year_ends_on_its_year_end_and_its_quarters_tile_it(year, fiscal_year_end):
    fiscal_year = parse(f"FY{year}", fiscal_year_end=fiscal_year_end)
    year_end_month = int(fiscal_year_end[:2])
    assert fiscal_year.valid_to == month_end(year, year_end_month)
    assert fiscal_year.valid_from == month_end(year - 1, year_end_month) + dt.timedelta(days=1)
    quarters = [parse(f"Q{q} FY{year}", fiscal_year_end=fiscal_year_end) for q in (1, 2, 3, 4)]
    assert quarters[0].valid_from == fiscal_year.valid_from
    for earlier, later in zip(quarters, quarters[1:]):
        assert later.valid_from == earlier.valid_to + dt.timedelta(days=1)
    assert quarters[-1].valid_to == fiscal_year.valid_to
    assert parse(label(fiscal_year.valid_from, fiscal_year.valid_to, "year"), fiscal_year_end=fiscal_year_end) \
        == fiscal_year
    assert parse(slug(fiscal_year.valid_from, fiscal_year.valid_to, "year"), fiscal_year_end=fiscal_year_end) \
        == fiscal_year


@given(years, st.sampled_from(["early", "mid", "late", "c."]))
def test_approximate_spans_read_back(year, part):
    span = parse(f"{part} {year}")
    assert span.precision == "approximate"
    assert parse(label(span.valid_from, span.valid_to, span.precision)) == span
    assert parse(slug(span.valid_from, span.valid_to, span.precision)) == span


@given(st.dates(min_value=dt.date(1001, 1, 1), max_value=dt.date(9998, 12, 31)))
def test_relative_periods_hold_or_neighbour_the_base(base):
    for unit in ("month", "quarter", "year"):
        this, last, following = (parse(f"{word} {unit}", base=base) for word in ("this", "last", "next"))
        assert this.valid_from <= base <= this.valid_to
        assert last.valid_to + dt.timedelta(days=1) == this.valid_from
        assert this.valid_to + dt.timedelta(days=1) == following.valid_from
        assert this.precision == last.precision == following.precision == unit


DATE_WORDS = ["september", "sept.", "apr", "8", "8th", "30", "q2", "h2", "2q", "first", "half", "quarter", "of",
              "the", "year", "early", "mid-", "late", "end", "fy", "2025", "'25", "25", "last", "this", "next",
              "month", "年", "月", "日", "上半年", "第二季度", "as of", "in", "c.", "-", ",", "1999", "0999"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(DATE_WORDS), min_size=1, max_size=5).map(" ".join))
def test_never_invents_a_year_or_lets_base_override_one(text):
    """Whatever dateparser makes of word salad, a text read without a base takes its year from
    the text itself, so a base changes nothing; and unreadable text is a DateError, not a crash."""
    try:
        span = parse(text)
    except DateError:
        return
    assert any(ch.isdigit() for ch in text)
    assert span.precision in PRECISIONS and span.valid_from <= span.valid_to
    for base in ("1999-03-15", "2031-11-30"):
        assert parse(text, base=base) == span
