"""What text may hold: control characters are refused on the way in and made visible on the way out.

A summary holding BEL or ESC would ring a curator's terminal, recolour it or
move its cursor when `timeline log` prints it, and XML (the Atom feed) cannot
carry it at all.  New text refuses C0 and C1 control characters (newline and
tab excepted) and the two non-characters U+FFFE and U+FFFF; text already in
an older log is printed with those characters as visible escapes.
"""
import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def control_character(text):
    """The first control character in `text`, or None."""
    found = CONTROL.search(text)
    return found.group() if found else None


def describe(character):
    return f"U+{ord(character):04X}"


def visible(text):
    """`text` with control characters shown as \\uXXXX escapes (valid inside a JSON string too)."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
