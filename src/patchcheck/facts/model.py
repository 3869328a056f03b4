"""Typed views of validated facts, so the judge reads names, not dictionary keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class VersionInfo:
    """One entry of a version document: an API version and its microversion range."""

    id: str
    status: str
    max_version: str | None
    min_version: str | None


@dataclass(frozen=True)
class Endpoint:
    """One fetched version document and the catalog entries that point at it."""

    version_url: str
    service_types: tuple[str, ...]
    interface: str
    region: str | None
    http_status: int | None
    error: str | None
    versions: tuple[VersionInfo, ...]
    tls: dict[str, Any] | None

    @property
    def answered(self) -> bool:
        """A version document was read: the endpoint is evidence, not a gap."""
        return self.error is None and self.http_status is not None and self.http_status < 400


@dataclass(frozen=True)
class TenantFacts:
    """What the tenant collector saw of one cloud."""

    path: str
    cloud: str
    collected_at: str
    collector_version: str
    auth_ok: bool
    auth_url: str | None
    auth_error: str | None
    endpoints: tuple[Endpoint, ...]
    errors: tuple[str, ...]
    raw: dict[str, Any]

    @classmethod
    def from_document(cls, path: str, document: dict[str, Any]) -> TenantFacts:
        endpoints = tuple(
            Endpoint(
                version_url=entry["version_url"],
                service_types=tuple(entry["service_types"]),
                interface=entry["interface"],
                region=entry["region"],
                http_status=entry["http_status"],
                error=entry["error"],
                versions=tuple(
                    VersionInfo(
                        id=version["id"],
                        status=version["status"],
                        max_version=version.get("version") or None,
                        min_version=version.get("min_version") or None,
                    )
                    for version in entry["versions"]
                ),
                tls=entry.get("tls"),
            )
            for entry in document["endpoints"]
        )
        return cls(
            path=path,
            cloud=document["cloud"],
            collected_at=document["collected_at"],
            collector_version=document["collector"]["version"],
            auth_ok=document["auth"]["ok"],
            auth_url=document["auth"]["auth_url"],
            auth_error=document["auth"]["error"],
            endpoints=endpoints,
            errors=tuple(document["errors"]),
            raw=document,
        )
