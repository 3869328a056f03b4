"""Configuration rules of the overlay, evaluated on configuration shaped like the host collector's."""

from __future__ import annotations

from typing import Any

import pytest

from patchcheck.knowledge.advisories import shipped_index
from patchcheck.knowledge.rules import Rule, RuleError, evaluate

INDEX = shipped_index()
ALL_RULES = [rule for advisory in INDEX.advisories for rule in advisory.rules]


def rule(advisory: str, rule_id: str) -> Rule:
    return next(r for r in INDEX.by_id[advisory].rules if r.id == rule_id)


def value(advisory: str, rule_id: str, config: dict[str, Any], service: str | None = None) -> bool | None:
    chosen = rule(advisory, rule_id)
    owner = service or chosen.service
    return evaluate(chosen.expr, config, owner).value


def conf(service: str, filename: str, **sections: dict[str, Any]) -> dict[str, Any]:
    return {service: {filename: {name.replace("__", ":"): options for name, options in sections.items()}}}


def test_every_rule_is_unknown_without_configuration_and_decided_with_empty_files() -> None:
    assert len(ALL_RULES) == 27
    for each in ALL_RULES:
        owner = "nova" if each.service == "*" else each.service
        assert evaluate(each.expr, {}, owner).value is None, each.id
        files = {
            name: {}
            for name in (
                "nova.conf",
                "cinder.conf",
                "glance-api.conf",
                "keystone.conf",
                "ironic.conf",
                "policy.yaml",
                "keystone-paste.ini",
                "plugins/ml2/ml2_conf.ini",
                "proxy-server.conf",
                "octavia.conf",
            )
        }
        result = evaluate(
            each.expr,
            {
                "nova": files,
                "cinder": files,
                "glance": files,
                "keystone": files,
                "ironic": files,
                "neutron": files,
                "swift": files,
                "octavia": files,
            },
            owner,
        )
        assert result.value in (True, False), each.id
        assert result.evidence, each.id


def test_anaconda_precondition() -> None:
    off = conf("ironic", "ironic.conf", DEFAULT={})
    on = conf("ironic", "ironic.conf", DEFAULT={"enabled_deploy_interfaces": "direct,anaconda"})
    assert value("OSSA-2026-012", "ironic-anaconda-deploy-enabled", off) is False
    assert value("OSSA-2026-012", "ironic-anaconda-deploy-enabled", on) is True


def test_ipmitool_console_precondition() -> None:
    default = conf("ironic", "ironic.conf", DEFAULT={})
    socat = conf("ironic", "ironic.conf", DEFAULT={"enabled_console_interfaces": "no-console,ipmitool-socat"})
    assert value("OSSA-2026-008", "ironic-ipmitool-console-enabled", default) is False
    assert value("OSSA-2026-008", "ironic-ipmitool-console-enabled", socat) is True


def test_ldap_precondition() -> None:
    sql = conf("keystone", "keystone.conf", identity={})
    ldap = conf("keystone", "keystone.conf", identity={"driver": "ldap"}, ldap={})
    inverted = conf(
        "keystone", "keystone.conf", identity={"driver": "ldap"}, ldap={"user_enabled_invert": "True"}
    )
    assert value("OSSA-2026-007", "keystone-ldap-enabled-attribute-unsafe", sql) is False
    assert value("OSSA-2026-007", "keystone-ldap-enabled-attribute-unsafe", ldap) is True
    assert value("OSSA-2026-007", "keystone-ldap-enabled-attribute-unsafe", inverted) is False


def test_lockout_precondition() -> None:
    unset = conf("keystone", "keystone.conf", security_compliance={})
    enabled = conf("keystone", "keystone.conf", security_compliance={"lockout_failure_attempts": "5"})
    assert value("OSSA-2021-003", "keystone-account-lockout-enabled", unset) is False
    assert value("OSSA-2021-003", "keystone-account-lockout-enabled", enabled) is True


@pytest.mark.parametrize(
    ("libvirt", "default", "expected"),
    [
        ({}, {}, False),
        ({"images_type": "flat"}, {}, True),
        ({"images_type": "raw"}, {}, True),
        ({}, {"use_cow_images": "False"}, True),
        ({"images_type": "qcow2"}, {"use_cow_images": "false"}, False),
        ({"images_type": "rbd"}, {}, False),
    ],
)
def test_flat_image_backend_precondition(libvirt: dict, default: dict, expected: bool) -> None:
    config = conf("nova", "nova.conf", libvirt=libvirt, DEFAULT=default)
    assert value("OSSA-2026-002", "nova-flat-image-backend", config) is expected


def test_neutron_driver_preconditions() -> None:
    ovs = conf("neutron", "plugins/ml2/ml2_conf.ini", ml2={"mechanism_drivers": "openvswitch,l2population"})
    ovn = conf("neutron", "plugins/ml2/ml2_conf.ini", ml2={"mechanism_drivers": "ovn"})
    assert value("OSSA-2021-001", "neutron-openvswitch-driver", ovs) is True
    assert value("OSSA-2021-001", "neutron-openvswitch-driver", ovn) is False
    assert value("OSSA-2021-004", "neutron-linuxbridge-driver", ovs) is False


def service_token_config(nova_sends: str, cinder_requires: str, policy: dict[str, str]) -> dict[str, Any]:
    return {
        "nova": {"nova.conf": {"service_user": {"send_service_user_token": nova_sends}}},
        "cinder": {
            "cinder.conf": {"keystone_authtoken": {"service_token_roles_required": cinder_requires}},
            "policy.yaml": {"": policy},
        },
    }


GOOD_POLICY = {
    "volume:attachment_delete": "rule:xena_system_admin_or_project_member and rule:is_service",
    "volume_extension:volume_actions:terminate_connection": "rule:xena_system_admin_or_project_member and "
    "rule:is_service",
    "volume_extension:volume_actions:detach": "rule:xena_system_admin_or_project_member and rule:is_service",
    "volume_extension:volume_admin_actions:force_detach": "!",
}


def test_service_token_mitigation_needs_all_steps() -> None:
    ok = service_token_config("true", "True", GOOD_POLICY)
    assert value("OSSA-2023-003", "cinder-attachment-delete-restricted-to-services", ok) is True
    assert value("OSSN-0092", "cinder-attachment-delete-restricted-to-services", ok) is True
    no_token = service_token_config("false", "True", GOOD_POLICY)
    assert value("OSSA-2023-003", "cinder-attachment-delete-restricted-to-services", no_token) is False
    open_detach = service_token_config(
        "true", "true", {**GOOD_POLICY, "volume_extension:volume_admin_actions:force_detach": ""}
    )
    assert value("OSSA-2023-003", "cinder-attachment-delete-restricted-to-services", open_detach) is False
    cinder_only = {"cinder": service_token_config("true", "true", GOOD_POLICY)["cinder"]}
    assert value("OSSA-2023-003", "cinder-attachment-delete-restricted-to-services", cinder_only) is None


def test_glance_location_requirement() -> None:
    hidden = conf("glance", "glance-api.conf", DEFAULT={})
    shown = conf("glance", "glance-api.conf", DEFAULT={"show_multiple_locations": "True"})
    assert value("OSSN-0090", "glance-hides-image-locations", hidden) is True
    assert value("OSSN-0090", "glance-hides-image-locations", shown) is False
    assert value("OSSN-0065", "glance-hides-image-locations", shown) is False


def test_admin_token_auth_requirement_reads_paste_pipelines() -> None:
    bad = conf(
        "keystone",
        "keystone-paste.ini",
        pipeline__api_v3={
            "pipeline": "cors sizelimit url_normalize request_id admin_token_auth json_body service_v3"
        },
    )
    good = conf(
        "keystone",
        "keystone-paste.ini",
        pipeline__api_v3={"pipeline": "cors sizelimit url_normalize request_id json_body service_v3"},
        filter__admin_token_auth={"use": "egg:keystone#admin_token_auth"},
    )
    assert value("OSSN-0064", "keystone-no-admin-token-auth", bad) is False
    assert value("OSSN-0064", "keystone-no-admin-token-auth", good) is True


def test_live_migration_tls_requirement() -> None:
    plain = conf("nova", "nova.conf", libvirt={})
    tls_without_scheme = conf("nova", "nova.conf", libvirt={"live_migration_with_native_tls": "true"})
    tls_with_scheme = conf(
        "nova",
        "nova.conf",
        libvirt={"live_migration_with_native_tls": "true", "live_migration_scheme": "tls"},
    )
    assert value("OSSN-0089", "nova-live-migration-tls-scheme", plain) is True
    assert value("OSSN-0089", "nova-live-migration-tls-scheme", tls_without_scheme) is False
    assert value("OSSN-0089", "nova-live-migration-tls-scheme", tls_with_scheme) is True


def test_rabbit_rules_read_the_service_that_uses_the_library() -> None:
    plain = conf("cinder", "cinder.conf", oslo_messaging_rabbit={})
    tls = conf("cinder", "cinder.conf", oslo_messaging_rabbit={"ssl": "true"})
    verified = conf(
        "cinder",
        "cinder.conf",
        oslo_messaging_rabbit={"ssl": "true", "ssl_enforce_hostname_verification": "true"},
    )
    assert value("OSSN-0096", "rabbit-tls-in-use", plain, "cinder") is False
    assert value("OSSN-0096", "rabbit-tls-in-use", tls, "cinder") is True
    assert value("OSSN-0096", "rabbit-verifies-broker-hostname", tls, "cinder") is False
    assert value("OSSN-0096", "rabbit-verifies-broker-hostname", verified, "cinder") is True


def url(scheme: str | None, query: str | None, empty: bool = False) -> dict[str, Any]:
    """A transport URL as the host collector sends it: redacted, with the parts it keeps."""
    record: dict[str, Any] = {"redacted": True, "empty": empty}
    if scheme is not None:
        record["scheme"] = scheme
    if query is not None:
        record["query"] = query
    return record


@pytest.mark.parametrize(
    ("transport_url", "expected"),
    [
        (url("rabbit", ""), False),  # plain AMQP: oslo.messaging uses TLS only with ssl set
        (url("rabbit", "ssl_version=TLSv1_2"), False),  # a TLS version alone does not switch TLS on
        (url("rabbit", "ssl=0"), False),
        (url("rabbit", "ssl=1"), True),
        (url("rabbit", "ssl=True"), True),  # oslo.config's Boolean, any case
        (url("rabbits", ""), True),  # a TLS scheme errs towards affected
        (url("rabbit", "ssl=?"), None),  # the host did not show the value
        (url("rabbit", "ssl=1&ssl=0"), None),  # given twice: oslo.messaging would refuse it
        (url(None, None), None),  # a redacted value lacking its parts: the facts do not tell
        (url("rabbit", None), None),
        (url(None, None, empty=True), None),  # empty: scheme_is cannot tell what oslo.messaging makes of it
    ],
)
def test_a_redacted_transport_url_is_decided_from_its_kept_parts(
    transport_url: dict[str, Any], expected: bool | None
) -> None:
    config = conf("nova", "nova.conf", DEFAULT={"transport_url": transport_url}, oslo_messaging_rabbit={})
    assert value("OSSN-0096", "rabbit-tls-in-use", config, "nova") is expected


def test_the_notification_transport_counts_and_the_default_url_is_plain() -> None:
    notifications = conf(
        "nova",
        "nova.conf",
        DEFAULT={"transport_url": url("rabbit", "")},
        oslo_messaging_notifications={"transport_url": url("rabbit", "ssl=1")},
    )
    unset = conf("nova", "nova.conf", DEFAULT={"debug": "true"})
    assert value("OSSN-0096", "rabbit-tls-in-use", notifications, "nova") is True
    assert value("OSSN-0096", "rabbit-tls-in-use", unset, "nova") is False  # default rabbit://


def test_url_query_evidence_names_the_kept_parts_only() -> None:
    config = conf("nova", "nova.conf", DEFAULT={"transport_url": url("rabbit", "ssl=1")})
    chosen = rule("OSSN-0096", "rabbit-tls-in-use")
    evidence = " ".join(evaluate(chosen.expr, config, "nova").evidence)
    assert "(redacted; scheme rabbit, query 'ssl=1'), query ssl = '1'" in evidence


def test_a_value_oslo_config_would_reject_is_not_evidence() -> None:
    garbled = conf("glance", "glance-api.conf", DEFAULT={"show_multiple_locations": "maybe"})
    assert value("OSSN-0090", "glance-hides-image-locations", garbled) is None


@pytest.mark.parametrize(
    "expr",
    [
        {},
        {"all": []},
        {"file": "a", "section": "b", "option": "c"},
        {"file": "a", "section": "b", "option": "c", "equals": "x", "contains": "y"},
        {"jmespath": "[?"},
    ],
)
def test_malformed_rules_are_refused_at_build_time(expr: dict) -> None:
    with pytest.raises(RuleError):
        Rule.from_json(
            "OSSA-0000-000",
            {"id": "x", "kind": "precondition", "service": "nova", "reason": "r", "expr": expr},
        )
