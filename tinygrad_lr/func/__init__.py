"""``tinygrad_lr.func``: PyTorch's ``torch.func`` — function transforms for gradients and vectorisation.

- ``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian`` (``transforms.py``):
  derivatives as functions;
- ``vmap`` (``vmap.py``): a function of one sample run on a whole batch at once, each op batched by its
  rule (``core/batching.py``) — ``vmap(grad(loss))`` gives per-sample gradients in one backward pass;
- ``functional_call`` (``functional_call.py``): a module run with a dict of tensors as its parameters;
  ``stack_module_state``: the parameters of an ensemble of models, stacked for ``vmap``.

docs/func.md explains them with the lecture notes' per-sample gradient as the worked example.
"""
from .functional_call import functional_call, stack_module_state
from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from .vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "stack_module_state", "vjp", "vmap"]
