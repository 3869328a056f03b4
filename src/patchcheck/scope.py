"""The SCS certificate scopes patchcheck reports against, one per kind of run.

``data/scs-0124-patchcheck-tenant.yaml`` (the nightly tenant check) and
``data/scs-0124-patchcheck-operator.yaml`` (the operator run from the hosts):
the compliance monitor keeps one result per (scope, testcase), so two scopes
keep the two kinds of evidence from replacing each other. The files are in the
SCS compliance suite's layout (testcases under ``scripts[].testcases``; modules
name them under ``targets``) and load with SCS's own ``scs_cert_lib.load_spec``
(a test does that). The judge reports every testcase of its run's scope, so a
testcase for which no check ran shows as ABORT instead of disappearing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from patchcheck import safe_yaml
from patchcheck.errors import InputError
from patchcheck.files import read_input_text

#: kind of facts -> the scope file its runs report to.
SHIPPED_SCOPES = {
    "tenant": "scs-0124-patchcheck-tenant.yaml",
    "host": "scs-0124-patchcheck-operator.yaml",
}


@dataclass(frozen=True)
class Testcase:
    id: str
    description: str
    lifetime: str | None = None


@dataclass(frozen=True)
class Scope:
    uuid: str
    name: str
    url: str
    testcases: tuple[Testcase, ...]
    origin: str = ""
    """The file it was read from: a shipped scope's file name, or the path given."""

    @property
    def testcase_ids(self) -> tuple[str, ...]:
        return tuple(testcase.id for testcase in self.testcases)

    def lifetime(self, testcase_id: str) -> str | None:
        return next((tc.lifetime for tc in self.testcases if tc.id == testcase_id), None)


def parse_scope(text: str, origin: str) -> Scope:
    document = safe_yaml.load(text, origin)
    try:
        testcases = tuple(
            Testcase(
                id=testcase["id"],
                description=" ".join(str(testcase.get("description", "")).split()),
                lifetime=testcase.get("lifetime"),
            )
            for script in document.get("scripts") or ()
            for testcase in script.get("testcases") or ()
        )
        if not testcases:
            raise InputError(origin, "scripts[].testcases", "no testcases (the SCS layout lists them there)")
        return Scope(
            uuid=document["uuid"],
            name=document["name"],
            url=document["url"],
            testcases=testcases,
            origin=origin,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(origin, "", f"not an SCS scope: missing {exc}") from None


@cache
def shipped_scope(name: str) -> Scope:
    text = resources.files("patchcheck").joinpath("data", name).read_text(encoding="utf-8")
    return parse_scope(text, name)


def shipped_scopes() -> list[Scope]:
    return [shipped_scope(name) for name in SHIPPED_SCOPES.values()]


def scope_for_kinds(kinds: set[str]) -> Scope:
    """The shipped scope of a run that judges these kinds of facts."""
    if len(kinds) != 1 or next(iter(kinds)) not in SHIPPED_SCOPES:
        raise InputError(
            "--facts",
            "",
            f"facts of kinds {', '.join(sorted(kinds)) or 'none'}: tenant facts and host facts report to "
            "different SCS scopes, judge them in separate runs (or name one with --scope)",
        )
    return shipped_scope(SHIPPED_SCOPES[next(iter(kinds))])


def load_scope(path: Path | str) -> Scope:
    """A scope file by path, or a shipped scope by its file name."""
    if str(path) in SHIPPED_SCOPES.values():
        return shipped_scope(str(path))
    path = Path(path)
    return parse_scope(read_input_text(path, 4 * 1024 * 1024, "scope file"), str(path))


def known_testcase_ids() -> set[str]:
    """Every testcase of every shipped scope: an item of another kind's scope is not this run's."""
    return {testcase for scope in shipped_scopes() for testcase in scope.testcase_ids}
