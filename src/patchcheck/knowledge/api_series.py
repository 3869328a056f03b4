"""Which release series an API can be, from the maximum microversion it announces.

A tenant never sees patch levels, but each release adds microversions, so the
maximum a service announces bounds the series it runs. Stable branches add no
microversions, so a value identifies the set of series that shipped with it
(nova 2.100 is Epoxy or Flamingo). Values were measured on each series' first
release (see docs/testcases.md, "Release series from the API"); a value between two
measured ones is not a release (a development snapshot, a backport) and gives
"unknown", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchcheck.knowledge.series import SeriesTable

#: Canonical service type -> (series, maximum microversion at its first release), oldest first.
#: Source: the issue tracker's measurements, Wallaby..Gazpacho, and the local test clouds
#: (testbed/) for Hibiscus (nova 2.104, cinder 3.71, placement 1.39) and, with
#: ``--series caracal``, for Caracal (nova 2.96, cinder 3.71, placement 1.39).
MAX_MICROVERSION: dict[str, tuple[tuple[str, str], ...]] = {
    "compute": (
        ("wallaby", "2.88"),
        ("xena", "2.90"),
        ("yoga", "2.90"),
        ("zed", "2.93"),
        ("antelope", "2.95"),
        ("bobcat", "2.95"),
        ("caracal", "2.96"),
        ("dalmatian", "2.96"),
        ("epoxy", "2.100"),
        ("flamingo", "2.100"),
        ("gazpacho", "2.103"),
        ("hibiscus", "2.104"),
    ),
    "block-storage": (
        ("wallaby", "3.64"),
        ("xena", "3.66"),
        ("yoga", "3.68"),
        ("zed", "3.70"),
        ("antelope", "3.70"),
        ("bobcat", "3.70"),
        ("caracal", "3.71"),
        ("dalmatian", "3.71"),
        ("epoxy", "3.71"),
        ("flamingo", "3.71"),
        ("gazpacho", "3.71"),
        ("hibiscus", "3.71"),
    ),
    "placement": (
        ("wallaby", "1.36"),
        ("xena", "1.38"),
        ("yoga", "1.39"),
        ("zed", "1.39"),
        ("antelope", "1.39"),
        ("bobcat", "1.39"),
        ("caracal", "1.39"),
        ("dalmatian", "1.39"),
        ("epoxy", "1.39"),
        ("flamingo", "1.39"),
        ("gazpacho", "1.39"),
        ("hibiscus", "1.39"),
    ),
    "shared-file-system": (
        ("wallaby", "2.63"),
        ("xena", "2.65"),
        ("yoga", "2.70"),
        ("zed", "2.73"),
        ("antelope", "2.78"),
        ("bobcat", "2.82"),
        ("caracal", "2.85"),
        ("dalmatian", "2.87"),
        ("epoxy", "2.89"),
        ("flamingo", "2.91"),
        ("gazpacho", "2.95"),
    ),
}

#: Catalog types seen in the wild -> the canonical type used above (service-types-authority aliases).
SERVICE_TYPE_ALIASES = {
    "volume": "block-storage",
    "volumev2": "block-storage",
    "volumev3": "block-storage",
    "block-store": "block-storage",
    "sharev2": "shared-file-system",
    "share": "shared-file-system",
    "shared-file-system": "shared-file-system",
}

#: The project behind each canonical type, for messages an operator recognises.
PROJECT_OF = {
    "compute": "nova",
    "block-storage": "cinder",
    "placement": "placement",
    "shared-file-system": "manila",
    "identity": "keystone",
    "image": "glance",
    "network": "neutron",
    "object-store": "swift",
    "baremetal": "ironic",
    "load-balancer": "octavia",
}


def canonical_type(service_type: str) -> str:
    return SERVICE_TYPE_ALIASES.get(service_type, service_type)


def parse_microversion(text: str) -> tuple[int, int] | None:
    """``"2.100"`` -> ``(2, 100)``; microversions compare as integer pairs, not as decimals."""
    major, dot, minor = text.partition(".")
    if not dot or not major.isdigit() or not minor.isdigit():
        return None
    return int(major), int(minor)


@dataclass(frozen=True)
class SeriesEstimate:
    """The series a service can run, and why."""

    service_type: str
    max_version: str
    candidates: tuple[str, ...]
    basis: str

    @property
    def known(self) -> bool:
        return bool(self.candidates)


def estimate_series(service_type: str, max_version: str, table: SeriesTable) -> SeriesEstimate:
    """Candidate series for one service's maximum microversion; empty when unknown."""
    service_type = canonical_type(service_type)
    rows = MAX_MICROVERSION.get(service_type)
    value = parse_microversion(max_version)
    if rows is None:
        return SeriesEstimate(service_type, max_version, (), f"no microversion table for {service_type}")
    if value is None:
        return SeriesEstimate(service_type, max_version, (), f"{max_version!r} is not a microversion")
    measured = [(series, parse_microversion(v)) for series, v in rows]
    matching = tuple(series for series, v in measured if v == value)
    if matching:
        return SeriesEstimate(service_type, max_version, matching, f"max microversion {max_version}")
    oldest_series, oldest_value = measured[0]
    newest_series, newest_value = measured[-1]
    assert oldest_value is not None and newest_value is not None
    if value < oldest_value:
        older = tuple(s.name for s in table.older_than(oldest_series))
        return SeriesEstimate(
            service_type,
            max_version,
            older,
            f"max microversion {max_version} is below {oldest_series}'s {rows[0][1]}",
        )
    if value > newest_value:
        newer = tuple(s.name for s in table.newer_than(newest_series))
        return SeriesEstimate(
            service_type,
            max_version,
            newer,
            f"max microversion {max_version} is above {newest_series}'s {rows[-1][1]}",
        )
    return SeriesEstimate(
        service_type, max_version, (), f"max microversion {max_version} was never the maximum of a release"
    )
