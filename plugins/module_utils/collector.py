"""Who collected the facts: patchcheck's version and openstacksdk's, for the record and User-Agent.

Neither is required: the module runs on a host without patchcheck installed ("unknown").
"""

from __future__ import annotations


def collector_version() -> str:
    """patchcheck's version where it is installed beside the module, else ``unknown``."""
    try:
        from patchcheck import __version__

        return __version__
    except ImportError:
        return "unknown"


def sdk_version() -> str | None:
    """openstacksdk's version as installed, or None: it explains a client's behaviour in the record."""
    try:
        from importlib.metadata import version

        return version("openstacksdk")
    except Exception:
        return None
