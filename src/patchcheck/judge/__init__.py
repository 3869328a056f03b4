"""The judge: facts in, findings out. Plain Python, offline, no cloud access.

``verdict`` defines what a finding is; one module per check computes findings;
the pytest layer in ``patchcheck/compliance`` turns each finding into a test item,
and ``pytest_plugin`` records the outcomes as the verdicts file that the
report stage reads.
"""
