"""What a report line may say in public: the SCS compliance monitor shows report.yaml to anyone.

The findings' sentences name endpoint URLs as the catalog lists them, and those carry the
tenant's project id (``/v3/4da41a3c…``, ``AUTH_4da41a3c…``) and may name addresses of the
cloud's own network (issue 29: both were readable without login on the monitor's report page).
The lines of the SCS report and of ``patchcheck scs-check`` go through ``published``; the
verdicts, summaries and JUnit (the operator's own artifacts) keep the URLs as found.

URLs are found by a linear scan (a scheme, ``://``, then everything up to white space or a
quote) and read with ``urllib.parse``; hosts are classified by ``patchcheck.addresses``, the
rule the checks themselves use, so what a check calls internal is never published.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from patchcheck.addresses import HostKind, classify_host

#: A URL in free text: a scheme, then up to the next space, quote, bracket or comma-space.
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,15}://[^\s\"'<>()]+")
#: A project (tenant) id as keystone makes them: 32 hex digits, alone or after AUTH_ (Swift),
#: as a whole path segment; or a UUID.
PROJECT_ID = re.compile(
    r"(?<=/)(?:AUTH_)?(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})(?=/|$)"
)
PROJECT = "{project_id}"
PRIVATE = "(internal address)"


#: URLs read per line; a line naming more is cut there (a finding names a few; 4 MiB of
#: ``x://y`` would otherwise take seconds).
MAX_URLS = 1000
#: What a URL needs for anything in it to be replaced: a host that may be an address or a
#: localhost name, or a path with a run of 32 hex digits or a UUID. Others are kept unparsed.
HINT = re.compile(r"://[^/?#]*(?:[0-9\[]|localhost)|[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-", re.IGNORECASE)


#: How the checks name an internal host in prose (``patchcheck.addresses``: "loopback address
#: 127.0.0.1", "private address 10.0.0.5 (written 0xa.5)"): the kind stays, the address goes.
NAMED_INTERNAL = re.compile(
    r"\b(loopback|private|link-local|unspecified|multicast) address "
    r"[^\s,;)]{1,64}(?: \(written [^)]{0,300}\))?"
)


def published(line: str) -> str:
    """``line`` with project ids and internal addresses in its URLs, and the addresses its sentences
    call internal, replaced."""
    if " address " in line:
        line = NAMED_INTERNAL.sub(r"\1 address", line)
    if "://" not in line:
        return line
    parts, end = [], 0
    for number, match in enumerate(URL.finditer(line)):
        if number == MAX_URLS:
            parts.append(f"{line[end : match.start()]}… (the rest names more URLs than a report line shows)")
            return "".join(parts)
        url = match.group(0)
        parts += [line[end : match.start()], published_url(url) if HINT.search(url) else url]
        end = match.end()
    parts.append(line[end:])
    return "".join(parts)


def published_url(url: str) -> str:
    trailing = len(url) - len(url.rstrip(".,;:"))
    body, tail = (url[:-trailing], url[-trailing:]) if trailing else (url, "")
    try:
        parts = urlsplit(body)
        host, port = parts.hostname, parts.port
    except ValueError:
        return PRIVATE + tail  # a URL that does not parse says nothing it may say
    netloc = parts.netloc
    if host and classify_host(host).kind is not HostKind.PUBLIC:
        userinfo = netloc.rpartition("@")[0]
        netloc = (userinfo + "@" if userinfo else "") + PRIVATE + (f":{port}" if port is not None else "")
    return parts._replace(netloc=netloc, path=PROJECT_ID.sub(PROJECT, parts.path)).geturl() + tail
