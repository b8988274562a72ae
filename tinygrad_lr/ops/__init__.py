"""The PyTorch-sized Tensor surface, by topic, above the teaching core.

The core (``tinygrad_lr/core``) has the Tensor a learner reads: values, ``grad``, ``backward``, the
operators of the lecture notes (``+ − × ÷ ** @``, ``sum``, ``mean``), Function, the engine and the
primitives.  Everything else a PyTorch program calls on a tensor lives here, one topic a file, each
file with its functions and a class of Tensor methods that call them:

- ``conversion``: ``to``, ``float()``, ``type()``, ``clone()``, ``new_zeros`` ...;
- ``arithmetic``: element-wise math, comparisons, reductions (max, var, norm ...), cumsum/cumprod/diff, softmax;
- ``elementwise``: ``%``, ``//``, rounding, inverse trig, erf, logical and bitwise ops;
- ``shapes``: reshape, transpose, expand, cat, stack, split, narrow, roll ... (views);
- ``indexing``: ``x[i]`` and ``x[i] = v``; ``gathering``: gather, scatter, masked_fill, sort, topk;
- ``inplace``: ``+=``, ``add_``, ``zero_``, ``exp_`` ... and the rules that keep them safe;
- ``matrices``: diag, diag_embed, triu/tril, trace, meshgrid, einsum;
- ``counting``: histogram, histc, bincount, unique, count_nonzero, median, all/any;
- ``creation``: tensor, zeros, randn, multinomial ...;
- ``out``: PyTorch's ``out=`` keyword; ``legacy``: ``FloatTensor`` and friends.

The core never imports this package: importing it attaches the methods to ``Tensor`` (``attach``).
"""
from ..core.tensor import Tensor
from . import (arithmetic, conversion, counting, creation, elementwise, gathering, indexing, inplace, legacy,  # noqa: F401
               matrices, out, shapes)

_NOT_METHODS = {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__",
                "__static_attributes__"}


def attach(cls, *topics):
    """Give ``cls`` the methods (and properties, aliases) of each topic class, as if written in its body."""
    for topic in topics:
        for name, value in vars(topic).items():
            if name not in _NOT_METHODS:
                setattr(cls, name, value)


attach(Tensor, conversion.ConversionMethods, arithmetic.ArithmeticMethods, elementwise.ElementwiseMethods,
       shapes.ShapesMethods, indexing.IndexingMethods, gathering.GatheringMethods, inplace.InplaceMethods,
       matrices.MatricesMethods, counting.CountingMethods, creation.CreationMethods)
