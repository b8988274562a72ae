"""Broadcasting and its adjoint.  A leaf module: it imports nothing of the package.

If x of shape (3, 1) is broadcast to (2, 3, 4), every x[i, 0] is used 2·4
times, so ∂L/∂x[i, 0] is the sum of those 8 entries of ∂L/∂out: *the adjoint
of broadcasting is summing*.  Every op that broadcasts relies on this one
helper (the engine calls it when a backward returns a broadcast shape).
"""


def sum_to_shape(g, shape):
    """Sum ``g`` over the axes that broadcasting to ``g.shape`` added (in front) or stretched (size 1).

    Works on NumPy arrays and on Tensors alike (``sum(axis, keepdims)`` and ``reshape``).
    """
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def broadcasts_to(shape, to_shape):
    """True when broadcasting ``shape`` can produce ``to_shape``."""
    return len(shape) <= len(to_shape) and all(
        n == 1 or n == m for n, m in zip(reversed(shape), reversed(to_shape)))
