"""Which SCS testcases a run reports, by the kinds of facts it judges.

A tenant run cannot see patch levels or configuration, so reporting
scs-0124-ossa-patched as ABORT every night would only be noise: the run reports
the testcases its facts can speak to, and says so in the report's
``run.forced_tests`` (as the SCS compliance suite does for a partial run).
"""

from __future__ import annotations

import re

TENANT_TESTCASES = (
    "scs-0124-maintained-release",
    "scs-0124-ossn-tenant-visible",
    "scs-0125-https-endpoints",
    "scs-0125-tls-profile",
)
HOST_TESTCASES = (
    "scs-0124-maintained-release",
    "scs-0124-ossa-patched",
    "scs-0124-ossn-config",
    "scs-0124-inventory-complete",
)
BY_KIND = {"tenant": TENANT_TESTCASES, "host": HOST_TESTCASES}


def tests_pattern(kinds: set[str]) -> str:
    """An anchored regular expression of the testcases these kinds of facts can decide."""
    ids = sorted({testcase for kind in kinds for testcase in BY_KIND.get(kind, ())})
    return "^(" + "|".join(re.escape(testcase) for testcase in ids) + ")$"
