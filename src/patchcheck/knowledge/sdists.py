"""Released source distributions from PyPI, read for what pbr and reno put in them.

Used only by ``patchcheck index audit``, a maintenance command: never at judge time.
The index is PyPI's simple API (PEP 691 JSON, the protocol pip speaks), the files
are verified against the sha256 the index gives and cached by that hash, so a
second audit reads the cache and downloads nothing. Every read is bounded: the
index answer, each download, each member read from a tarball; members are read
in memory (never extracted), and links, devices and oversized members are skipped.

What an sdist of an OpenStack project holds that matters here:

- ``ChangeLog`` (pbr): every commit subject reachable from the release's tag,
  grouped under the tag that first contained it, newest first::

      24.1.4
      ------

      * OSSA-2025-001: Disallow unsafe image file:// paths

  so the newest release of a stable line tells, for every release of that line,
  which commits it contains;
- ``releasenotes/notes/*.yaml`` (reno): one file per note, whose name (with its
  random suffix) stays the same when the change is backported.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import requests
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from patchcheck import __version__

INDEX = "https://pypi.org/simple"
TIMEOUT_S = 60
MAX_INDEX_BYTES = 16 * 1024 * 1024
MAX_SDIST_BYTES = 200 * 1024 * 1024
MAX_CHANGELOG_BYTES = 32 * 1024 * 1024
MAX_NOTE_BYTES = 256 * 1024
MAX_NOTES = 20000


class SdistError(RuntimeError):
    """An sdist could not be had or read; the message says which and why."""


class DownloadBudgetSpent(SdistError):
    """``--max-downloads`` reached: the rest of the audit reports "not checked", never a guess."""


@dataclass(frozen=True)
class SdistFile:
    project: str
    version: Version
    filename: str
    url: str
    sha256: str
    size: int | None


@dataclass
class ReleaseContents:
    """What one sdist says: ChangeLog sections by tag, and its reno notes by file name."""

    file: SdistFile
    changelog: dict[str, list[str]] = field(default_factory=dict)
    """tag -> commit subjects first contained in that tag."""
    tag_order: list[str] = field(default_factory=list)
    """Tags newest first, as the ChangeLog lists them."""
    notes: dict[str, str] = field(default_factory=dict)
    """note file name -> its text."""


class SdistSource:
    """PyPI's index and files, through a cache; at most ``max_downloads`` files fetched per run."""

    def __init__(
        self, cache: Path, max_downloads: int, index: str = INDEX, session: requests.Session | None = None
    ) -> None:
        self.cache = cache
        self.max_downloads = max_downloads
        self.downloads = 0
        self.downloaded_bytes = 0
        self.cache_hits = 0
        self.index = index.rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"patchcheck/{__version__} (index audit)"
        self._files: dict[str, dict[Version, SdistFile]] = {}
        self._contents: dict[str, ReleaseContents] = {}

    def files(self, project: str) -> dict[Version, SdistFile]:
        """Every sdist of ``project`` on the index, by version (cached for a day per project)."""
        name = canonicalize_name(project)
        if name in self._files:
            return self._files[name]
        listing = self.cache / "index" / f"{name}.json"
        text = None
        if listing.is_file():
            text = listing.read_text(encoding="utf-8")
        else:
            response = self.get(f"{self.index}/{name}/", {"Accept": "application/vnd.pypi.simple.v1+json"})
            if response.status_code == 404:
                self._files[name] = {}
                return {}
            if response.status_code != 200:
                raise SdistError(f"{self.index}/{name}/: HTTP {response.status_code}")
            text = bounded_text(response, MAX_INDEX_BYTES, f"the index of {name}")
            listing.parent.mkdir(parents=True, exist_ok=True)
            listing.write_text(text, encoding="utf-8")
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise SdistError(f"the index of {name} is not JSON: {exc}") from None
        found: dict[Version, SdistFile] = {}
        prefix = re.compile(
            rf"^{re.escape(name).replace('-', '[-_.]')}-(?P<version>.+)\.tar\.gz$", re.IGNORECASE
        )
        for entry in document.get("files") or []:
            match = prefix.match(str(entry.get("filename", "")))
            sha256 = (entry.get("hashes") or {}).get("sha256")
            if not match or not sha256 or entry.get("yanked"):
                continue
            try:
                version = Version(match.group("version"))
            except InvalidVersion:
                continue
            found[version] = SdistFile(
                name, version, entry["filename"], entry["url"], sha256, entry.get("size")
            )
        self._files[name] = found
        return found

    def contents(self, file: SdistFile) -> ReleaseContents:
        """The ChangeLog and notes of one sdist, from the cache or downloaded (one of the budget)."""
        if file.sha256 in self._contents:
            return self._contents[file.sha256]
        path = self.cache / "sdists" / file.sha256[:2] / f"{file.sha256}.tar.gz"
        if path.is_file() and sha256_of(path) == file.sha256:
            self.cache_hits += 1
        else:
            self.download(file, path)
        contents = read_sdist(path, file)
        self._contents[file.sha256] = contents
        return contents

    def download(self, file: SdistFile, path: Path) -> None:
        if self.downloads >= self.max_downloads:
            raise DownloadBudgetSpent(f"{file.filename}: the download budget ({self.max_downloads}) is spent")
        if file.size is not None and file.size > MAX_SDIST_BYTES:
            raise SdistError(f"{file.filename}: {file.size} bytes, more than {MAX_SDIST_BYTES}")
        self.downloads += 1
        response = self.get(file.url, {}, stream=True)
        if response.status_code != 200:
            raise SdistError(f"{file.filename}: HTTP {response.status_code}")
        digest = hashlib.sha256()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        size = 0
        with partial.open("wb") as out:
            for chunk in response.iter_content(1024 * 1024):
                size += len(chunk)
                if size > MAX_SDIST_BYTES:
                    partial.unlink(missing_ok=True)
                    raise SdistError(f"{file.filename}: larger than {MAX_SDIST_BYTES} bytes")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != file.sha256:
            partial.unlink(missing_ok=True)
            raise SdistError(f"{file.filename}: sha256 {digest.hexdigest()} is not the index's {file.sha256}")
        partial.replace(path)  # only a verified, complete file enters the cache: a rerun resumes here
        self.downloaded_bytes += size

    def get(self, url: str, headers: dict[str, str], stream: bool = False) -> requests.Response:
        try:
            return self.session.get(
                url, headers=headers, timeout=TIMEOUT_S, stream=stream, allow_redirects=True
            )
        except requests.RequestException as exc:
            raise SdistError(f"{url}: {type(exc).__name__}") from None


def bounded_text(response: requests.Response, limit: int, what: str) -> str:
    data = response.content[: limit + 1]
    if len(data) > limit:
        raise SdistError(f"{what}: more than {limit} bytes")
    return data.decode("utf-8", errors="replace")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sdist(path: Path, file: SdistFile) -> ReleaseContents:
    """ChangeLog and reno notes of a pbr sdist, read in memory; other members are not touched."""
    contents = ReleaseContents(file)
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for member in archive:
                if not member.isfile():
                    continue  # links, devices, folders: nothing to read
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "ChangeLog" and member.size <= MAX_CHANGELOG_BYTES:
                    contents.tag_order, contents.changelog = parse_changelog(read_member(archive, member))
                elif (
                    len(parts) == 4
                    and parts[1:3] == ["releasenotes", "notes"]
                    and parts[3].endswith(".yaml")
                    and member.size <= MAX_NOTE_BYTES
                    and len(contents.notes) < MAX_NOTES
                ):
                    contents.notes[parts[3]] = read_member(archive, member)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SdistError(f"{file.filename}: not a readable tar.gz: {exc}") from None
    return contents


def read_member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    handle = archive.extractfile(member)
    if handle is None:
        return ""
    return handle.read(member.size).decode("utf-8", errors="replace")


def parse_changelog(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """pbr's ChangeLog: ``<tag>`` over a dash line, then ``* subject`` lines; tags newest first."""
    lines = text.splitlines()
    order: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if line.strip() and following and set(following.strip()) == {"-"} and len(following.strip()) >= 3:
            tag = line.strip()
            if tag == "CHANGES":
                current = None
                continue
            order.append(tag)
            current = sections.setdefault(tag, [])
        elif current is not None and line.startswith("* "):
            current.append(unescape(line[2:].strip()))
    return order, sections


def unescape(subject: str) -> str:
    """pbr escapes reStructuredText characters (``TARGET\\_BRANCH``); subjects are compared unescaped."""
    return re.sub(r"\\(.)", r"\1", subject)
