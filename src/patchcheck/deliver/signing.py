"""Sign a report as the SCS compliance monitor verifies it: ``ssh-keygen -Y sign -n report``.

The signature is an SSH signature (ed25519 keys in practice) over the report
file's bytes in the namespace ``report``; the monitor checks it with
``ssh-keygen -Y verify`` against the subject's allowed signers. The real
``ssh-keygen`` does the cryptography: no hand-made signature format.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from patchcheck.deliver.secrets import check_private
from patchcheck.errors import InputError

NAMESPACE = "report"


def sign(report: Path, key: Path) -> bytes:
    """The armored SSH signature of ``report`` made with ``key`` (a private key file, mode 0600)."""
    check_private(key, "the report signing key")
    ssh_keygen = shutil.which("ssh-keygen")
    if ssh_keygen is None:
        raise InputError("ssh-keygen", "", "not found (on Debian: apt-get install openssh-client)")
    with tempfile.TemporaryDirectory(prefix="patchcheck-sign-") as scratch:
        copy = Path(scratch) / report.name
        copy.write_bytes(report.read_bytes())
        result = subprocess.run(
            [ssh_keygen, "-q", "-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(copy)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            first = (result.stderr.strip().splitlines() or ["no message"])[0]
            raise InputError(key, "", f"ssh-keygen could not sign {report.name} with it: {first}")
        return Path(str(copy) + ".sig").read_bytes()
