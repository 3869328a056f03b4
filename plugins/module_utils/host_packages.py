"""Distribution packages (dpkg and rpm) of the wanted products, and the fixes their changelogs name.

dpkg's status file and each Debian changelog are read bounded (the changelog before and after
decompression); rpm is only queried (``rpm -qa``, ``rpm -q --changelog``). A changelog that
cannot be read leaves as None (unknown), never as an empty list (no fixes): a backport nobody
saw is no evidence either way.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.host_files import (
    Skipped,
    incomplete,
    read_regular,
    run,
)
from ansible_collections.scs.patchcheck.plugins.module_utils.products import product_key

CVE_TEXT = re.compile(r"CVE-\d{4}-\d{4,}")
MAX_CHANGELOG_BYTES = 16 * 1024 * 1024
MAX_DPKG_STATUS_BYTES = 256 * 1024 * 1024


def distribution_key(source: str) -> str:
    """Distribution source package -> product key: python-oslo.messaging -> oslo-messaging."""
    key = product_key(source)
    for prefix in ("python3-", "python-", "openstack-"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


def dpkg_packages(wanted: set[str], gaps: list[dict[str, str]], root: str = "/") -> list[dict[str, Any]]:
    status_file = os.path.join(root, "var/lib/dpkg/status")
    if not os.path.lexists(status_file):
        return []
    try:
        text = read_regular(status_file, MAX_DPKG_STATUS_BYTES).decode("utf-8", errors="replace")
    except Skipped as exc:
        incomplete(gaps, "packages", status_file, str(exc))
        return []
    packages = []
    for stanza in text.split("\n\n"):
        fields = dict_of_stanza(stanza)
        if "install ok installed" not in fields.get("Status", ""):
            continue
        name = fields.get("Package", "")
        source = fields.get("Source", name).split(" ")[0]
        key = distribution_key(source)
        if key not in wanted:
            key = distribution_key(name)
            if key not in wanted:
                continue
        text = debian_changelog(os.path.join(root, "usr/share/doc", name, "changelog.Debian.gz"))
        packages.append(
            {
                "manager": "dpkg",
                "name": name,
                "source": source,
                "product": key,
                "version": fields.get("Version", ""),
                "architecture": fields.get("Architecture"),
                "changelog_cves": None if text is None else sorted(set(CVE_TEXT.findall(text))),
                "changelog_refs": changelog_references(text, DEBIAN_ENTRY),
            }
        )
    return packages


def dict_of_stanza(stanza: str) -> dict[str, str]:
    fields = {}
    for line in stanza.splitlines():
        if line and not line[0].isspace() and ":" in line:
            field, _colon, value = line.partition(":")
            fields[field] = value.strip()
    return fields


#: What a changelog may name as a fix: CVE ids and OpenStack's own advisory and note ids.
FIX_REFERENCE = re.compile(r"CVE-\d{4}-\d{4,}(?!\d)|OSSA-\d{4}-\d{3}(?![\d-])|OSSN-\d{4}(?![\d-])")
#: Debian's entry header ``pkg (version) dist; urgency``; RPM's ``* Day Mon DD YYYY Name <mail> - version``.
DEBIAN_ENTRY = re.compile(r"^[a-z0-9][a-z0-9+.-]* \(([^)\s]+)\)")
RPM_ENTRY = re.compile(r"^\* .*? - ((?:\d+:)?[^\s]+)\s*$")
MAX_REFERENCES = 500


def debian_changelog(path: str) -> str | None:
    """A Debian changelog's text (bounded before and after decompression); None when unreadable."""
    try:
        compressed = read_regular(path, MAX_CHANGELOG_BYTES)
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as handle:
            data = handle.read(MAX_CHANGELOG_BYTES)
    except (Skipped, OSError, EOFError):
        return None
    return data.decode("utf-8", errors="replace")


def changelog_references(text: str | None, entry: re.Pattern[str]) -> dict[str, dict[str, str]] | None:
    """Each CVE, OSSA and OSSN id a changelog names: the first (newest) line and the version of its entry.

    A distribution often names the advisory or note rather than the CVE ("OSSN-0101: ...
    Applied upstream patch"): both count as backport evidence, and the verdict quotes the line.
    """
    if text is None:
        return None
    references: dict[str, dict[str, str]] = {}
    version = ""
    for line in text.splitlines():
        header = entry.match(line)
        if header:
            version = header.group(1)
            continue
        for found in FIX_REFERENCE.findall(line):
            if found not in references and len(references) < MAX_REFERENCES:
                references[found] = {"version": version, "line": " ".join(line.split())[:200]}
    return references


def rpm_packages(wanted: set[str], errors: list[str]) -> list[dict[str, Any]]:
    rpm = shutil.which("rpm")
    if not rpm:
        return []
    query = run([rpm, "-qa", "--qf", r"%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{SOURCERPM}\n"], errors)
    packages = []
    for line in (query or "").splitlines():
        parts = line.split("\t")
        if len(parts) != 5:
            continue
        name, epoch, version, release, source_rpm = parts
        source = re.sub(r"-[^-]+-[^-]+\.src\.rpm$", "", source_rpm) or name
        key = distribution_key(source)
        if key not in wanted:
            key = distribution_key(name)
            if key not in wanted:
                continue
        changelog = run([rpm, "-q", "--changelog", name], errors)
        packages.append(
            {
                "manager": "rpm",
                "name": name,
                "source": source,
                "product": key,
                "version": f"{epoch}:{version}-{release}"
                if epoch not in ("", "0")
                else f"{version}-{release}",
                "changelog_cves": sorted(set(CVE_TEXT.findall(changelog))) if changelog is not None else None,
                "changelog_refs": changelog_references(changelog, RPM_ENTRY),
            }
        )
    return packages
