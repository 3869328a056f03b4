"""OSSN-0096's precondition on gathered configuration: decided from a redacted transport URL's kept parts.

The host module reads real files here and redacts them as on a host; the judge evaluates the
shipped rule on every service that loads oslo.messaging. Before, a redacted ``transport_url``
made the precondition unknown, so OSSN-0096 was "overdue" on every deployment with RabbitMQ.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.scs.patchcheck.plugins.module_utils import config_allowlist, service_config

from patchcheck.facts.model import Component, HostFacts
from patchcheck.judge.ossa_patched import evaluate_rule
from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.rules import options_read
from tests.helpers import host_facts_document

RULE = next(r for r in shipped_index().by_id["OSSN-0096"].rules if r.id == "rabbit-tls-in-use")
MESSAGING = Component("oslo-messaging", "14.0.3", "14.0.3", "dpkg", "python3-oslo.messaging", None)


def precondition(etc: Path, files: dict[str, str]) -> bool | None:
    for name, text in files.items():
        (etc / name).parent.mkdir(parents=True, exist_ok=True)
        (etc / name).write_text(text)
    keep = sorted(options_read(RULE.expr, "*"))
    config = service_config.configuration(
        ["nova", "glance"], [str(etc)], [*config_allowlist.HARMLESS_OPTIONS, *keep], [], []
    )
    facts = HostFacts.from_document("h.json", host_facts_document("ctl1", config=config))
    return evaluate_rule(RULE, facts, MESSAGING, any_folder=True).value


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rabbit://nova:CANARY@mq1:5672,nova:CANARY@mq2:5672/", False),  # plain AMQP: not affected
        ("rabbit://nova:CANARY@mq1:5671/?ssl=1", True),
        ("rabbit://nova:CANARY@mq1:5671/?ssl=true&ssl_version=TLSv1_2", True),
        ("rabbits://nova:CANARY@mq1:5671/", True),
        ("rabbit://nova:CANARY@mq1:5671/?ssl=%7Bx%7D", None),  # a value the host does not show
        ("not a url", None),  # no URL (the rules let it leave as written): the facts do not tell
    ],
)
def test_a_gathered_transport_url_decides_the_precondition(
    tmp_path: Path, url: str, expected: bool | None
) -> None:
    files = {
        "nova/nova.conf": f"[DEFAULT]\ntransport_url = {url}\n",
        # glance has no glance.conf: glance-api reads its transport_url from glance-api.conf
        "glance/glance-api.conf": "[DEFAULT]\ntransport_url = rabbit://glance:CANARY@mq1:5672/\n",
    }
    assert precondition(tmp_path / "etc", files) is expected


def test_glance_api_alone_is_judged_from_glance_api_conf(tmp_path: Path) -> None:
    tls = {"glance/glance-api.conf": "[DEFAULT]\ntransport_url = rabbit://g:CANARY@mq:5671/?ssl=1\n"}
    plain = {"glance/glance-api.conf": "[DEFAULT]\ntransport_url = rabbit://g:CANARY@mq:5672/\n"}
    assert precondition(tmp_path / "tls", tls) is True
    assert precondition(tmp_path / "plain", plain) is False
