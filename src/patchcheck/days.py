"""Days and moments from outside: bounded, so that arithmetic on them holds and none lies ahead.

The days a user may name (``--reference-date``, ``--date``, ``--since``): deadlines are a
reference day plus up to a few years, staleness a moment minus days, and on 9999-12-31 that
arithmetic leaves what ``datetime`` can hold (OverflowError, an internal error). No compliance
question is asked about the year 9000 or before 1970, so days outside these bounds are a usage
error naming the argument.

The moment a facts file says it was gathered: a collector's clock may run a few minutes
ahead of the judge's (``MAX_CLOCK_SKEW``), not more.
"""

from __future__ import annotations

import datetime as dt

EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(9000, 1, 1)


def bounded_day(text: str) -> dt.date:
    """The day ``YYYY-MM-DD`` names; ValueError with a sentence when it is no day or out of bounds."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{day.isoformat()} is outside {EARLIEST.isoformat()} .. {LATEST.isoformat()}")
    return day


#: How far a collector's clock may run ahead of the judge's before its facts are refused.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)


def collected_moment(text: str) -> dt.datetime | None:
    """A facts file's ``collected_at`` as an aware moment (no offset: UTC), or None when it is no time."""
    try:
        moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
