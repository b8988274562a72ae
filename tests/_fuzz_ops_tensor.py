"""Fuzzer statements for the tensor ops of the classification issue: ``OPS_TENSOR`` maps a name to
(op function, weight), exactly like ``OPS`` in tests/_fuzz_graphs.py, which imports this file at its end.

An op function takes the program builder ``b`` and the name ``x`` of a float value, and emits one
statement written with PyTorch's names (``b.emit("lib.sin(x)")``); see op_unary there for the pattern.
"""
OPS_TENSOR = {}
