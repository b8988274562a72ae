"""The table of primitives: every built-in differentiable op, forward and backward side by side.

This package is the calculus of the library, to be read top to bottom.  Each op is
a ``Function`` written exactly as a user writes a custom one, in a file by topic
(``binary``, ``unary``, ``reductions`` (with matmul and softmax), ``movement``, ``indexing`` (and joining)), with its
forward formula and its vector–Jacobian product in the docstring.

Notation: ``g`` is ∂L/∂out, the gradient arriving from the op's output; each
backward returns ∂L/∂input for each input (``None`` where no gradient is
needed: see ``ctx.needs_input_grad``).  A gradient of a broadcast shape is
summed back to the input's shape by the engine (``broadcast.sum_to_shape``:
"the adjoint of broadcast is sum"), so no backward here does it itself.

Backwards are written once, in array syntax (``g * y``, ``g @ y.swapaxes(-1, -2)``,
``g.reshape(shape)``): they run on NumPy arrays, and on Tensors (recording a
graph) under ``create_graph=True``.  The two ops with no array-syntax spelling
(broadcast a gradient, scatter it into zeros) are primitives themselves
(``Expand``, ``IndexAdd``) and are called with ``Function.compute``, which works
on both; so are the primitives a backward needs that arrays have no method for
(sin's backward calls ``Cos.compute(x)``, where's calls ``Where.compute``).

The rule for what is here: few primitives; everything else is composed where
it is used (``mean`` is ``sum / n``, ``sqrt`` is ``pow(x, 0.5)``, ``2 ** x`` is
``exp(x · ln 2)``; see ``core/operators.py`` and ``ops/arithmetic.py``).  A primitive that could be a
composition says why, in a docstring line that starts "Primitive, not ..."
(speed, numerical stability or exactness); the two fused ops of
``nn.functional`` say so in a line that starts "Fused".  A branch that exists
only for speed says "speed only" next to it.
"""

from .binary import (  # noqa: F401
    Add, Sub, Mul, Div, PowTensor, Maximum, Minimum, Where, Clamp, Atan2, Hypot, Remainder, Fmod, FloorDivide)
from .unary import (  # noqa: F401
    Neg, Pow, Exp, Log, Abs, ReLU, Sigmoid, Tanh, Cast, Clone, Sin, Cos, Tan, Log1p, Expm1, Sign, Round,
    Floor, Ceil, Trunc, Log2, Log10, Exp2, Asin, Acos, Atan, Erf)
from .reductions import (  # noqa: F401
    Matmul, Sum, Amax, Amin, Norm, Cumsum, Softmax, LogSoftmax)
from .movement import (  # noqa: F401
    Reshape, Transpose, Expand, Permute)
from .indexing import (  # noqa: F401
    Index, IndexAdd, Cat, Stack, IndexPut, CopySlices)
