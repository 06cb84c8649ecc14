"""Quotes: the sentence itself, or the clause carrying the fact when the sentence is too long.

A quote is always a contiguous, verbatim piece of the sentence (and so of the
document): trimming picks whole clauses (cut at commas, semicolons, colons and
dashes) and never edits the words.
"""
import re
from functools import lru_cache

MAX_QUOTE = 300  # validation.MAX_QUOTE; kept here so the drafter does not import validation for a number
CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+[–—]\s+|\s+-\s+|\s+\(")


@lru_cache(maxsize=64)
def clause_bounds(sentence):
    """Positions where a clause may start and where one may end."""
    starts, ends = {0}, {len(sentence)}
    for match in CLAUSE_BREAK.finditer(sentence):
        ends.add(match.start())
        starts.add(match.end() - (1 if match.group().endswith("(") else 0))
    return tuple(sorted(starts)), tuple(sorted(ends))


def trim(sentence, keep, limit=MAX_QUOTE, tight=False):
    """(start, end) of the shortest run of whole clauses covering every (start, end) in `keep`,
    or None when no run of clauses that short covers them; the whole sentence when it fits,
    unless `tight` (a sentence stating several facts quotes each fact's clauses)."""
    if len(sentence) <= limit and not tight:
        return 0, len(sentence)
    if not keep:
        return None
    low, high = min(s for s, _ in keep), max(e for _, e in keep)
    starts, ends = clause_bounds(sentence)
    start = max(s for s in starts if s <= low)
    end = min(e for e in ends if e >= high)
    if end - start <= limit:
        return start, end
    return None


def window(sentence, keep, limit=MAX_QUOTE):
    """The last resort for a clause longer than `limit`: whole words around the kept spans."""
    low, high = min(s for s, _ in keep), max(e for _, e in keep)
    if high - low > limit:
        high = low + limit
    slack = limit - (high - low)
    start = max(0, low - slack // 2)
    end = min(len(sentence), start + limit)
    while start > 0 and not sentence[start - 1].isspace() and start < low:
        start += 1
    while end < len(sentence) and end > high and not sentence[end].isspace():
        end -= 1
    return start, end


def fit(sentence, required, optional, limit=MAX_QUOTE, tight=False):
    """(start, end, kept optional spans): the quote covering `required` and as many `optional`
    spans as fit, nearest first."""
    optional = sorted(optional, key=lambda span: _distance(span, required))
    for count in range(len(optional), -1, -1):
        bounds = trim(sentence, required + optional[:count], limit, tight)
        if bounds:
            return (*bounds, optional[:count])
    start, end = window(sentence, required, limit)
    return start, end, [s for s in optional if start <= s[0] and s[1] <= end]


def _distance(span, required):
    if not required:
        return 0
    low, high = min(s for s, _ in required), max(e for _, e in required)
    return max(0, low - span[1], span[0] - high)
