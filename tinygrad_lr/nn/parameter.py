"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""
import numpy as np

from ..core import Tensor
from ..core import dtypes, internal
from ..core.printing import tensor_repr


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered by the module it is assigned to.

    Assigning a ``Parameter`` as a module attribute (``self.weight = Parameter(...)``)
    adds it to ``module.parameters()``; a plain tensor is not registered.  The
    parameter shares memory with the tensor or array it is built from.

    Args:
        data: a Tensor or NumPy array holding the initial values (not copied);
            an empty float32 tensor if omitted.
        requires_grad: whether the optimizer should see gradients for it (default True).

    Example::

        >>> w = Parameter(tinygrad_lr.zeros(2, 1))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=dtypes.get_default_dtype())
        elif not isinstance(data, (Tensor, np.ndarray)):
            raise TypeError(f"Parameter: data must be a Tensor or a NumPy array, got {type(data).__name__}; "
                            "wrap numbers or lists with tinygrad_lr.tensor(...) first")
        internal.init_leaf(self, data)  # shares data's memory (and a Tensor's version counter)
        if requires_grad:
            self.requires_grad_(True)  # refuses integer data, with a message that says so

    def __deepcopy__(self, memo):
        """``copy.deepcopy(model)``: a new parameter with copied values, the same requires_grad and no ``.grad``.

        As in PyTorch, the gradient stays behind (a plain tensor's deep copy takes it along): the
        copy of a model (a target network, the best model so far) starts without gradients.
        """
        copy = Parameter(internal.copy_array(self), self.requires_grad)
        memo[id(self)] = copy  # a parameter shared by two layers stays shared in the copy
        return copy

    def __repr__(self):
        return "Parameter containing:\n" + tensor_repr(self)

    __str__ = __repr__
