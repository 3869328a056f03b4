"""What an index update changed: new advisories, and advisories whose judgement can differ.

An operator reading ``patchcheck index update`` needs to know which advisories are new or now
judge differently, and which of their own installs that touches (issue 28, point 4): a commit
id says nothing of that. The comparison reads the two index documents only (the one in force
before the update and the new one) and names, per advisory, what a verdict depends on: the
products and their ranges, git-ancestry corrections, severity, disclosure day and rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class IndexChange:
    """One advisory that is new, or whose judgement can differ, in the new index."""

    advisory: str
    new: bool
    what: tuple[str, ...]
    """Sentences naming what changed, or a new advisory's products and ranges."""

    def line(self) -> str:
        described = f": {'; '.join(self.what)}" if self.what else ""
        return f"{'new' if self.new else 'changed'}: {self.advisory}{described}"


def _ranges(entry: dict[str, Any]) -> dict[str, str]:
    return {str(product.get("name")): str(product.get("range")) for product in entry.get("products") or []}


def _ancestry(entry: dict[str, Any]) -> dict[str, list[str]]:
    return {
        str(product.get("name")): sorted(
            f"{c.get('version')} {'affected' if c.get('affected') else 'fixed'}"
            for c in product.get("ancestry") or []
        )
        for product in entry.get("products") or []
        if product.get("ancestry")
    }


def _band(entry: dict[str, Any]) -> str | None:
    severity = entry.get("severity") or {}
    return severity.get("band") if isinstance(severity, dict) else None


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Sentences naming what of one advisory's entry changed between two indexes."""
    what = []
    old_ranges, new_ranges = _ranges(old), _ranges(new)
    for name in sorted(set(old_ranges) | set(new_ranges)):
        before, after = old_ranges.get(name), new_ranges.get(name)
        if before != after:
            what.append(f"{name} range {before or '(none)'} -> {after or '(none)'}")
    old_proofs, new_proofs = _ancestry(old), _ancestry(new)
    for name in sorted(set(old_proofs) | set(new_proofs)):
        if old_proofs.get(name) != new_proofs.get(name):
            proven = ", ".join(new_proofs.get(name) or []) or "none"
            what.append(f"{name} releases proven by git ancestry: {proven}")
    if _band(old) != _band(new):
        what.append(f"severity {_band(old) or 'unscored'} -> {_band(new) or 'unscored'}")
    if old.get("disclosed") != new.get("disclosed"):
        what.append(f"disclosed {old.get('disclosed') or 'unknown'} -> {new.get('disclosed') or 'unknown'}")
    if old.get("machine_readable") != new.get("machine_readable"):
        state = "machine-readable" if new.get("machine_readable") else "not machine-readable"
        what.append(f"now {state}")
    if old.get("rules") != new.get("rules"):
        what.append("configuration rules changed")
    return what


def index_changes(old_document: dict[str, Any] | None, new_document: dict[str, Any]) -> list[IndexChange]:
    """Every advisory of ``new_document`` that is new or judges differently than in ``old_document``."""
    before = {entry["id"]: entry for entry in (old_document or {}).get("advisories", [])}
    found = []
    for entry in new_document.get("advisories", []):
        previous = before.get(entry["id"])
        if previous is None:
            ranges = tuple(f"{name} {text}" for name, text in _ranges(entry).items())
            found.append(IndexChange(entry["id"], True, ranges))
        elif what := differences(previous, entry):
            found.append(IndexChange(entry["id"], False, tuple(what)))
    return found
