"""Each role's ``meta/argument_specs.yaml`` says what its ``defaults/main.yaml`` holds.

Ansible checks a role's variables against its argument specs before the role's first task, and
``ansible-doc -t role scs.patchcheck.<role>`` shows them to an operator; the defaults file is what
the role actually runs with. So, for every role: every ``<role>_*`` variable of the defaults file is
an option of the entry point ``main``, and every option is either defaulted there or required; a
literal default is the spec's ``default`` (a Jinja default, e.g. ``{{ playbook_dir }}/...``, has
none: the spec's description says it); the literal defaults pass the spec's own validation (a
``bool`` default is a bool, a list's elements are of the list's ``elements``); and every
``<role>_*`` variable a playbook of this repository passes to a role is one of its options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(path.parent.parent.name for path in REPO.glob("roles/*/defaults/main.yaml"))
COLLECTION = "scs.patchcheck."


def defaults(role: str) -> dict[str, Any]:
    """The role's ``<role>_*`` variables and their values as written in ``defaults/main.yaml``."""
    values = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yaml").read_text()) or {}
    return {name: value for name, value in values.items() if name.startswith(f"{role}_")}


def entry_point(role: str) -> dict[str, Any]:
    """The entry point ``main`` of the role's argument specs."""
    path = REPO / "roles" / role / "meta" / "argument_specs.yaml"
    assert path.is_file(), f"{role} has no meta/argument_specs.yaml: ansible-doc -t role shows nothing"
    return yaml.safe_load(path.read_text())["argument_specs"]["main"]


def options(role: str) -> dict[str, dict[str, Any]]:
    return entry_point(role).get("options") or {}


def is_jinja(value: Any) -> bool:
    """Whether Ansible templates the value: a string with ``{{`` or ``{%``, or a container holding one."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(is_jinja(key) or is_jinja(item) for key, item in value.items())
    if isinstance(value, list):
        return any(is_jinja(item) for item in value)
    return False


def test_every_role_is_found() -> None:
    assert len(ROLES) >= 6, ROLES


@pytest.mark.parametrize("role", ROLES)
def test_the_entry_point_says_what_the_role_does(role: str) -> None:
    main = entry_point(role)
    assert main.get("short_description"), f"{role}: main has no short_description"
    assert main.get("description"), f"{role}: main has no description"
    assert main.get("author") == "Sovereign Cloud Stack (@SovereignCloudStack)", f"{role}: author"
    for name, spec in options(role).items():
        assert spec.get("description"), f"{role}: option {name} has no description"
        assert spec.get("type"), f"{role}: option {name} has no type"
        if spec["type"] == "list":
            assert spec.get("elements"), f"{role}: list option {name} names no elements"


@pytest.mark.parametrize("role", ROLES)
def test_every_defaulted_variable_is_an_option(role: str) -> None:
    missing = sorted(set(defaults(role)) - set(options(role)))
    assert missing == [], f"{role}: defaults/main.yaml sets {missing}, its argument specs lack them"


@pytest.mark.parametrize("role", ROLES)
def test_every_option_is_defaulted_or_required(role: str) -> None:
    loose = sorted(
        name
        for name, spec in options(role).items()
        if name not in defaults(role) and not spec.get("required", False)
    )
    assert loose == [], f"{role}: options {loose} are neither in defaults/main.yaml nor required"


@pytest.mark.parametrize("role", ROLES)
def test_the_spec_default_is_the_defaults_file_value(role: str) -> None:
    specs = options(role)
    for name, value in defaults(role).items():
        spec = specs.get(name, {})
        if is_jinja(value):
            assert "default" not in spec, (
                f"{role}: {name} is templated in defaults/main.yaml ({value!r}); "
                f"its spec should describe that default, not give default: {spec['default']!r}"
            )
            assert not spec.get("required", False), f"{role}: {name} has a default, yet is required"
        else:
            assert "default" in spec, f"{role}: {name} defaults to {value!r}; its spec gives no default"
            assert spec["default"] == value, (
                f"{role}: {name} defaults to {value!r} in defaults/main.yaml, "
                f"to {spec['default']!r} in its argument specs"
            )


@pytest.mark.parametrize("role", ROLES)
def test_the_literal_defaults_pass_the_spec(role: str) -> None:
    """What Ansible's validation does before the role's first task, on the literal defaults."""
    literal = {name: value for name, value in defaults(role).items() if not is_jinja(value)}
    result = ArgumentSpecValidator(options(role)).validate(literal)
    assert result.error_messages == [], f"{role}: {result.error_messages}"


def passed_by_playbooks() -> list[tuple[str, str, str]]:
    """(playbook, role, variable) for each ``<role>_*`` variable a playbook gives a role of the collection."""
    passed = []
    for path in sorted(REPO.glob("playbooks/**/*.yaml")):
        for play in yaml.safe_load(path.read_text()) or []:
            for entry in play.get("roles") or []:
                if not isinstance(entry, dict) or not str(entry.get("role", "")).startswith(COLLECTION):
                    continue
                role = entry["role"][len(COLLECTION) :]
                given = {**(entry.get("vars") or {}), **entry}
                for name in given:
                    if name.startswith(f"{role}_"):
                        passed.append((path.relative_to(REPO).as_posix(), role, name))
    return passed


def test_the_playbooks_pass_roles_something() -> None:
    assert len(passed_by_playbooks()) > 20


@pytest.mark.parametrize(("playbook", "role", "name"), passed_by_playbooks())
def test_what_a_playbook_passes_is_an_option(playbook: str, role: str, name: str) -> None:
    assert name in options(role), f"{playbook} passes {name} to {role}, which has no such option"
