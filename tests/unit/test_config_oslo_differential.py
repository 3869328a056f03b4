"""Patchcheck reads configuration as oslo.config does: a differential property test against it.

Hypothesis writes a service's files (main file, per-program file, conf.d files; options twice,
sections twice and in other case, continuation lines, comments, quotes, ``:`` or ``=``); the
host module reads them and the judge merges them (``effective_config``), and oslo.config's own
``ConfigOpts`` reads the same files with ``--config-file``/``--config-dir`` in the order a
program is started with. Every option the rules read must come out the same.
"""

from __future__ import annotations

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import service_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oslo_config import cfg

from patchcheck.facts.model import HostFacts
from patchcheck.judge.effective_config import service_views

#: (group, option) as the rules read them; the generated files write these and some distractors.
OPTIONS = [
    ("libvirt", "images_type"),
    ("DEFAULT", "use_cow_images"),
    ("service_user", "send_service_user_token"),
]
SECTION_SPELLINGS = {
    "libvirt": ["libvirt", "LIBVIRT", "Libvirt"],
    "DEFAULT": ["DEFAULT"],
    "service_user": ["service_user", "SERVICE_USER"],
}
VALUE = st.sampled_from(["flat", "raw", "qcow2", "default", "rbd", "true", "false", "x y"])


@st.composite
def assignment(draw: st.DrawFn) -> list[str]:
    group, option = draw(st.sampled_from([*OPTIONS, ("libvirt", "other"), ("DEFAULT", "debug")]))
    value = draw(VALUE)
    quote = draw(st.sampled_from(["", '"', "'"]))
    separator = draw(st.sampled_from(["=", " = ", ":", ": "]))
    lines = [f"[{draw(st.sampled_from(SECTION_SPELLINGS.get(group, [group])))}]"]
    lines += draw(st.lists(st.sampled_from(["# comment", "; note", ""]), max_size=1))
    lines.append(f"{option}{separator}{quote}{value}{quote}")
    if draw(st.booleans()) and not quote:
        indent = draw(st.sampled_from([" ", "\t", "   "]))
        lines.append(indent + draw(VALUE))  # a continuation line
    return lines


def config_text() -> st.SearchStrategy[str]:
    return st.lists(assignment(), max_size=5).map(
        lambda parts: "\n".join(line for p in parts for line in p) + "\n"
    )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    main=config_text(),
    program=st.one_of(st.none(), config_text()),
    confd=st.lists(config_text(), max_size=3),
    program_confd=st.lists(config_text(), max_size=2),
)
def test_the_effective_value_of_every_rule_option_is_oslo_configs(
    tmp_path_factory: pytest.TempPathFactory,
    main: str,
    program: str | None,
    confd: list[str],
    program_confd: list[str],
) -> None:
    root = tmp_path_factory.mktemp("etc")
    folder = root / "nova"
    (folder / "nova.conf.d").mkdir(parents=True)
    (folder / "nova.conf").write_text(main)
    for number, text in enumerate(confd):
        (folder / "nova.conf.d" / f"{number * 7 % 10:02d}-x.conf").write_text(text)
    if program is not None:
        (folder / "nova-compute.conf").write_text(program)
    if program_confd:
        (folder / "nova-compute.conf.d").mkdir()
        for number, text in enumerate(program_confd):
            (folder / "nova-compute.conf.d" / f"{number}.conf").write_text(text)
    keep = [f"*:{group}:{option}" for group, option in OPTIONS]
    config = service_config.configuration(["nova"], [str(root)], keep, [], [])
    facts = HostFacts.from_document("h.json", host_document(config))
    views = {
        view.label.split("(", 1)[1].split(":", 1)[0]: view for view in service_views(facts, "nova", set())
    }
    programs = ["nova"] + (["nova-compute"] if program is not None or program_confd else [])
    assert sorted(views) == sorted(programs)
    for name in programs:
        args = ["--config-file", str(folder / "nova.conf")]
        if name != "nova" and program is not None:
            args += ["--config-file", str(folder / "nova-compute.conf")]
        args += ["--config-dir", str(folder / "nova.conf.d")]
        if name != "nova" and program_confd:
            args += ["--config-dir", str(folder / "nova-compute.conf.d")]
        expected = oslo_values(args)
        sections = views[name].files[f"{name}.conf"]
        for group, option in OPTIONS:
            got = sections.get(group, {}).get(option)
            want = expected[(group, option)]
            if want is not None and "\n" in want:
                # a value over continuation lines never leaves as written (point 19): unknown, not another
                assert isinstance(got, dict) and got["redacted"], (name, group, option, args)
            else:
                assert got == want, (name, group, option, args)


def oslo_values(args: list[str]) -> dict[tuple[str, str], str | None]:
    conf = cfg.ConfigOpts()
    for group, option in OPTIONS:
        conf.register_opt(cfg.StrOpt(option), group=None if group == "DEFAULT" else group)
    conf(args, project="nova", prog="nova-compute", default_config_files=[], default_config_dirs=[])
    values = {}
    for group, option in OPTIONS:
        values[(group, option)] = conf[option] if group == "DEFAULT" else conf[group][option]
    return values


def host_document(config: dict) -> dict:
    return {
        "schema_version": 1,
        "kind": "host",
        "collected_at": "2026-11-25T00:00:00Z",
        "collector": {"name": "patchcheck", "version": "t"},
        "host": "h",
        "reachable": True,
        "packages": [],
        "python": [],
        "containers": [],
        "config": config,
        "errors": [],
    }
