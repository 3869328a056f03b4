"""Install the Ansible collections named in requirements.yml.

First from Ansible Galaxy; when Galaxy cannot be reached (air-gapped clouds,
restricted CI), from the ``ansible`` community package on PyPI, which bundles
the same collections: its wheel is downloaded with pip and only the folders
named in requirements.yml are unpacked into the project-local collections path
(``.ansible/collections``, see ansible.cfg). The version in requirements.yml
must equal the one bundled in ANSIBLE_PACKAGE, so both paths give the same code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.yml"
COLLECTIONS_PATH = ROOT / ".ansible" / "collections"
#: The community package whose bundled collections match requirements.yml.
ANSIBLE_PACKAGE = "ansible==12.3.0"
GALAXY_TIMEOUT_S = 20


def wanted(requirements: Path = REQUIREMENTS) -> dict[str, str]:
    """Collection name -> exact version, from requirements.yml."""
    data = yaml.safe_load(requirements.read_text()) or {}
    result = {}
    for entry in data.get("collections", []):
        result[entry["name"]] = str(entry["version"])
    return result


def installed_version(name: str, path: Path = COLLECTIONS_PATH) -> str | None:
    namespace, collection = name.split(".", 1)
    manifest = path / "ansible_collections" / namespace / collection / "MANIFEST.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["collection_info"]["version"]


def from_galaxy() -> bool:
    ansible_galaxy = Path(sys.executable).with_name("ansible-galaxy")
    result = subprocess.run(
        [
            str(ansible_galaxy),
            "collection",
            "install",
            "-r",
            str(REQUIREMENTS),
            "-p",
            str(COLLECTIONS_PATH),
            "--timeout",
            str(GALAXY_TIMEOUT_S),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def unpack_from_wheel(wheel: Path, names: dict[str, str], path: Path = COLLECTIONS_PATH) -> None:
    """Unpack only the wanted collections; refuse a wheel with other versions."""
    with zipfile.ZipFile(wheel) as archive:
        for name, version in names.items():
            namespace, collection = name.split(".", 1)
            prefix = f"ansible_collections/{namespace}/{collection}/"
            members = [member for member in archive.namelist() if member.startswith(prefix)]
            if not members:
                raise SystemExit(f"install_collections: error: {wheel.name} has no {name}")
            bundled = json.loads(archive.read(prefix + "MANIFEST.json"))["collection_info"]["version"]
            if bundled != version:
                raise SystemExit(
                    f"install_collections: error: {wheel.name} bundles {name} {bundled}, "
                    f"requirements.yml wants {version}; change one of them so they agree"
                )
            target = path / "ansible_collections" / namespace / collection
            shutil.rmtree(target, ignore_errors=True)
            for member in members:
                if member.endswith("/") or ".." in Path(member).parts:
                    continue
                destination = path / member
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.read(member))


def from_pypi(names: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--disable-pip-version-check",
                ANSIBLE_PACKAGE,
                "-d",
                scratch,
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        (wheel,) = Path(scratch).glob("ansible-*.whl")
        unpack_from_wheel(wheel, names)


def main() -> int:
    names = wanted()
    missing = {name: version for name, version in names.items() if installed_version(name) != version}
    if not missing:
        return 0
    COLLECTIONS_PATH.mkdir(parents=True, exist_ok=True)
    if from_galaxy() and all(installed_version(name) == version for name, version in names.items()):
        print("install_collections: installed from Ansible Galaxy", file=sys.stderr)
        return 0
    print(
        f"install_collections: Galaxy unreachable; taking {', '.join(missing)} from {ANSIBLE_PACKAGE} (PyPI)",
        file=sys.stderr,
    )
    from_pypi(missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
