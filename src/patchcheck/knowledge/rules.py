"""Configuration rules: preconditions, mitigations and requirements, evaluated on collected configuration.

A rule's ``expr`` is a small boolean tree (see overlay.yaml for the syntax).
Evaluation is three-valued: True, False, or None when the configuration it
needs was not collected. None never turns into "not affected" or "mitigated":
the judge treats it as unknown. Every evaluation returns the evidence it used
(which file, section and option, and the value seen), so a verdict can show
the configuration that decided it.

The configuration view is ``{service: {file: {section: {option: value}}}}``,
as the host collector returns it after redaction; a value is a string, or a
list of strings for multi-valued options. Flat files (policy.yaml) use the
section ``""``. Booleans follow oslo.config (true/yes/on/1, false/no/off/0,
any case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jmespath

Config = dict[str, dict[str, dict[str, dict[str, Any]]]]
TESTS = (
    "is_true",
    "is_false",
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "is_set",
    "is_unset",
    "scheme_is",
)
KINDS = ("precondition", "mitigation", "requirement", "fix-requires")
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


class RuleError(ValueError):
    """A rule that cannot be evaluated as written (a bug in the overlay, found by its tests)."""


@dataclass(frozen=True)
class Rule:
    advisory: str
    id: str
    kind: str
    service: str
    reason: str
    expr: dict[str, Any]
    products: tuple[str, ...] = ()

    def concerns(self, product: str) -> bool:
        return not self.products or product in self.products

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "service": self.service,
            "reason": self.reason,
            "products": list(self.products),
            "expr": self.expr,
        }

    @classmethod
    def from_json(cls, advisory: str, data: dict[str, Any]) -> Rule:
        rule = cls(
            advisory,
            data["id"],
            data["kind"],
            data["service"],
            data["reason"],
            data["expr"],
            tuple(data.get("products") or ()),
        )
        validate(rule.expr, f"{advisory} rule {rule.id}")
        if rule.kind not in KINDS:
            raise RuleError(f"{advisory} rule {rule.id}: kind must be one of {', '.join(KINDS)}")
        return rule


@dataclass
class Evaluation:
    value: bool | None
    evidence: list[str] = field(default_factory=list)


def validate(expr: Any, where: str) -> None:
    """Refuse malformed expressions when the index is built, not when a cloud is judged."""
    if not isinstance(expr, dict) or not expr:
        raise RuleError(f"{where}: an expression is a mapping")
    if "all" in expr or "any" in expr:
        (key,) = [k for k in ("all", "any") if k in expr]
        if not isinstance(expr[key], list) or not expr[key]:
            raise RuleError(f"{where}: {key} needs a non-empty list")
        for number, part in enumerate(expr[key]):
            validate(part, f"{where}.{key}[{number}]")
    elif "not" in expr:
        validate(expr["not"], f"{where}.not")
    elif "jmespath" in expr:
        try:
            jmespath.compile(expr["jmespath"])
        except jmespath.exceptions.JMESPathError as exc:
            raise RuleError(f"{where}: jmespath: {exc}") from None
    else:
        missing = [key for key in ("file", "section", "option") if key not in expr]
        tests = [key for key in TESTS if key in expr]
        if missing or len(tests) != 1:
            raise RuleError(f"{where}: needs file, section, option and exactly one of {', '.join(TESTS)}")
        if "url_query" in expr and (not isinstance(expr["url_query"], str) or "scheme_is" in expr):
            raise RuleError(f"{where}: url_query names one query key, and scheme_is reads no query")


def as_bool(value: Any) -> bool | None:
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def evaluate(expr: dict[str, Any], config: Config, service: str) -> Evaluation:
    """Evaluate ``expr`` for ``service`` (the service whose configuration is read by default)."""
    if "all" in expr or "any" in expr:
        combine_all = "all" in expr
        parts = [evaluate(part, config, service) for part in expr["all" if combine_all else "any"]]
        evidence = [line for part in parts for line in part.evidence]
        values = [part.value for part in parts]
        if combine_all:
            value = False if False in values else (None if None in values else True)
        else:
            value = True if True in values else (None if None in values else False)
        return Evaluation(value, evidence)
    if "not" in expr:
        inner = evaluate(expr["not"], config, service)
        return Evaluation(None if inner.value is None else not inner.value, inner.evidence)
    owner = expr.get("service", service)
    files = config.get(owner)
    if "jmespath" in expr:
        if files is None:
            return Evaluation(None, [f"{owner}: configuration not collected"])
        if "file" in expr and expr["file"] not in files:
            return Evaluation(None, [f"{owner} {expr['file']}: file not collected"])
        result = jmespath.search(expr["jmespath"], files)
        value = result if isinstance(result, bool) else None
        return Evaluation(
            value, values_read(expr, files, owner) or [f"{owner}: decided from {expr.get('file')}"]
        )
    filename = str(expr["file"]).replace("{service}", owner)
    where = f"{owner} {filename} [{expr['section'] or '(top level)'}] {expr['option']}"
    if files is None or filename not in files:
        return Evaluation(None, [f"{where}: file not collected"])
    section = files[filename].get(expr["section"], {})
    present = expr["option"] in section
    raw = section[expr["option"]] if present else expr.get("default")
    shown = redacted_text(raw) if is_redacted(raw) else repr(raw)
    evidence = [f"{where} = {shown}{'' if present else ' (unset, default)'}"]
    if "url_query" in expr:
        raw = query_value(raw, expr["url_query"])
        if raw is UNKNOWN:
            evidence[0] += f": its query key {expr['url_query']} cannot be read from the facts"
            return Evaluation(None, evidence)
        evidence[0] += f", query {expr['url_query']} = {'(absent)' if raw is None else repr(raw)}"
    return Evaluation(apply_test(expr, raw), evidence)


#: A URL's query key whose value the facts do not tell (a record without its query, the key given
#: twice, a value the host did not send): the test on it is unknown, never false.
UNKNOWN = object()


def query_value(raw: Any, key: str) -> Any:
    """The value of query key ``key`` of a URL option (``url_query``), None when the URL lacks it.

    oslo.messaging reads a transport URL's query as ``[oslo_messaging_rabbit]`` options
    (``?ssl=1``); the host keeps those keys of a redacted URL (``{"redacted": true, "scheme":
    "rabbit", "query": "ssl=1"}``), a value it does not show as ``key=?``. Keys compare without
    case (errs towards reading a key the service might refuse). An unset or empty option has no
    query; a record without ``query`` (not a URL, or a collector that kept none) is UNKNOWN.
    """
    if raw is None:
        return None
    if is_redacted(raw):
        if raw.get("empty"):
            return None
        if not isinstance(raw.get("query"), str):
            return UNKNOWN
        pairs = [part.partition("=") for part in raw["query"].split("&") if part]
        values = [value for name, _eq, value in pairs if name.lower() == key.lower()]
    elif isinstance(raw, str):
        parts = urlsplit(raw.strip())
        if not parts.scheme:
            return UNKNOWN  # no URL: how the service reads it the facts do not tell
        values = [v for k, v in parse_qsl(parts.query) if k.lower() == key.lower()]
    else:
        return UNKNOWN  # a list: the option given as several values is no single URL
    if not values:
        return None
    if len(values) > 1 or values[0] == "?":
        return UNKNOWN
    return values[0]


def redacted_text(raw: dict[str, Any]) -> str:
    """A redacted value as evidence: only the parts the host sent (scheme, TLS query keys)."""
    parts = [
        f"scheme {raw['scheme']}" if raw.get("scheme") else "",
        f"query {raw['query']!r}" if raw.get("query") else "",
    ]
    kept = ", ".join(part for part in parts if part)
    return f"(redacted{'; ' + kept if kept else ''})"


def values_read(expr: dict[str, Any], files: dict[str, Any], owner: str) -> list[str]:
    """The values a jmespath rule read, as sentences (file, section, option, value), not its expression."""
    lines = []
    filename = expr.get("file")
    for read in expr.get("reads") or []:
        for name, sections in files.items():
            if filename and name != filename:
                continue
            for section, options in (sections or {}).items():
                if read["section"] not in ("*", section) or read["option"] not in (options or {}):
                    continue
                raw = options[read["option"]]
                shown = "(redacted)" if is_redacted(raw) else repr(raw)
                lines.append(f"{owner} {name} [{section or '(top level)'}] {read['option']} = {shown}")
    return lines


def files_of(expr: dict[str, Any], service: str) -> set[tuple[str, str]]:
    """(service, file name) pairs an expression reads: a requirement on a file a host lacks does not apply."""
    if "all" in expr or "any" in expr:
        return set().union(*(files_of(part, service) for part in expr.get("all", expr.get("any", []))))
    if "not" in expr:
        return files_of(expr["not"], service)
    if "file" not in expr:
        return set()
    owner = expr.get("service", service)
    return {(owner, str(expr["file"]).replace("{service}", owner))}


def options_read(expr: dict[str, Any], service: str) -> set[str]:
    """``file:section:option`` patterns an expression reads: the values the host may send as written.

    A ``jmespath`` expression names what it reads in ``reads`` (``[{section, option}]``), since
    the expression itself may touch any key; without ``reads`` it reads nothing by value.
    """
    if "all" in expr or "any" in expr:
        return set().union(*(options_read(part, service) for part in expr.get("all", expr.get("any", []))))
    if "not" in expr:
        return options_read(expr["not"], service)
    owner = expr.get("service", service)
    filename = str(expr.get("file", "*")).replace("{service}", owner)
    if "jmespath" in expr:
        return {
            f"{name}:{read['section']}:{read['option']}"
            for name in files_read_with(filename, owner)
            for read in expr.get("reads") or []
        }
    if "option" not in expr:
        return set()
    return {f"{name}:{expr['section'] or ''}:{expr['option']}" for name in files_read_with(filename, owner)}


def files_read_with(filename: str, service: str) -> list[str]:
    """``filename`` and the files oslo.config merges into it (patterns), so their values may leave too.

    ``nova.conf`` is read with ``nova-compute.conf``, ``nova.conf.d/*.conf`` and
    ``nova-*.conf.d/*.conf``; ``glance-api.conf`` with ``glance.conf`` and both conf.d folders;
    ``keystone.conf``'s ``[identity]``/``[ldap]`` per domain from ``domains/keystone.*.conf``.
    """
    if "/" in filename or not filename.endswith(".conf"):
        return [filename]
    program = filename.removesuffix(".conf")
    names = [filename, f"{program}.conf.d/*.conf"]
    if program == service or service == "*":
        names += [f"{service}-*.conf", f"{service}-*.conf.d/*.conf"]
    else:
        names += [f"{service}.conf", f"{service}.conf.d/*.conf"]
    if filename == "keystone.conf":
        names.append("domains/keystone.*.conf")
    return names


def is_redacted(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("redacted"))


def apply_test(expr: dict[str, Any], raw: Any) -> bool | None:
    if "scheme_is" in expr:  # a URL's scheme: what the host sends of a URL value
        if raw is None:
            return False
        scheme = raw.get("scheme") if is_redacted(raw) else urlsplit(str(raw).strip()).scheme or None
        return None if scheme is None and is_redacted(raw) else str(scheme).lower() == str(expr["scheme_is"])
    if is_redacted(raw):
        # A secret was redacted on the host: only its presence and the parts kept
        # for judging (scheme, query) are evidence; anything else is unknown.
        raw = None if raw.get("empty") else raw
        if raw is not None and ("is_set" not in expr and "is_unset" not in expr):
            visible = " ".join(str(raw.get(part, "")) for part in ("scheme", "query"))
            if "contains" in expr and str(expr["contains"]) in visible:
                return True
            return None
    if "is_set" in expr:
        return (raw is not None) == bool(expr["is_set"])
    if "is_unset" in expr:
        return (raw is None) == bool(expr["is_unset"])
    if raw is None:
        # unset without a default: nothing equals or contains it, and it is not true
        return "not_equals" in expr or "not_contains" in expr or "is_false" in expr
    if "is_true" in expr or "is_false" in expr:
        parsed = as_bool(raw)
        if parsed is None:
            return None  # a value oslo.config would reject: not evidence either way
        return parsed if "is_true" in expr else not parsed
    if "equals" in expr:
        return str(raw).strip() == str(expr["equals"])
    if "not_equals" in expr:
        return str(raw).strip() != str(expr["not_equals"])
    text = " ".join(map(str, raw)) if isinstance(raw, list) else str(raw)
    if "contains" in expr:
        return str(expr["contains"]) in text
    if "not_contains" in expr:
        return str(expr["not_contains"]) not in text
    raise RuleError(f"no test in {expr!r}")
