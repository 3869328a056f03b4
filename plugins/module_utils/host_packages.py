"""Distribution packages (dpkg and rpm): the wanted products with the fixes their changelogs name, and
every installed package (``system_packages``, for scs-0124's dependency clause) from the same read.

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
#: dpkg's database of what is installed, under the root gathered.
DPKG_STATUS = "var/lib/dpkg/status"


def distribution_key(source: str) -> str:
    """Distribution source package -> product key: python-oslo.messaging -> oslo-messaging."""
    key = product_key(source)
    for prefix in ("python3-", "python-", "openstack-"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


def read_dpkg(
    wanted: set[str], gaps: list[dict[str, str]], root: str = "/"
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The wanted packages (with changelogs) and every installed package, from one read of dpkg's status.

    The second is the facts' ``system_packages`` (scs-0124's dependency clause: every package, not
    only OpenStack's); None when there is no status file or it cannot be read (then a gap). ``root``
    is the tree gathered (a container's merged layer): nothing is read through a link out of it.
    """
    status_file = os.path.join(root, DPKG_STATUS)
    if not os.path.lexists(status_file):
        return [], None
    try:
        text = read_regular(status_file, MAX_DPKG_STATUS_BYTES, root).decode("utf-8", errors="replace")
    except Skipped as exc:
        incomplete(gaps, "packages", status_file, str(exc))
        return [], None
    packages = []
    installed = []
    for stanza in text.split("\n\n"):
        fields = dict_of_stanza(stanza)
        if not is_installed(fields.get("Status", "")):
            continue
        name = fields.get("Package", "")
        source, _space, source_version = fields.get("Source", name).partition(" ")
        installed.append(
            {
                "name": name,
                "version": fields.get("Version", ""),
                "source": source or name,
                "source_version": source_version.strip().strip("()").strip() or fields.get("Version", ""),
                "architecture": fields.get("Architecture"),
                "depends": relation_names(fields.get("Pre-Depends", ""), fields.get("Depends", "")),
                "provides": relation_names(fields.get("Provides", "")),
            }
        )
        key = distribution_key(source)
        if key not in wanted:
            key = distribution_key(name)
            if key not in wanted:
                continue
        text = debian_changelog(os.path.join(root, "usr/share/doc", name, "changelog.Debian.gz"), root)
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
    return packages, {"manager": "dpkg", "packages": installed}


def is_installed(status: str) -> bool:
    """dpkg's ``Status: want flag state``: installed and wanted so (``install`` or ``hold``), no error flag.

    A held package (``hold ok installed``) is as installed as any other; ``deinstall`` (about to be
    removed), ``half-installed``, ``unpacked`` or ``config-files`` are not counted, as dpkg -l's "ii"/"hi".
    """
    words = status.split()
    return (
        len(words) == 3 and words[0] in ("install", "hold") and words[1] == "ok" and words[2] == "installed"
    )


def relation_names(*fields: str) -> list[str]:
    """The package names of dpkg relation fields, each once: ``a (>= 1) | b:any, c [amd64]`` -> a, b, c.

    Version constraints, architecture qualifiers and restrictions are dropped; every alternative
    is listed, since any of them may be what is installed. Plain string operations: linear.
    """
    names: dict[str, None] = {}
    for field in fields:
        for relation in field.split(","):
            for alternative in relation.split("|"):
                name = alternative.strip().split(" ", 1)[0].split("(", 1)[0].split("[", 1)[0]
                name = name.split("<", 1)[0].split(":", 1)[0].strip()
                if name:
                    names[name] = None
    return list(names)


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


def debian_changelog(path: str, root: str | None = None) -> str | None:
    """A Debian changelog's text (bounded before and after decompression); None when unreadable."""
    try:
        compressed = read_regular(path, MAX_CHANGELOG_BYTES, root)
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


def read_rpm(wanted: set[str], errors: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The wanted packages (with their changelogs) and every installed package, from one ``rpm -qa``.

    The second is the facts' ``system_packages``; None when there is no rpm or the query failed
    (then an error). rpm answers no relation names here: ``depends`` and ``provides`` stay empty.
    """
    rpm = shutil.which("rpm")
    if not rpm:
        return [], None
    query = run(
        [rpm, "-qa", "--qf", r"%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\n"], errors
    )
    if query is None:
        return [], None
    packages = []
    installed = []
    for line in query.splitlines():
        found = rpm_package(line)
        if found is None:
            continue
        installed.append(found)
        name, source = found["name"], found["source"]
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
                "version": found["version"],
                "changelog_cves": sorted(set(CVE_TEXT.findall(changelog))) if changelog is not None else None,
                "changelog_refs": changelog_references(changelog, RPM_ENTRY),
            }
        )
    return packages, {"manager": "rpm", "packages": installed}


def rpm_package(line: str) -> dict[str, Any] | None:
    """One line of the ``rpm -qa`` query (name, epoch, version, release, arch, source rpm), or None.

    The source package's version is its file name's, with the binary's epoch (a source rpm's file
    name carries none); a package without a source rpm (``gpg-pubkey``) is its own source.
    """
    parts = line.split("\t")
    if len(parts) != 6:
        return None
    name, epoch, version, release, arch, source_rpm = parts
    prefix = f"{epoch}:" if epoch not in ("", "0") else ""
    source = source_rpm_parts(source_rpm)
    return {
        "name": name,
        "version": f"{prefix}{version}-{release}",
        "source": source[0] if source else name,
        "source_version": f"{prefix}{source[1]}-{source[2]}" if source else f"{prefix}{version}-{release}",
        "architecture": None if arch in ("", "(none)") else arch,
        "depends": [],
        "provides": [],
    }


def source_rpm_parts(file_name: str) -> tuple[str, str, str] | None:
    """``openstack-nova-29.0.1-1.el9.src.rpm`` -> (openstack-nova, 29.0.1, 1.el9); None for another shape.

    String operations, not a pattern: a name of many dashes costs linear time.
    """
    if not file_name.endswith(".src.rpm"):
        return None
    rest, _dash, release = file_name[: -len(".src.rpm")].rpartition("-")
    name, _dash, version = rest.rpartition("-")
    return (name, version, release) if name and version and release else None
