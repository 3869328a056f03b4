"""Reports: turn a verdicts file into what people and the SCS compliance monitor read.

One module per output format; each reads ``judge.verdicts.Verdicts`` only.
"""
