"""Make the collection's plugins importable by the tests that load a module from its file.

The modules import their shared code as Ansible does, from
``ansible_collections.scs.patchcheck.plugins.module_utils``. This checkout is the collection, found
through the link ``scripts/install`` makes in ``.ansible/collections`` (ansible.cfg's collections
path); putting that folder on ``sys.path`` is what ``ansible-test units`` does for a collection.
"""

from __future__ import annotations

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[1] / ".ansible" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "scs" / "patchcheck"

if not (LINK / "galaxy.yml").is_file():
    raise SystemExit(f"tests: {LINK} is missing: run scripts/install first (it links this checkout there)")
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
