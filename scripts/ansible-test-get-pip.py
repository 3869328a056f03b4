"""Stand-in for ansible-test's pip bootstrap script (``get-pip-<version>.py``).

ansible-test makes each sanity test's virtual environment without pip and fetches a bootstrap
script from ci-files.testing.ansible.com, which machines that reach only PyPI cannot. This does
the same job from what they have: pip from the interpreter's own ``ensurepip``, then the exact
packages ansible-test asked for (its pinned pip, setuptools, wheel) from PyPI. scripts/sanity puts
it where ansible-test looks for its cached copy. Run by ansible-test as ``__main__`` with pip's
install options as arguments.
"""

from __future__ import annotations

import subprocess
import sys

if __name__ == "__main__":
    # get-pip's own flags: they say "do not also install setuptools/wheel", pip has no such option
    options = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", *options], check=True)
