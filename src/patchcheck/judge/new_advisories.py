"""Newly published advisories that affect this deployment: a list, and an Atom feed beside it.

A nightly gatherer still meets a 3-hour deadline when the knowledge is updated hourly and the
facts it already has are matched against what is new: this needs no cloud access, only the
facts files and the advisory index in force. Newest first, with severity, deadline and time
left. The feed is plain Atom (RFC 4287) that any reader, or a chat bridge, can poll.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from patchcheck.facts import HostFacts, load_facts
from patchcheck.facts.load import expand_facts_paths
from patchcheck.judge.ossa_patched import describe_time
from patchcheck.knowledge.advisories import Advisory, AdvisoryIndex
from patchcheck.knowledge.sources import product_key

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class NewAdvisory:
    advisory: Advisory
    published: dt.date
    band: str
    deadline: dt.datetime | None
    affected: tuple[str, ...]
    """``host product version (source where)`` of every install it affects."""


def kept_hosts(facts_dirs: list[Path]) -> list[HostFacts]:
    """The host facts of the kept files and folders (tenant facts hold no installs)."""
    return [
        facts for path in expand_facts_paths(facts_dirs) if isinstance(facts := load_facts(path), HostFacts)
    ]


def installs_in_range(index: AdvisoryIndex, hosts: list[HostFacts], advisory: Advisory) -> list[str]:
    """``host product version (source where)`` of every kept install inside ``advisory``'s ranges."""
    return sorted(
        f"{host.host} {component.label}"
        for host in hosts
        for component in host.components
        if any(
            f.advisory.id == advisory.id
            for f in index.affecting_key(product_key(component.product), component.upstream)
        )
    )


def new_advisories(index: AdvisoryIndex, facts_dirs: list[Path], since: dt.date) -> list[NewAdvisory]:
    hosts = kept_hosts(facts_dirs)
    found = []
    for advisory in index.advisories:
        published = advisory.disclosure
        if published is None or published < since or not advisory.checkable:
            continue
        affected = installs_in_range(index, hosts, advisory)
        if affected:
            found.append(
                NewAdvisory(advisory, published, advisory.band(), advisory.deadline(), tuple(affected))
            )
    return sorted(found, key=lambda item: (item.published, item.advisory.id), reverse=True)


def lines(items: list[NewAdvisory], now: dt.datetime) -> list[str]:
    result = []
    for item in items:
        due = (
            f"due {item.deadline:%Y-%m-%d %H:%M} UTC, {describe_time(item.deadline, now)}"
            if item.deadline
            else "due date unknown"
        )
        result.append(
            f"{item.advisory.id} published {item.published} ({item.band}, {due}): {item.advisory.title}"
        )
        result += [f"  in its range: {install}" for install in item.affected]
    return result


def atom_feed(items: list[NewAdvisory], subject: str, now: dt.datetime) -> str:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"urn:patchcheck:{subject}:new-advisories"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"New OpenStack advisories affecting {subject}"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = now.isoformat(timespec="seconds")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "patchcheck"
    for item in items:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:patchcheck:{subject}:{item.advisory.id}"
        ET.SubElement(
            entry, f"{{{ATOM}}}title"
        ).text = f"{item.advisory.id} ({item.band}): {item.advisory.title}"
        published = dt.datetime(item.published.year, item.published.month, item.published.day, tzinfo=dt.UTC)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = published.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}link", href=item.advisory.url)
        due = (
            f"due {item.deadline:%Y-%m-%d %H:%M} UTC, {describe_time(item.deadline, now)}"
            if item.deadline
            else "due date unknown"
        )
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = f"{due}; in its range: " + "; ".join(item.affected)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def write_feed(path: Path, text: str) -> None:
    from patchcheck.files import atomic_write

    atomic_write(path, text)
