"""Delivery: signed SCS reports to the compliance monitor, without loss.

``signing`` signs a report with ``ssh-keygen -Y sign -n report``; ``spool``
keeps every report on disk until the monitor confirmed it; ``monitor`` speaks
the monitor's upload contract. Delivery reads report files only.
"""
