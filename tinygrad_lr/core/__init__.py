"""The autodiff core: Tensor, Function, the engine, the primitives and their front end.

Nothing here imports anything above it (nn, optim, data, the tools).  The files, bottom up:

- leaves (import nothing of the package): ``dtypes``, ``grad_mode``, ``random``, ``arrays``
  (Python data to arrays; ``Size``, ``device``), ``broadcast`` (the adjoint of broadcasting), ``printing``,
  ``copying`` (``copy.copy``, ``copy.deepcopy`` and the refusal of pickle);
- ``tensor``: the Tensor class; ``function``: the Function class (a graph node);
- ``primitives``: the table of differentiable ops, forward and backward side by side;
- the front end that Tensor's methods call: ``operands`` (arguments, promotion), ``arithmetic``,
  ``shapes``, ``indexing``, ``gathering`` (gather, scatter, masked_fill, one_hot, sort, topk), ``inplace``,
  ``structure`` (narrow, diag, ..., all/any, meshgrid, einsum), ``counting`` (histogram, histc), ``out`` (the
  ``out=`` keyword);
- ``engine``: the backward pass;
- ``creation``: ``tensor``, ``zeros``, ``randn``, ``multinomial``, ...; ``legacy``: ``FloatTensor`` and friends;
- ``internal``: the few functions the layers above may use besides Tensor's public methods.
"""
from .tensor import Tensor  # noqa: F401  (first: the modules it imports at its end build on it)
from .function import Function  # noqa: F401
