"""The SCS certificate scope patchcheck reports against (``data/scs-0124-patchcheck.yaml``).

The scope names the testcases; the judge reports every one of them, so a
testcase for which no check ran shows as ABORT instead of disappearing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from patchcheck.errors import InputError

SHIPPED_SCOPE = "scs-0124-patchcheck.yaml"


@dataclass(frozen=True)
class Testcase:
    id: str
    description: str


@dataclass(frozen=True)
class Scope:
    uuid: str
    name: str
    url: str
    testcases: tuple[Testcase, ...]

    @property
    def testcase_ids(self) -> tuple[str, ...]:
        return tuple(testcase.id for testcase in self.testcases)


def parse_scope(text: str, origin: str) -> Scope:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(origin, "", f"not YAML: {exc}") from None
    try:
        testcases = tuple(
            Testcase(id=testcase["id"], description=" ".join(str(testcase.get("description", "")).split()))
            for module in document["modules"]
            for testcase in module.get("testcases", ())
        )
        return Scope(uuid=document["uuid"], name=document["name"], url=document["url"], testcases=testcases)
    except (KeyError, TypeError) as exc:
        raise InputError(origin, "", f"not an SCS scope: missing {exc}") from None


@cache
def shipped_scope() -> Scope:
    text = resources.files("patchcheck").joinpath("data", SHIPPED_SCOPE).read_text(encoding="utf-8")
    return parse_scope(text, SHIPPED_SCOPE)


def load_scope(path: Path | None) -> Scope:
    if path is None:
        return shipped_scope()
    try:
        return parse_scope(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise InputError(path, "", f"cannot read: {exc}") from None
