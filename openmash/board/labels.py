"""How a board labels things: agency chips, children's initials and ages, countdowns. Pure functions."""

import datetime as dt
import math

from openmash.core.formatting import age_on


def agency_short_names(codes: list[str]) -> dict[str, str]:
    """A chip's label for each agency code, unique among `codes`.

    1. A code of several words gives its initials (`health-acute` → HA, `youth-justice` → YJ), and
       keeps a word of one or two letters whole (`adult-mh` → AMH).
    2. A one-word code of up to 5 letters is itself in capitals (`csc` → CSC, `camhs` → CAMHS).
    3. A longer single word gives its first three letters (`police` → POL, `education` → EDU).
    4. Should two codes give the same label, both get more letters until they differ (or the whole code).
    """

    def label(code: str, extra: int) -> str:
        words = [w for w in code.replace("_", "-").split("-") if w]
        if not words:
            return code.upper()
        if len(words) > 1:
            # A short word is an abbreviation already (`adult-mh` → AMH).
            return "".join(w if len(w) <= 2 else w[: 1 + extra] for w in words).upper()
        word = words[0]
        return (word if len(word) <= 5 else word[: 3 + extra]).upper()

    result = {code: label(code, 0) for code in codes}
    for extra in range(1, 20):
        seen: dict[str, list[str]] = {}
        for code, text in result.items():
            seen.setdefault(text, []).append(code)
        clashes = [c for group in seen.values() if len(group) > 1 for c in group]
        if not clashes:
            break
        for code in clashes:
            result[code] = label(code, extra)
    return result


def child_label(given_name: str, family_name: str, date_of_birth: dt.date | None, today: dt.date) -> str:
    """`J.S. 8`; a baby's age in months (`M.C. 4m`) or weeks (`2w`); no age when not known."""
    initials = "".join(f"{part.strip()[0].upper()}." for part in (given_name, family_name) if part and part.strip())
    if date_of_birth is None or date_of_birth > today:
        return initials or "?"
    years = age_on(date_of_birth, today)
    if years >= 1:
        age = str(years)
    else:
        months = (today.year - date_of_birth.year) * 12 + today.month - date_of_birth.month - (today.day < date_of_birth.day)
        age = f"{months}m" if months >= 1 else f"{max((today - date_of_birth).days // 7, 0)}w"
    return f"{initials or '?'} {age}"


def countdown_text(due_at: dt.datetime | None, at: dt.datetime) -> str:
    """`3:12:09` before the due time, `overdue 0:12:40` after it — what the board's script shows too."""
    if due_at is None:
        return ""
    seconds = math.floor((due_at - at).total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    text = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"overdue {text}" if overdue else text
