"""Facts: the contract between the collectors (Ansible) and the judge.

A facts file is JSON with a ``kind`` and a ``schema_version``; its JSON Schema
lives in ``facts/schema/``. The judge reads facts only through ``load_facts``,
which validates before anything is judged, so a partial or hand-edited file
cannot slip through as evidence.
"""

from patchcheck.facts.load import load_facts
from patchcheck.facts.model import Component, Endpoint, HostFacts, TenantFacts, VersionInfo

__all__ = ["Component", "Endpoint", "HostFacts", "TenantFacts", "VersionInfo", "load_facts"]
