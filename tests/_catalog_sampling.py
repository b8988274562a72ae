"""Catalog entries for the differentiable op of the sampling and counting surface: ``meshgrid``.

Each entry is an ``Op`` of tests/_catalog.py (see its docstring): forward against NumPy, float64 finite
differences and PyTorch parity all come from the one entry.  meshgrid gives a tuple of grids, so each
entry combines them into one tensor (a stack, or a product that uses every grid).  The rest of the
surface (multinomial, randint, histogram, histc, all/any, out=, the legacy types) has no gradient and is
tested against PyTorch in tests/ops/test_sampling_surface.py.
"""
import numpy as np

# _catalog.py imports this file at its end, once Op and the shape strategies exist:
from _catalog import Op, fixed

SAMPLING = [
    Op("meshgrid ij, stacked", lambda lib, x, y: lib.stack(lib.meshgrid(x, y, indexing="ij")),
       lambda x, y: np.stack(np.meshgrid(x, y, indexing="ij")), fixed(((3,), (2,)), ((1,), (4,)))),
    Op("meshgrid xy, x * y + x", lambda lib, x, y: (lambda g: g[0] * g[1] + g[0])(lib.meshgrid(x, y, indexing="xy")),
       lambda x, y: (lambda g: g[0] * g[1] + g[0])(np.meshgrid(x, y, indexing="xy")), fixed(((3,), (2,)))),
    Op("meshgrid of three, list, xy", lambda lib, x, y, z: lib.stack(lib.meshgrid([x, y, z], indexing="xy"), -1),
       lambda x, y, z: np.stack(np.meshgrid(x, y, z, indexing="xy"), -1), fixed(((2,), (3,), (4,)))),
    Op("meshgrid of a 0-d tensor and a vector", lambda lib, x, y: lib.stack(lib.meshgrid(x, y, indexing="ij")),
       lambda x, y: np.stack(np.meshgrid(x, y, indexing="ij")), fixed(((), (3,)))),
    Op("meshgrid of one vector", lambda lib, x: lib.meshgrid(x, indexing="ij")[0] * 2, lambda x: x * 2,
       fixed(((4,),))),
]
