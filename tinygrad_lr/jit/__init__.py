"""``tinygrad_lr.compile``: a second execution path beside the eager one, never a replacement.

A training step is recorded while it runs eagerly (``trace.py``: every NumPy call its forward,
backward and update make), written out as a Python function of NumPy calls (``program.py``), and
replayed when its guards hold (``step.py``).  Same kernels, same order, same results; when in
doubt, eager.
"""
from .step import CompiledStep, compile  # noqa: A004

__all__ = ["compile", "CompiledStep"]
