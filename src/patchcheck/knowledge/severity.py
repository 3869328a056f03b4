"""Severity bands and patch deadlines of scs-0124.

scs-0124 sets the deadline by CVSS band, counted from public disclosure:
critical (9.0-10.0) 3 hours, high (7.0-8.9) 3 days, medium (4.0-6.9) 1 month,
low (0.1-3.9) 3 months. An advisory's severity is the highest CVSS among its
CVEs. Advisories publish a day, not a time, so disclosure is taken as 00:00 UTC
of that day: the earliest moment it can have been, and so the strictest deadline.

An advisory with no score at all gets ``DEFAULT_UNSCORED_BAND`` (high, 3 days):
the OpenStack VMT issues an advisory only for a vulnerability it judged worth
one, so treating it as low (3 months) could hide a real emergency, while
critical (3 hours) for every unscored note would cry wolf. Operators can choose
another band with ``--unscored-severity``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

BANDS = ("critical", "high", "medium", "low")
DEFAULT_UNSCORED_BAND = "high"


def band_for(score: float) -> str | None:
    """The scs-0124 band of a CVSS base score; None for 0.0 (no severity)."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0.0:
        return "low"
    return None


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def disclosure_moment(disclosed: dt.date) -> dt.datetime:
    return dt.datetime(disclosed.year, disclosed.month, disclosed.day, tzinfo=dt.UTC)


def deadline(disclosed: dt.date, band: str) -> dt.datetime:
    """When the fix must be integrated, as scs-0124 counts it."""
    start = disclosure_moment(disclosed)
    if band == "critical":
        return start + dt.timedelta(hours=3)
    if band == "high":
        return start + dt.timedelta(days=3)
    if band == "medium":
        return add_months(start, 1)
    if band == "low":
        return add_months(start, 3)
    raise ValueError(f"unknown severity band {band!r}")


@dataclass(frozen=True)
class Severity:
    """The score that sets an advisory's band, and where it came from."""

    band: str
    score: float | None
    cve: str | None
    cvss_version: str | None
    vector: str | None
    source: str

    def to_json(self) -> dict[str, object]:
        return {
            "band": self.band,
            "score": self.score,
            "cve": self.cve,
            "cvss_version": self.cvss_version,
            "vector": self.vector,
            "source": self.source,
        }
