"""What keystone tells an ordinary member: the token's lifetime, the domain's password rules.

The token and the credentials never enter the facts: the token's lifetime is read from its
times, and an authentication error keeps no message when the auth URL holds credentials (a
client may quote a piece of it that no scan for URLs recognises). One authenticated GET reads
the security-compliance settings members may see.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.scs.patchcheck.plugins.module_utils.bounded_get import Budget, fetch_json
from ansible_collections.scs.patchcheck.plugins.module_utils.untrusted_text import (
    one_line,
    text_or_none,
    text_without_userinfo,
)


def auth_error(exc: BaseException, auth_url: str | None) -> str:
    """Why authentication failed; only the exception's type when the auth URL holds credentials.

    A client's message may quote a piece of a URL it could not parse (``Host "user:pa ss"``),
    which no scan for URLs recognises as a password: such a message is not kept at all.
    """
    if auth_url and text_without_userinfo(auth_url) != auth_url:
        return f"{type(exc).__name__} (message not kept: auth_url holds credentials; remove them)"
    return one_line(exc)


def token_facts(access: Any) -> dict[str, Any]:
    """The lifetime keystone gave this token (expires_at - issued_at); never the token itself."""
    issued, expires = getattr(access, "issued", None), getattr(access, "expires", None)
    return {
        "issued_at": issued.isoformat() if issued else None,
        "expires_at": expires.isoformat() if expires else None,
        "lifetime_s": int((expires - issued).total_seconds()) if issued and expires else None,
    }


def security_compliance(
    session: Any, root: str, access: Any, timeout: int, budget: Budget | None = None
) -> dict[str, Any]:
    """The password rules keystone shows members of their domain (GET .../config/security_compliance)."""
    domain = getattr(access, "project_domain_id", None) or "default"
    url = f"{root}v3/domains/{domain}/config/security_compliance"
    status, _headers, body, error = fetch_json(session, url, timeout, authenticated=True, budget=budget)
    config = body.get("config") if isinstance(body, dict) else None
    if not isinstance(config, dict):
        error = error or ("not a domain configuration" if body is not None else None)
        config = {}
    return {
        "url": url,
        "http_status": status,
        "error": error,
        "password_regex": text_or_none(config.get("password_regex")),
        "password_regex_description": text_or_none(config.get("password_regex_description")),
    }


def security_compliance_not_read(root: str, reason: str) -> dict[str, Any]:
    """The password rules' record when they are not requested (the token may not go there), with why."""
    return {
        "url": root + "v3/domains/.../config/security_compliance",
        "http_status": None,
        "error": reason,
        "password_regex": None,
        "password_regex_description": None,
    }
