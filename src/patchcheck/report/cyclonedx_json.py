"""CycloneDX 1.6 JSON documents written as plain JSON, one element at a time, straight to the file.

Why not cyclonedx-python-lib's model and serialiser, which wrote these documents before: for
1,000 hosts the VEX took 16 s and raised the report's memory from 130 to 580 MB, the SBOM
6.5 s; 10,000 hosts were killed at 3.4 GB (issue 26, point 12; ``bench/end_to_end_scale.py``).
The library keeps every component and vulnerability as model objects in sorted sets, validates
and discriminates references over all of them, and serialises through ``dumps``, ``loads`` and
``dumps`` again, holding the whole text. Here the sort keys are gathered first (small tuples
pointing at the verdicts already in memory), then each element is built, encoded and written
and leaves memory before the next.

The content is the library's, key for key: the same keys in the same order, elements sorted
as its sorted sets sort them (components by type, name, version and bom-ref; vulnerabilities by
id and bom-ref; references by id; dependencies by ref), URLs migrated as its ``XsUri`` does,
``indent=1``. The library stays the authority in the tests: ``tests/unit/test_cyclonedx_json.py``
builds the same verdicts with the library's model and compares the documents, and every
document the tests write is validated with its ``JsonStrictValidator`` for 1.6.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from patchcheck.report.json_stream import encoded

SPEC_VERSION = "1.6"
SCHEMA_URI = "http://cyclonedx.org/schema/bom-1.6.schema.json"

#: What cyclonedx-python-lib's ``XsUri`` replaces so that a URL is a valid xs:anyURI / iri-reference.
URI_REPLACEMENTS = (
    (" ", "%20"),
    ('"', "%22"),
    ("'", "%27"),
    ("[", "%5B"),
    ("]", "%5D"),
    ("<", "%3C"),
    (">", "%3E"),
    ("{", "%7B"),
    ("}", "%7D"),
)
#: A ``%`` that starts no escape; the library refuses such a URL, this writer escapes the ``%``.
STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def uri(text: str) -> str:
    """``text`` as the library's ``XsUri`` writes it.

    Where the library raises (a stray ``%``, a second ``#``), this escapes the character instead
    (``%25``, ``%23``): the URLs come from the advisory knowledge, and a report that stops on one
    of them would say nothing at all.
    """
    for old, new in URI_REPLACEMENTS:
        text = text.replace(old, new)
    text = STRAY_PERCENT.sub("%25", text)
    head, hash_mark, tail = text.partition("#")
    return head + hash_mark + tail.replace("#", "%23")


def properties(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """CycloneDX properties, sorted and without duplicates as the library's sorted set keeps them."""
    return [{"name": name, "value": value} for name, value in sorted(set(pairs))]


def component(
    bom_ref: str, name: str, version: str, kind: str, purl: str, pairs: Iterable[tuple[str, str]]
) -> dict[str, Any]:
    """One component, keys in the library's order."""
    return {
        "bom-ref": bom_ref,
        "name": name,
        "properties": properties(pairs),
        "purl": purl,
        "type": kind,
        "version": version,
    }


def write_list(stream: TextIO, key: str, elements: Iterator[Any], first: bool) -> bool:
    """Write ``"key": [...]`` with each element encoded alone; nothing when there is none.

    Returns whether the document still has its first key to write (an empty list is left out,
    as the library leaves it out).
    """
    element = next(elements, None)
    if element is None:
        return first
    stream.write(("{\n" if first else ",\n") + f' "{key}": [\n  ' + encoded(element, 2))
    for element in elements:
        stream.write(",\n  " + encoded(element, 2))
    stream.write("\n ]")
    return False


def write_document(
    stream: TextIO,
    subject: str,
    knowledge: str | None,
    components: Iterable[dict[str, Any]],
    refs: Iterable[str],
    vulnerabilities: Iterable[dict[str, Any]] = (),
) -> None:
    """Write one CycloneDX 1.6 document for ``subject`` (the cloud, a platform component).

    ``components`` and ``vulnerabilities`` come sorted (each built when written); ``refs`` are
    the components' bom-refs, every one of which gets its dependency entry, as the library's
    ``Bom.validate`` registers one for each component and the document's own.
    """
    root = f"cloud:{subject}"
    metadata: dict[str, Any] = {"component": {"bom-ref": root, "name": subject, "type": "platform"}}
    if knowledge:
        metadata["properties"] = properties([("patchcheck:knowledge", knowledge)])
    metadata["timestamp"] = dt.datetime.now(dt.UTC).isoformat()
    first = write_list(stream, "components", iter(components), True)
    dependencies = ({"ref": ref} for ref in sorted({root, *refs}))
    first = write_list(stream, "dependencies", dependencies, first)
    tail = {
        "metadata": metadata,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
    }
    for key, value in tail.items():
        stream.write(("{\n" if first else ",\n") + f" {json.dumps(key)}: " + encoded(value, 1))
        first = False
    write_list(stream, "vulnerabilities", iter(vulnerabilities), False)
    ending = {"$schema": SCHEMA_URI, "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION}
    for key, value in ending.items():
        stream.write(f",\n {json.dumps(key)}: {json.dumps(value)}")
    stream.write("\n}")
