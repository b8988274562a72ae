"""``tinygrad_lr.compile``: a second execution path beside the eager one, never a replacement.

A training step is recorded while it runs eagerly, written out as a Python function of NumPy calls,
and replayed when its guards hold.  Same kernels, same order, same results; when in doubt, eager.
The core knows nothing of this package: it calls ``core/capture.py`` at a few named points, and
from those calls (and from ``recording.py``, which marks each optimizer's step) the recorder learns
which op, backward step or update it is watching — never from the call stack, file names or docstrings.

The files, one job each, in the order a call meets them:

- ``compiled.py``: ``compile`` and ``CompiledStep`` — the dispatch (which program a call runs, when to
  record, when to give up and stay eager) and the cache of programs per argument signature;
- ``world.py``: what the step reaches — its modules, optimizers and tensors, by which names, and every
  Python value it reads on the way (each one a guard);
- ``recording.py``: one recorded eager call, what it left behind (and any Python state it changed: a side
  effect the program would skip), and its fingerprint (two recordings that agree become a program); it
  marks each optimizer's ``step`` for the recorder;
- ``tracing.py``: the tracing arrays (an ndarray and a float subclass) that hand every NumPy call made on
  them to the recorder;
- ``trace.py``: the recorder — the calls it notes, where each comes from (told by ``core/capture.py``),
  and whose read of a value it is;
- ``program.py``: code generation — a recording written out as readable NumPy source;
- ``guards.py``: what must still hold for a program to stand in for the step;
- ``replay.py``: one program with its names, the generated glue and fast path that run it and leave
  behind what the eager step would, and the program run beside the eager step (check mode, the safety net).
"""
from .compiled import CompiledStep, compile  # noqa: A004

__all__ = ["compile", "CompiledStep"]
