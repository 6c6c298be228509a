"""Hints for the mistakes new users make, where the plain message would not say what to fix.

``tomllib`` reports a decimal comma (``coverage = 0,5``) or an impossible date
(``start = 2024-13-01``) as a bare syntax error; these functions look at the offending line and
say what is wrong in the user's terms. Each returns ``(key, problem, fix)`` or ``None``.
"""
from __future__ import annotations

import calendar
import re

_KEY = r"(?P<key>[A-Za-z0-9_\-\"'. ]+?)\s*=\s*"
_COMMA = re.compile(_KEY + r"(?P<value>[+-]?\d+,\d+)\s*(?:#.*)?$")
_DATE = re.compile(_KEY + r"(?P<value>(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2}))(?![\d:])")


_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")


def syntax_hint(text: str, line_no: int) -> tuple[str, str, str] | None:
    """A hint for a TOML syntax error on line ``line_no`` (1-based) of ``text``, when it is one of
    the known mistakes; the key path includes the enclosing [table]."""
    lines = text.splitlines()
    if not 1 <= line_no <= len(lines):
        return None
    line = lines[line_no - 1].strip()
    table = next((m.group(1).replace('"', "") for m in map(_TABLE.match, reversed(lines[:line_no - 1])) if m), "")

    def where(key: str) -> str:
        key = key.strip("\"' ")
        return f"{table}.{key}" if table else key

    m = _COMMA.match(line)
    if m:
        value = m["value"]
        return (where(m["key"]), f"'{value}' has a decimal comma (line {line_no}); TOML numbers take a decimal point",
                f"decimal comma: write {value.replace(',', '.')}")
    m = _DATE.match(line)
    if m:
        hint = date_hint(m["value"], int(m["y"]), int(m["m"]), int(m["d"]))
        return (where(m["key"]), f"{hint[0]} (line {line_no})", hint[1]) if hint else None
    return None


def date_hint(text: str, year: int, month: int, day: int) -> tuple[str, str] | None:
    """Which part of a date written as YYYY-MM-DD is impossible (or that it needs two digits)."""
    fix = "write a date as YYYY-MM-DD with two-digit month and day, e.g. 2024-09-01 (no quotes)"
    if not 1 <= month <= 12:
        return f"'{text}' is not a date: month {month} does not exist (months are 01-12)", fix
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"'{text}' is not a date: {calendar.month_name[month]} {year} has days 01-{last:02d}, not {day}", fix
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return f"'{text}' is not a TOML date: month and day need two digits", fix
    return None
