"""patchcheck: proof for SCS scs-0124 that an OpenStack cloud runs maintained, patched software.

Data flows one way: collect -> facts -> judge -> report -> deliver. The
collectors are Ansible roles (roles/); everything after the facts is this
package: ``facts`` (the contract), ``knowledge`` (release series, advisories),
``judge`` (verdicts), ``report`` (SCS report, line protocol, JUnit).
"""

__version__ = "0.1.0"
