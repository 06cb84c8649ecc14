"""Amounts in a sentence: money, percentages and counts, normalised with their unit.

"RMB1.3 billion" -> 1300000000 CNY, "$155.6 million" -> 155600000 USD,
"135,000 units" -> 135000 units, "31%" -> 31 percent, "17 automotive OEMs" ->
17 customers, "13 億元" -> 1300000000 CNY.  Each amount keeps the words it came
from (its start and end in the sentence), the qualifier written before it ("over",
"approximately", "close to") and, for percentages, whether the sentence presents it
as a change ("down 10% year-over-year", "an increase of 7% sequentially").

Numbers that are part of a name ("Antora 1000", "ISO 9001", "Polestar 4") or that
are years are not amounts; the caller passes the spans of names to skip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .. import vocabulary
from ..errors import TimelineError

NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# letter prefixes only at a word's start: "EPS$0.13" is $0.13, not S$ (Singapore dollars)
CURRENCY_PREFIX = r"(?<![A-Za-z])(?:US\$|HK\$|S\$|A\$|C\$|RMB ?|USD ?|CNY ?|EUR ?|GBP ?|HKD ?|SEK ?|JPY ?)|€|£|¥|\$"
SCALE = r"trillion|billion|million|thousand|bn|mn|[mbk](?![\w])"
CURRENCY_SUFFIX = r"US dollars|dollars|yuan|renminbi|RMB|USD|CNY|EUR|euros?|GBP|HKD|SEK|JPY"
CURRENCY_WORDS = {"us dollars": "USD", "dollars": "USD", "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY",
                  "euro": "EUR", "euros": "EUR", "s$": "SGD", "a$": "AUD", "c$": "CAD"}

MONEY = re.compile(rf"(?P<prefix>{CURRENCY_PREFIX})(?P<neg>\()?(?P<number>{NUMBER})(?(neg)\))(?:\s?(?P<scale>{SCALE}))?"
                   rf"|(?<![\w.$])(?P<number2>{NUMBER})\s?(?P<scale2>{SCALE})?\s(?P<suffix>{CURRENCY_SUFFIX})\b",
                   re.IGNORECASE)
PERCENT = re.compile(rf"(?<![\w.])(?P<number>{NUMBER})(?:\s?%|\s?(?:percent|per cent)\b)(?P<ish>-ish)?"
                     rf"|(?<![\w.])(?P<points>{NUMBER})\s?(?:percentage points?|pp|ppts?|points?)\b"
                     rf"|(?<![\w.])(?P<bps>{NUMBER})[\s-]?(?:basis[\s-]points?|bps)\b", re.IGNORECASE)
# Count nouns and the vocabulary unit each one is stored as.
COUNT_NOUNS = {
    "units": "units", "unit": "units", "sets": "units", "modules": "units", "systems": "units", "chips": "units",
    "vehicles": "vehicles", "vehicle": "vehicles", "cars": "vehicles", "evs": "vehicles", "automobiles": "vehicles",
    "customers": "customers", "clients": "customers", "oems": "customers", "automakers": "customers",
    "carmakers": "customers", "brands": "brands", "models": "models", "employees": "employees", "staff": "employees",
    "engineers": "employees", "patents": "patents", "patent applications": "patents", "shares": "shares",
    "countries": "countries", "markets": "markets", "projects": "projects", "programs": "projects",
    "programmes": "projects", "people": "people", "users": "people", "times": "times", "tops": "TOPS",
    "days": "days", "months": "months", "years": "years", "jobs": "people", "new jobs": "people",
    "design wins": "projects", "design-wins": "projects", "design ins": "projects",
    "stores": "stores", "showrooms": "stores", "stations": "stations", "charging stations": "stations",
    "cities": "cities", "orders": "orders",
}
_NOUNS = "|".join(sorted(COUNT_NOUNS, key=len, reverse=True))
# numbers written as words: "two projects", "a dozen brands", "a million chips" ("a" only before a scale)
WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12, "dozen": 12, "twenty": 20, "thirty": 30,
                "fifty": 50, "a hundred": 100, "hundred": 100, "a": 1}
WORD_NUMBER = (r"(?:a dozen|a hundred|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty"
               r"|a(?=\s(?:trillion|billion|million|thousand)\b))")
# "17 automotive OEMs", "16,788,321 newly issued ordinary shares", "10 vehicle programs" (the last noun counts)
COUNT = re.compile(
    rf"(?<![\w.$€£¥])(?P<number>{NUMBER}|(?<![\w-]){WORD_NUMBER}(?![\w-]))(?:\s?(?P<scale>trillion|billion|million|thousand)(?![\w]))?\+?"
    rf"(?P<between>(?:[\s-]+[a-z][a-z-]*){{0,3}}?)\s+(?P<noun>{_NOUNS})\b(?![\s-]+(?:{_NOUNS})\b)",
    re.IGNORECASE)
BARE_SCALED = re.compile(rf"(?<![\w.$€£¥])(?P<number>{NUMBER})\s?(?P<scale>trillion|billion|million|thousand)\b",
                         re.IGNORECASE)
COMPARED_NUMBER = re.compile(rf"\b(?:up|down|increased|decreased|rose|fell|grew|compared|versus|vs\.?) (?:from|with|to)?\s*"
                             rf"(?P<number>\d{{1,3}}(?:,\d{{3}})+|\d+)(?![\d.,%]|\s?(?:{SCALE}|{CURRENCY_SUFFIX})\b)", re.IGNORECASE)
CHINESE_AMOUNT = re.compile(rf"(?P<prefix>人民幣|人民币|美元|港元|US\$|\$|RMB)?\s*(?P<number>{NUMBER})\s*"
                            r"(?P<scale>萬億|万亿|億|亿|萬|万|千)?\s*(?P<unit>美元|港元|元|輛|辆|台|套|家|個|个|名|項|项|%|％)")
CHINESE_SCALES = {"萬億": 10**12, "万亿": 10**12, "億": 10**8, "亿": 10**8, "萬": 10**4, "万": 10**4, "千": 10**3}
CHINESE_UNITS = {"美元": "USD", "港元": "HKD", "元": "CNY", "人民幣": "CNY", "人民币": "CNY", "輛": "vehicles",
                 "辆": "vehicles", "台": "units", "套": "units", "家": "customers", "個": "units", "个": "units",
                 "名": "employees", "項": "projects", "项": "projects", "%": "percent", "％": "percent"}

QUALIFIERS = [  # words written before an amount -> the vocabulary's qualifier
    (r"more than|over|above|exceeding|in excess of|upwards of|surpass(?:ed|ing)?", "over"),
    (r"less than|under|below|fewer than", "under"),
    (r"approximately|approx\.|about|around|roughly|some|an estimated|~", "about"),
    (r"nearly|almost", "nearly"),
    (r"close to", "close_to"),
    (r"at least|no less than|a minimum of", "at_least"),
    (r"at most|no more than|a maximum of", "at_most"),
    (r"up to", "up_to"),
    (r"超過|超过|逾", "over"), (r"約|约|近", "about"), (r"至少", "at_least"),
]
QUALIFIER_BEFORE = [(re.compile(rf"(?<![A-Za-z])(?:{words})\s*(?:a total of\s+|the\s+)?$", re.IGNORECASE), name)
                    for words, name in QUALIFIERS]
QUALIFIER_AFTER = [(re.compile(r"^\s*(?:at least|or more|and above|plus)\b|^\+", re.IGNORECASE), "at_least"),
                   (re.compile(r"^\s*(?:at most|or less|or fewer)\b", re.IGNORECASE), "at_most"),
                   (re.compile(r"^\s*(?:or so)\b", re.IGNORECASE), "about")]
# "improved by RMB14 million", "increased by $3 million": the size of a change, not a level
DELTA_BEFORE = re.compile(r"\b(?:improved|increased|decreased|grew|rose|fell|declined|dropped|narrowed|widened|"
                          r"reduced|up|down|higher|lower)\s+(?:by\s+)?(?:about\s+|approximately\s+|nearly\s+)?$"
                          r"|\b(?:an? )?(?:increase|decrease|improvement|reduction|decline) of\s+$|\bby\s+[+-]$|[+-]$", re.IGNORECASE)
DECREASE = re.compile(r"\b(?:down|decrease[sd]?|decreasing|decline[sd]?|declining|fell|fall(?:ing|s)?|drop(?:ped|s)?|"
                      r"lower|reduced?|reducing|reduction|cut|shr[au]nk|contract(?:ed|ion)|negative)\b|下降|減少|减少|下滑|降低|年減|年减|季減|季减",
                      re.IGNORECASE)
INCREASE = re.compile(r"\b(?:up|increase[sd]?|increasing|grew|grow(?:th|ing|s)?|rose|rise[sn]?|rising|higher|gain(?:ed|s)?|"
                      r"climb(?:ed|ing|s)?|jump(?:ed|s)?|surge[sd]?|improve(?:d|ment|s)?|expan(?:ded|sion))\b|增長|增长|成長|成长|增加",
                      re.IGNORECASE)
YEAR_OVER_YEAR = re.compile(r"\b(?:year[- ]over[- ]year|year[- ]on[- ]year|YoY|y/y|from a year (?:earlier|ago)|"
                            r"(?:over|from|versus|vs\.?|compared (?:to|with)) (?:the )?(?:prior|previous|last) year|"
                            r"(?:compared (?:to|with)|versus|vs\.?|over) (?:the )?(?:same (?:period|quarter) (?:of )?last year|a year (?:earlier|ago))|"
                            r"annual(?:ly)?)\b|年增|年減|年减|同比|年成長|年成长|較去年|较去年", re.IGNORECASE)
SEQUENTIAL = re.compile(r"\b(?:sequential(?:ly)?|quarter[- ]over[- ]quarter|quarter[- ]on[- ]quarter|QoQ|q/q|"
                        r"(?:compared (?:to|with)|versus|vs\.?|from|over) (?:the )?(?:previous|prior|preceding|last) quarter)\b|環比|环比|季增|季減|季减|較上一?季|较上一?季",
                        re.IGNORECASE)


CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Amount:
    """A quantity written in a sentence, normalised: {amount, unit, qualifier}."""

    text: str
    start: int
    end: int
    amount: float | int
    unit: str
    qualifier: str | None = None
    kind: str = "count"            # money, percent, count
    change: str | None = None      # yoy, qoq or delta (no period) when the sentence presents it as a change
    noun: str | None = None        # the count noun as written ("OEMs")
    range: bool = False            # one end of a range ("from $200 ... to $3,000", "three to four years")
    words: bool = False            # written in words ("two projects", "a million chips")

    def quantity(self, negate=False):
        value = {"amount": -self.amount if negate else self.amount, "unit": self.unit}
        if self.qualifier:
            value["qualifier"] = self.qualifier
        return value


def find_amounts(sentence, skip=(), language="en"):
    """Every amount in `sentence`, in order; `skip` holds (start, end) spans of names and dates."""
    found = []
    if language == "zh":
        found.extend(_chinese_amounts(sentence))
    found.extend(_money(sentence))
    found.extend(_percentages(sentence))
    found.extend(_counts(sentence))
    found = [a for a in found if not any(a.start < end and start < a.end for start, end in skip)]
    found = _without_overlaps(found)
    return [_with_context(sentence, a, found) for a in found]


def _money(sentence):
    for match in MONEY.finditer(sentence):
        number = match["number"] or match["number2"]
        scale = match["scale"] or match["scale2"]
        currency = (match["prefix"] or match["suffix"]).strip()
        if match["number2"] and _is_year(number) and not scale:
            continue
        unit = CURRENCY_WORDS.get(currency.lower(), currency)
        try:
            quantity = vocabulary.parse_quantity(f"{number} {scale or ''} {_unit_code(unit)}")
        except TimelineError:
            continue
        amount = -quantity["amount"] if match["neg"] else quantity["amount"]  # "$(0.04)" is negative
        yield Amount(match.group().strip(), match.start(), match.start() + len(match.group().strip()),
                     amount, quantity["unit"], kind="money")


def _unit_code(unit):
    """The vocabulary's unit for a written currency ("$" -> USD)."""
    try:
        return vocabulary.normalise_unit(unit)
    except TimelineError:
        return unit.upper()


def _percentages(sentence):
    for match in PERCENT.finditer(sentence):
        if match["bps"]:  # "90 basis points" is 0.9 percentage points
            yield Amount(match.group(), match.start(), match.end(), _tidy(_number(match["bps"]) / 100), "percentage_points",
                         kind="percent")
            continue
        if match["points"]:
            yield Amount(match.group(), match.start(), match.end(), _number(match["points"]), "percentage_points",
                         kind="percent")
            continue
        qualifier = "about" if match["ish"] else None
        yield Amount(match.group(), match.start(), match.end(), _number(match["number"]), "percent", qualifier,
                     kind="percent")


def _counts(sentence):
    for match in COUNT.finditer(sentence):
        number = match["number"]
        if _is_year(number) and not match["scale"]:
            continue
        if re.search(r"\b(?:top|Top|first|last|next|past)\s+$", sentence[:match.start()]):
            continue  # "top 10 OEMs", "the past 3 years": a rank or a span, not a count
        noun = match["noun"]
        words = not number[0].isdigit()
        if words and number.lower() == "one" and not match["scale"] and re.match(r"\s+of\b", sentence[match.end("number"):]):
            continue
        amount = (WORD_NUMBERS[number.lower()] if words else _number(number)) * _scale(match["scale"])
        yield Amount(match.group(), match.start(), match.end(), _tidy(amount), COUNT_NOUNS[noun.lower()],
                     kind="count", noun=noun, words=words)
    for match in COMPARED_NUMBER.finditer(sentence):
        # "up from 160,000 in 2020": a count whose noun is the compared figure's; the caller gives the unit
        if not _is_year(match["number"]):
            yield Amount(match["number"], match.start("number"), match.end("number"), _tidy(_number(match["number"])), "",
                         kind="count")
    for match in BARE_SCALED.finditer(sentence):
        # "12 million" with no noun: the caller gives it the unit its metric implies
        yield Amount(match.group(), match.start(), match.end(), _tidy(_number(match["number"]) * _scale(match["scale"])),
                     "", kind="count")


def _chinese_amounts(sentence):
    for match in CHINESE_AMOUNT.finditer(sentence):
        unit = CHINESE_UNITS.get(match["prefix"] or "", None) if match["prefix"] in ("美元", "港元") else None
        unit = unit or CHINESE_UNITS.get(match["unit"])
        amount = _tidy(_number(match["number"]) * CHINESE_SCALES.get(match["scale"] or "", 1))
        kind = "percent" if unit == "percent" else "money" if unit in ("USD", "CNY", "HKD") else "count"
        text = match.group().strip()
        yield Amount(text, match.start() + match.group().index(text), match.start() + match.group().index(text) + len(text),
                     amount, unit, kind=kind)


def _number(text):
    if text.lower() in WORD_NUMBERS:
        return WORD_NUMBERS[text.lower()]
    digits = text.replace(",", "")
    return float(digits) if "." in digits else int(digits)


def _scale(word):
    if not word:
        return 1
    return vocabulary.load()["units"]["scales"][word.lower()]


def _tidy(amount):
    if isinstance(amount, float):
        amount = round(amount, 6)
        if amount.is_integer():
            return int(amount)
    return amount


def _is_year(number):
    return re.fullmatch(r"(?:19|20)\d\d", number) is not None


def _without_overlaps(amounts):
    """Money beats a bare count of the same digits; the longest reading wins otherwise."""
    rank = {"money": 0, "percent": 1, "count": 2}
    chosen = []
    for amount in sorted(amounts, key=lambda a: (rank[a.kind], not a.unit, -(a.end - a.start), a.start)):
        if all(amount.end <= other.start or amount.start >= other.end for other in chosen):
            chosen.append(amount)
    return sorted(chosen, key=lambda a: a.start)


def _with_context(sentence, amount, all_amounts):
    """The qualifier before an amount and, for percentages, whether it is a change and of what."""
    before = sentence[max(0, amount.start - 30):amount.start]
    qualifier = amount.qualifier
    for pattern, name in QUALIFIER_BEFORE:
        if pattern.search(before):
            qualifier = name
            break
    if qualifier is None and "+" in amount.text:
        qualifier = "at_least"  # "400+ TOPS"
    if qualifier is None:
        for pattern, name in QUALIFIER_AFTER:
            if pattern.search(sentence[amount.end:amount.end + 15]):
                qualifier = name
                break
    change = None
    if amount.kind == "percent":
        change = _change_period(sentence, amount, all_amounts)
    elif amount.kind == "money" and DELTA_BEFORE.search(sentence[max(0, amount.start - 40):amount.start]):
        change = _change_period(sentence, amount, all_amounts) or "delta"
    return Amount(amount.text, amount.start, amount.end, amount.amount, amount.unit, qualifier, amount.kind,
                  change, amount.noun, _in_range(sentence, amount, all_amounts), amount.words)


RANGE_BETWEEN = re.compile(r"^\s*(?:to|-|–|—)\s*(?:up to\s+|as (?:much|many) as\s+)?$", re.IGNORECASE)
RANGE_FROM = re.compile(r"\b(?:from|between|ranges? from|ranging from)\s+\S*\s*$", re.IGNORECASE)
RANGE_WORDS = re.compile(r"(?<![\w-])(?:one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?:to|-|–)\s+"
                         r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d+)\s+\w+", re.IGNORECASE)


def _in_range(sentence, amount, all_amounts):
    """Whether an amount is one end of a range: "$200 to $3,000", "from $200 for small cars to up to
    $3,000", "three to four years" (a range is never one value)."""
    for other in all_amounts:
        if other is amount or other.kind != amount.kind:
            continue
        first, second = (amount, other) if amount.start < other.start else (other, amount)
        between = sentence[first.end:second.start]
        if RANGE_BETWEEN.match(between):
            return True
        if len(between) <= 80 and RANGE_FROM.search(sentence[max(0, first.start - 20):first.start]) and \
                re.search(r"\b(?:to|and)\s+(?:up to\s+)?$", between, re.IGNORECASE):
            return True
    window = sentence[max(0, amount.start - 20):amount.end + 20]
    return any(m.start() <= amount.start - max(0, amount.start - 20) < m.end() or
               m.start() < amount.end - max(0, amount.start - 20) <= m.end() for m in RANGE_WORDS.finditer(window))


def _change_period(sentence, amount, all_amounts):
    """'yoy' / 'qoq' when a percentage is a change: "up 10% year-over-year", "a 7% increase sequentially".

    The comparison words between the amount and the next amount decide; only a list
    ending in "respectively" ("up 6% and 30% year-over-year, respectively") shares the
    comparison written after its last item.
    """
    # Chinese writes the comparison first: "年增 31%", "較上一季下降 2%"
    chinese_before = re.split(r"[,，;；。:：]", sentence[max(0, amount.start - 12):amount.start])[-1]
    found = _comparison(chinese_before) if CJK.search(chinese_before) else None
    if found:
        return found
    following = [a for a in all_amounts if a.start >= amount.end]
    stop = following[0].start if following else len(sentence)
    after = sentence[amount.end:min(stop, amount.end + 80)]
    if not _comparison(after) and following and "respectively" in sentence[amount.end:amount.end + 120]:
        after = sentence[amount.end:amount.end + 120]
    found = _comparison(after)
    if found:
        return found
    before = sentence[max(0, amount.start - 25):amount.start]
    return "yoy" if YEAR_OVER_YEAR.search(before) else None


def _comparison(text):
    yearly, sequential = YEAR_OVER_YEAR.search(text), SEQUENTIAL.search(text)
    if yearly and (not sequential or yearly.start() < sequential.start()):
        return "yoy"
    return "qoq" if sequential else None


def is_decrease(sentence, amount):
    """Whether the words nearest before (or just after) a change say it went down."""
    before = sentence[max(0, amount.start - 40):amount.start]
    after = sentence[amount.end:amount.end + 15]
    words_before = [(m.end(), "down") for m in DECREASE.finditer(before)] + [(m.end(), "up") for m in INCREASE.finditer(before)]
    if words_before:
        return max(words_before)[1] == "down"
    return bool(DECREASE.match(after.strip())) or bool(re.match(r"\s*(?:decrease|decline|drop|reduction)", after))
