"""What patchcheck knows, independent of any cloud: release series and their lifecycle.

The data is generated from upstream snapshots by ``patchcheck index build`` and
shipped in ``patchcheck/data``; this package reads it.
"""
