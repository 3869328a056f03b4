"""Configuration as the service reads it: oslo.config's merge of a program's files, judged per program.

Facts hold each file as it is on disk. A service program reads several of them, in
oslo.config's order (``cfg.ConfigOpts._parse_config_files``): ``<service>.conf``, its own
``<program>.conf``, then ``<service>.conf.d/*.conf`` and ``<program>.conf.d/*.conf``, each
folder's files sorted by name (dotfiles are not matched by oslo.config's glob). A later file
wins for an ordinary option, within a file the last occurrence wins, a MultiStrOpt
accumulates; group names are normalised (``[LIBVIRT]`` is ``libvirt``; DEFAULT stays).

Which program reads which per-program file is not certain from the files alone, so every
program found is a view of its own, and so is every Kolla container folder and every keystone
domain (``domains/keystone.<domain>.conf``, whose ``[identity]`` and ``[ldap]`` replace the
main file's for that domain). The rule evaluation combines views worst case: a precondition
holds if it holds in any view, a mitigation or requirement only if it holds in every view.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from patchcheck.facts import HostFacts
from patchcheck.facts.model import ConfigFile

Sections = dict[str, dict[str, Any]]

#: (group, option) registered as MultiStrOpt among the options the shipped rules read: their
#: values accumulate across occurrences and files. None of today's rules reads one.
MULTI_OPTIONS: frozenset[tuple[str, str]] = frozenset()
#: Keystone's domain-specific drivers read only these groups from a domain's file.
DOMAIN_GROUPS = ("identity", "ldap")


@dataclass(frozen=True)
class View:
    """The files one program of a service reads, by the names rules use, merged as oslo.config does."""

    label: str
    files: dict[str, Sections]
    covers: frozenset[str] = frozenset()
    """The file names this view answers for, read or not (a chain with an unread file lacks them)."""
    unread: bool = False
    """A file of the chain was not read (refused by oslo.config's parser, or not readable)."""


def group_name(section: str) -> str:
    """oslo.config's ``_normalize_group_name``."""
    return section if section == "DEFAULT" else section.lower()


def is_paste(name: str) -> bool:
    return "paste" in posixpath.basename(name) and name.endswith(".ini")


def merged(chain: list[ConfigFile]) -> Sections:
    """The files of ``chain`` in order as one: later files and later occurrences win."""
    result: Sections = {}
    for config_file in chain:
        for section, options in config_file.sections.items():
            group = result.setdefault(group_name(section), {})
            for option, value in (options or {}).items():
                occurrences = value if isinstance(value, list) else [value]
                if (group_name(section), option) in MULTI_OPTIONS:
                    group[option] = [*(group.get(option) or []), *occurrences]
                elif occurrences:
                    group[option] = occurrences[-1]
    return result


def as_read(config_file: ConfigFile) -> Sections:
    """One file alone: oslo.config's reading of it, or a paste/policy file as it is."""
    if is_paste(config_file.name) or not config_file.name.endswith((".conf", ".ini")):
        return config_file.sections
    return merged([config_file])


def folder_views(service: str, folder: str, files: list[ConfigFile]) -> list[View]:
    """Every program's view of one configuration folder."""
    by_name = {f.name: f for f in files}
    main = f"{service}.conf"

    def confd(program: str) -> list[ConfigFile]:
        prefix = f"{program}.conf.d/"
        return [
            by_name[name]
            for name in sorted(by_name)
            if name.startswith(prefix)
            and "/" not in name[len(prefix) :]
            and name.endswith(".conf")
            and not name[len(prefix) :].startswith(".")
        ]

    programs = sorted({program for name in by_name if (program := program_of(service, name))})
    if not programs:
        readable = {name: as_read(f) for name, f in by_name.items() if f.readable}
        return [View(folder, readable, frozenset(by_name))]
    chained = {name for name in by_name if program_of(service, name)}
    others = {name: as_read(f) for name, f in by_name.items() if f.readable and name not in chained}
    views = []
    for program in programs:
        chain = [by_name[main]] if main in by_name else []
        if program != service and f"{program}.conf" in by_name:
            chain.append(by_name[f"{program}.conf"])
        chain += confd(service) + (confd(program) if program != service else [])
        if not chain:
            continue
        names = [f.name for f in chain]
        label = f"{folder} ({program}: {', '.join(names)})"
        # a rule names the main file or the program's own, and means what the program reads:
        # a program without a main file (glance-api, whose options are all in glance-api.conf)
        # answers for both names too, or a rule on "{service}.conf" (OSSN-0096's transport_url)
        # could never be decided for glance
        names_read = {f"{program}.conf", main}
        covers = frozenset({*by_name, *names_read})
        unread = [f.name for f in chain if not f.readable]
        if unread:
            # a file of the chain was not read: what the program sees is unknown
            views.append(View(f"{label}; {', '.join(unread)} not read", dict(others), covers, True))
            continue
        effective = merged(chain)
        files = {**others, **dict.fromkeys(names_read, effective)}
        views.append(View(label, files, covers))
        if program == service:
            views += domain_views(folder, by_name, files, effective)
    return views


def program_of(service: str, name: str) -> str | None:
    """The program a file belongs to: ``nova`` for nova.conf and nova.conf.d/x.conf,
    ``nova-compute`` for nova-compute.conf and nova-compute.conf.d/x.conf; None for others."""
    head, _, rest = name.partition("/")
    if not rest and head.endswith(".conf"):
        program = head.removesuffix(".conf")
    elif rest and "/" not in rest and head.endswith(".conf.d"):
        program = head.removesuffix(".conf.d")
    else:
        return None
    return program if program == service or program.startswith(f"{service}-") else None


def domain_views(
    folder: str, by_name: dict[str, ConfigFile], files: dict[str, Sections], effective: Sections
) -> list[View]:
    """Keystone's domains: each domain's ``[identity]``/``[ldap]`` from its own file only."""
    views = []
    for name in sorted(by_name):
        base = posixpath.basename(name)
        if not (name.startswith("domains/") and base.startswith("keystone.") and base.endswith(".conf")):
            continue
        domain = by_name[name]
        own = merged([domain]) if domain.readable else None
        label = f"{folder} (keystone domain {base[len('keystone.') : -len('.conf')]}: {name})"
        covers = frozenset({*files, "keystone.conf"})
        if own is None:
            unread = {k: v for k, v in files.items() if k != "keystone.conf"}
            views.append(View(f"{label}; not read", unread, covers, True))
            continue
        sections = {k: v for k, v in effective.items() if k not in DOMAIN_GROUPS}
        sections.update({k: v for k, v in own.items() if k in DOMAIN_GROUPS})
        views.append(View(label, {**files, "keystone.conf": sections}, covers))
    return views


def service_views(facts: HostFacts, service: str, needed: set[str]) -> list[View]:
    """Every view of ``service`` on the host holding one of the ``needed`` files (all views if none does).

    A folder without the file a rule reads runs no program that reads it (Kolla's
    ``nova-libvirt`` has no ``nova.conf``): it neither passes nor fails the rule.
    """
    folders: dict[str, list[ConfigFile]] = {}
    for config_file in facts.config:
        if config_file.service == service:
            folders.setdefault(config_file.folder, []).append(config_file)
    views = [view for folder in sorted(folders) for view in folder_views(service, folder, folders[folder])]
    relevant = [view for view in views if not needed or needed & view.covers]
    return relevant or views or [View(f"{service}: no configuration collected", {})]
