"""The teaching core: Tensor, Function, the engine and the primitives — all of autograd, and nothing else.

Nothing here imports anything above it (the Tensor surface in ``tinygrad_lr/ops``, nn, optim, data, the
tools).  The files, bottom up:

- leaves (import nothing of the package): ``dtypes``, ``grad_mode``, ``random``, ``arrays``
  (Python data to arrays; ``Size``, ``device``), ``broadcast`` (the adjoint of broadcasting), ``printing``,
  ``copying`` (``copy.copy``, ``copy.deepcopy`` and the refusal of pickle), ``capture`` (the seam through
  which ``tinygrad_lr.compile`` watches);
- ``function``: the Function class (a graph node), and ``views`` (how a write into a view reaches its base);
- ``batching``: the seam through which ``vmap`` runs an op on a batch at once (a batched tensor carries its
  batch dims in front; each primitive's ``batch_rule`` rewrites the call into ordinary ops);
- ``primitives/``: the table of differentiable ops by topic, forward and backward side by side;
- ``tensor``: the Tensor class; ``operators``: what its ``+ − × ÷ ** @``, ``sum`` and ``mean`` do
  (operands, PyTorch's type promotion, one primitive each); ``engine``: the backward pass.  These three
  are the core's one import cycle, closed at the end of tensor.py;
- ``internal``: the few functions the layers above may use besides Tensor's public methods.
"""
from .tensor import Tensor  # noqa: F401  (first: the modules it imports at its end build on it)
from .function import Function  # noqa: F401
