"""Version comparison per source: PEP 440 with pbr dev builds, Debian, RPM."""

import pytest

from patchcheck.knowledge.ranges import parse_range
from patchcheck.knowledge.versions import (
    Match,
    compare_debian,
    compare_rpm,
    debian_upstream,
    match_upstream,
    rpm_upstream,
)

NOVA_2026_002 = parse_range("<30.2.2, >=31.0.0 <31.2.1, >=32.0.0 <32.1.1")


def test_debian_security_revisions_order() -> None:
    assert compare_debian("2:22.0.2-0+deb12u6", "2:22.0.2-0+deb12u5") == 1
    assert compare_debian("2:22.0.2-0+deb12u5", "2:22.0.2-0+deb12u6") == -1
    assert compare_debian("2:22.0.2-0+deb12u6", "2:22.0.2-0+deb12u6") == 0


def test_debian_epoch_and_tilde() -> None:
    assert compare_debian("1:1.0-1", "2.0-1") == 1  # the epoch wins
    assert compare_debian("3:29.0.1-0ubuntu1~cloud0", "3:29.0.1-0ubuntu1") == -1  # ~ sorts before nothing
    assert compare_debian("27.0.0~rc1-1", "27.0.0-1") == -1


def test_upstream_part_of_distribution_versions() -> None:
    assert debian_upstream("2:22.0.2-0+deb12u6") == "22.0.2"
    assert debian_upstream("3:29.0.1-0ubuntu1~cloud0") == "29.0.1"
    assert debian_upstream("2:26.2.2-1~deb12u5") == "26.2.2"
    assert rpm_upstream("1:33.0.2-1.el10") == "33.0.2"
    assert rpm_upstream("27.4.0-1.el9") == "27.4.0"


def test_rpm_epoch_and_release() -> None:
    assert compare_rpm("1:33.0.2-1.el10", "33.0.3-1.el10") == 1  # epoch 1 beats no epoch
    assert compare_rpm("1:33.0.2-2.el10", "1:33.0.2-1.el10") == 1
    assert compare_rpm("1:33.0.2-1.el10", "1:33.0.10-1.el10") == -1  # numeric, not lexical
    assert compare_rpm("1.0~rc1-1", "1.0-1") == -1


def test_pbr_dev_build_of_the_fixed_release_is_unknown() -> None:
    # 31.2.1.dev5: commits after 31.2.0, before 31.2.1, the first fixed release of that line.
    result = match_upstream("31.2.1.dev5", NOVA_2026_002)
    assert result.match is Match.UNKNOWN
    assert "commit evidence" in result.reason


def test_pbr_dev_builds_elsewhere_are_decided() -> None:
    assert (
        match_upstream("31.1.1.dev3", NOVA_2026_002).match is Match.AFFECTED
    )  # before 31.1.1, fix is 31.2.1
    assert match_upstream("31.2.2.dev1", NOVA_2026_002).match is Match.NOT_AFFECTED  # after the fixed release


@pytest.mark.parametrize(
    ("version", "match"),
    [
        ("30.2.1", Match.AFFECTED),
        ("30.2.2", Match.NOT_AFFECTED),
        ("32.1.0", Match.AFFECTED),
        ("33.0.0", Match.NOT_AFFECTED),
        ("not-a-version", Match.UNKNOWN),
    ],
)
def test_release_versions(version: str, match: Match) -> None:
    assert match_upstream(version, NOVA_2026_002).match is match
