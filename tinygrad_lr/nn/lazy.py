"""Lazy modules: ``LazyLinear``, ``LazyConv1d``, ``LazyConv2d``, ``LazyBatchNorm1d``, ``LazyBatchNorm2d``.

A lazy module is built without its input size and takes it from its first input, so a network is
written by its output sizes only (the style of d2l.ai's chapters on MLPs and convolutional networks)::

    net = nn.Sequential(nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), ...,
                        nn.Flatten(), nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(10))
    net(torch.zeros(1, 1, 28, 28))     # one dummy batch: every layer learns its input size
    net.apply(init_fn)                 # type(m) == nn.Linear now holds for the former LazyLinear

How, in three steps (``LazyModuleMixin``, as PyTorch's):

1. the constructor runs the eager class's (its argument checks, its attributes) with placeholder sizes, then
   puts ``UninitializedParameter`` s (and ``UninitializedBuffer`` s) where the parameters go: they have a
   dtype, but no shape and no values (``parameter.py``);
2. the first call reads the size from the input (``in_features`` = input.shape[-1]; ``in_channels`` and
   ``num_features`` = input.shape[1], or shape[0] for an unbatched convolution input), gives each
   placeholder its values in place (``materialize``: the same objects, so an optimizer built before holds
   them) and runs the eager class's ``reset_parameters`` (the same initialisation as ``nn.Linear(in, out)``);
3. the module becomes the eager class (``cls_to_become``): ``type(m) is nn.Linear``, and from then on it is
   one, forward, repr and all.

``load_state_dict`` into a lazy module does steps 2 and 3 with the sizes of the checkpoint's tensors (where
PyTorch waits for the first forward to do step 3), so a saved model loads into the lazy network that made it.
"""
from contextlib import contextmanager
from itertools import chain

from ..core import Tensor
from ..core import dtypes
from ..core.grad_mode import no_grad
from ..ops.creation import tensor
from .conv import Conv1d, Conv2d, _count
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, _float_dtype
from .parameter import UninitializedBuffer, UninitializedParameter, is_lazy


class LazyModuleMixin:
    """A module whose parameters get their shapes from its first input (put it first among the bases).

    A subclass writes ``initialize_parameters(*args)``: the sizes from the input, ``materialize`` each
    uninitialized parameter, ``reset_parameters()``.  The mixin calls it on the first call (before forward and
    any hook), then turns the module into ``cls_to_become`` if the class names one.
    """
    cls_to_become = None

    def has_uninitialized_params(self):
        """True while a parameter or buffer of this module (not of its children) has no values yet."""
        return any(is_lazy(t) for t in chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}: a lazy module must define initialize_parameters(self, "
                                  "input), which materializes its parameters from the input's size")

    def __call__(self, *args, **kwargs):
        if self.has_uninitialized_params():
            with no_grad():  # sizing and initialising the parameters is not part of the model's computation
                self.initialize_parameters(*args, **kwargs)
        self._become_eager()  # on the first call, even with nothing to size (LazyBatchNorm1d(affine=False, ...))
        return Module.__call__(self, *args, **kwargs)  # the eager class's forward (type(self) may have changed)

    def _become_eager(self):
        lazy = [name for name, t in chain(self._parameters.items(), self._buffers.items()) if is_lazy(t)]
        if lazy:
            raise RuntimeError(f"{type(self).__name__}: initialize_parameters left {lazy} uninitialized; "
                               "it must call .materialize(shape) on each of them")
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def reset_parameters(self):
        """The eager class's initialisation, once the parameters have shapes (before, there is nothing to fill)."""
        if not self.__dict__.get("_building") and not self.has_uninitialized_params():
            super().reset_parameters()

    @contextmanager
    def _placeholders(self):
        """Run the eager constructor for its checks and attributes without its initialisation: the parameters
        it makes are placeholders, replaced next (drawing their values would use up random numbers)."""
        object.__setattr__(self, "_building", True)  # (before Module.__init__: a plain attribute)
        try:
            yield
        finally:
            self.__dict__.pop("_building", None)

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """As ``Module.state_dict``, with each uninitialized tensor put in as itself (it has no values to share)."""
        destination = {} if destination is None else destination
        for name, t in chain(self._parameters.items(), self._buffers.items()):
            if t is not None and name not in self._non_persistent:
                destination[prefix + name] = t if keep_vars or is_lazy(t) else t.detach()
        return destination

    def _load_sizes(self, state_dict, prefix):
        """``load_state_dict`` calls this first: take the input size from the checkpoint's tensors, materialize
        and become the eager class, so its shape checks and copies then see an ordinary module."""
        if not self.has_uninitialized_params():
            return
        shapes = {name: tuple(state_dict[prefix + name].shape)
                  for name in chain(self._parameters, self._buffers) if hasattr(state_dict.get(prefix + name), "shape")}
        if not shapes:
            return  # none of its tensors is in the checkpoint: load_state_dict reports them missing
        if not hasattr(type(self), "_size_from"):  # a lazy module of one's own: PyTorch's way, each tensor takes
            for name, t in chain(self._parameters.items(), self._buffers.items()):  # its entry's shape
                if is_lazy(t) and name in shapes:
                    t.materialize(shapes[name])
            return
        size = self._size_from(shapes)
        if size is None:
            raise RuntimeError(f"load_state_dict: {type(self).__name__} at '{prefix or '(the model)'}' cannot take "
                               f"its input size from {sorted(prefix + n for n in shapes)} alone; the checkpoint "
                               f"needs '{prefix}weight' (or run the model on a batch before loading)")
        with no_grad():
            self._materialize(size)
        self._become_eager()


# ---- the five lazy modules ------------------------------------------------------------------------------

class LazyLinear(LazyModuleMixin, Linear):
    """``nn.Linear`` whose ``in_features`` is the last dimension of its first input.

    Until then ``in_features`` is 0 and ``weight`` and ``bias`` are ``UninitializedParameter`` s; on the
    first call they get shapes (out_features, in_features) and (out_features,) and Linear's initialisation,
    U(−1/√in_features, 1/√in_features), and the module becomes an ``nn.Linear``.

    Example::

        >>> net = nn.LazyLinear(10)
        >>> net
        LazyLinear(in_features=0, out_features=10, bias=True)
        >>> net(tinygrad_lr.zeros(2, 784)).shape, net
        (torch.Size([2, 10]), Linear(in_features=784, out_features=10, bias=True))
    """
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        with self._placeholders():
            super().__init__(0, out_features, False, device, dtype)  # Linear's checks of out_features and dtype
        self.weight = UninitializedParameter(dtype=self.weight.dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=self.weight.dtype)

    def initialize_parameters(self, input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"LazyLinear: expected a Tensor as input, got {type(input).__name__}; "
                            "convert it with tinygrad_lr.tensor(x) or tinygrad_lr.from_numpy(x)")
        if input.ndim == 0:
            raise ValueError("LazyLinear: got a 0-d input (a single number); in_features is taken from the last "
                             "dimension of the input: give a batch of shape (N, in_features)")
        self._materialize(input.shape[-1])

    def _materialize(self, in_features):
        self.in_features = int(in_features)
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()

    @staticmethod
    def _size_from(shapes):
        weight = shapes.get("weight")
        return weight[-1] if weight else None


class _LazyConvNd(LazyModuleMixin):
    """What LazyConv1d and LazyConv2d share: ``in_channels`` from the first input, dim 1 (dim 0 unbatched)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        groups = _count(type(self).__name__, "groups", groups)
        with self._placeholders():  # in_channels = groups stands in for the unknown one (it must divide it)
            super().__init__(groups, out_channels, kernel_size, stride, padding, dilation, groups, False,
                             padding_mode, device, dtype)
        self.in_channels = 0
        self.weight = UninitializedParameter(dtype=self.weight.dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=self.weight.dtype)

    def initialize_parameters(self, input, *args, **kwargs):
        op, n = type(self).__name__, self._n
        if not isinstance(input, Tensor) or input.ndim not in (n + 1, n + 2):
            got = f"shape {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
            raise RuntimeError(f"{op}: expected a {n + 1}D (unbatched) or {n + 2}D (batched) input, got {got}; "
                               f"in_channels is taken from its channel dimension")
        self._materialize(input.shape[1] if input.ndim == n + 2 else input.shape[0])

    def _materialize(self, in_channels):
        op = type(self).__name__
        if in_channels == 0 or in_channels % self.groups:
            raise ValueError(f"{op}: in_channels must be a positive multiple of groups, got in_channels={in_channels} "
                             f"(the input's channel dimension) and groups={self.groups}")
        self.in_channels = int(in_channels)
        self.weight.materialize((self.out_channels, self.in_channels // self.groups) + self.kernel_size)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()

    def _size_from(self, shapes):
        weight = shapes.get("weight")
        return weight[1] * self.groups if weight and len(weight) > 1 else None


class LazyConv1d(_LazyConvNd, Conv1d):
    """``nn.Conv1d`` whose ``in_channels`` is the channel dimension of its first input, (N, C, L) or (C, L).

    Before the first call ``in_channels`` is 0 and the weight and bias are ``UninitializedParameter`` s;
    then they get Conv1d's shapes and initialisation, and the module becomes an ``nn.Conv1d``.
    """
    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """``nn.Conv2d`` whose ``in_channels`` is the channel dimension of its first input, (N, C, H, W) or (C, H, W).

    Before the first call ``in_channels`` is 0 and the weight and bias are ``UninitializedParameter`` s;
    then they get Conv2d's shapes (out_channels, in_channels/groups, kH, kW) and its initialisation, and the
    module becomes an ``nn.Conv2d``.

    Example::

        >>> conv = nn.LazyConv2d(6, kernel_size=5, padding=2)     # d2l's LeNet, first layer
        >>> conv
        LazyConv2d(0, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
        >>> conv(tinygrad_lr.zeros(1, 1, 28, 28)).shape, conv.weight.shape
        (torch.Size([1, 6, 28, 28]), torch.Size([6, 1, 5, 5]))
    """
    cls_to_become = Conv2d


class _LazyBatchNorm(LazyModuleMixin):
    """What LazyBatchNorm1d and LazyBatchNorm2d share: ``num_features`` from the first input's dim 1."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        with self._placeholders():  # no parameters, no buffers: nothing to size yet
            super().__init__(0, eps, momentum, False, False, device, dtype)
        dt = _float_dtype(type(self).__name__, dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dt)
            if bias:
                self.bias = UninitializedParameter(dtype=dt)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dt)
            self.running_var = UninitializedBuffer(dtype=dt)
            self.num_batches_tracked = tensor(0, dtype=dtypes.int64)

    def initialize_parameters(self, input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}: expected a Tensor as input, got {type(input).__name__}")
        self._check_input_dim(input)  # the batch norm's own error for a wrong number of dims
        self._materialize(input.shape[1])

    def _materialize(self, num_features):
        self.num_features = int(num_features)
        for t in (self.weight, self.bias, self.running_mean, self.running_var):
            if is_lazy(t):
                t.materialize((self.num_features,))
        self.reset_parameters()  # γ = 1, β = 0, running_mean = 0, running_var = 1

    @staticmethod
    def _size_from(shapes):
        sizes = [s[0] for name, s in shapes.items() if name != "num_batches_tracked" and s]
        return sizes[0] if sizes else None


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """``nn.BatchNorm1d`` whose ``num_features`` is dim 1 of its first input, (N, C) or (N, C, L).

    Before the first call ``num_features`` is 0, γ and β are ``UninitializedParameter`` s and the running
    statistics ``UninitializedBuffer`` s (``num_batches_tracked`` is an ordinary 0); then they get shape
    (C,) and BatchNorm1d's initial values, and the module becomes an ``nn.BatchNorm1d``.
    """
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """``nn.BatchNorm2d`` whose ``num_features`` is the channel dimension (dim 1) of its first (N, C, H, W) input.

    As LazyBatchNorm1d; the module becomes an ``nn.BatchNorm2d``.

    Example::

        >>> bn = nn.LazyBatchNorm2d()
        >>> bn
        LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> bn(tinygrad_lr.randn(8, 16, 10, 10)).shape, bn.running_mean.shape
        (torch.Size([8, 16, 10, 10]), torch.Size([16]))
    """
    cls_to_become = BatchNorm2d
