"""The PyPI fallback for Ansible collections unpacks only what requirements.yml names."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import load_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installer() -> ModuleType:
    return load_module(ROOT / "scripts/install_collections.py", "install_collections")


def wheel(path: Path, version: str) -> Path:
    manifest = json.dumps({"collection_info": {"version": version}})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ansible_collections/community/general/MANIFEST.json", manifest)
        archive.writestr("ansible_collections/community/general/plugins/filter/json_query.py", "# code\n")
        archive.writestr("ansible_collections/community/other/MANIFEST.json", manifest)
        archive.writestr("ansible/__init__.py", "")
    return path


def test_only_the_named_collections_are_unpacked(installer: ModuleType, tmp_path: Path) -> None:
    target = tmp_path / "collections"
    installer.unpack_from_wheel(
        wheel(tmp_path / "ansible.whl", "11.4.2"), {"community.general": "11.4.2"}, target
    )
    assert (target / "ansible_collections/community/general/plugins/filter/json_query.py").exists()
    assert not (target / "ansible_collections/community/other").exists()
    assert installer.installed_version("community.general", target) == "11.4.2"


def test_a_wheel_with_another_version_is_refused(installer: ModuleType, tmp_path: Path) -> None:
    refusal = re.escape("bundles community.general 11.0.0, requirements.yml wants 11.4.2")
    with pytest.raises(SystemExit, match=refusal):
        installer.unpack_from_wheel(
            wheel(tmp_path / "ansible.whl", "11.0.0"), {"community.general": "11.4.2"}, tmp_path / "c"
        )


def test_the_installed_collection_matches_requirements(installer: ModuleType) -> None:
    """scripts/install ran (Galaxy or PyPI); what it left must be what requirements.yml names."""
    for name, version in installer.wanted().items():
        assert installer.installed_version(name) == version
