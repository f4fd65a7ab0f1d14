"""The one source of time in OpenMASH.

Every "now" in the domain comes from `now()`: aware, in UTC. Tests and the demo seeder move time with
`frozen()` / `travel()`, which are context-local so that concurrent requests are unaffected.
Display conversion to Europe/London happens only at the edges (templates, API serialisation).
"""

import contextlib
import contextvars
import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
LONDON = ZoneInfo("Europe/London")

_fixed: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("openmash_clock", default=None)


def now() -> dt.datetime:
    fixed = _fixed.get()
    if fixed is not None:
        return fixed
    return dt.datetime.now(UTC)


@contextlib.contextmanager
def frozen(at: dt.datetime):
    """Make `now()` return `at` (aware) inside the block."""
    if at.tzinfo is None:
        raise ValueError("clock.frozen needs an aware datetime")
    token = _fixed.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _fixed.reset(token)


def set_frozen(at: dt.datetime | None):
    """Freeze (or with None, release) the clock until changed again; for tests that span calls."""
    _fixed.set(at.astimezone(UTC) if at is not None else None)


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(LONDON)


def local_today() -> dt.date:
    return to_local(now()).date()


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in Europe/London, as an aware UTC time (a day is 23 or 25 hours at the clock changes)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON).astimezone(UTC)
