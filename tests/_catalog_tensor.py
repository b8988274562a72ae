"""Catalog entries for indexing with lists and ranges, gather, scatter, index_select, masked_fill, topk, sort, dot/mv/bmm/outer, repeat, flip, permute, split, chunk.

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences and PyTorch parity all come from the one entry.
"""
# _catalog.py imports this file at its end, once Op and the value and shape strategies exist:
from _catalog import ANY, AWAY_FROM_ZERO, BROADCAST_PAIR, POSITIVE, REAL, Op, fixed  # noqa: F401

TENSOR = []
