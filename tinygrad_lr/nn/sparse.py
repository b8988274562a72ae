"""``Embedding``: a lookup table of learned vectors, one row per token (as PyTorch's ``torch/nn/modules/sparse.py``)."""
import numpy as np

from ..core import Tensor
from ..core import dtypes
from ..core.grad_mode import no_grad
from . import functional as F
from . import init
from .functional_layers import _padding_idx
from .module import Module
from .parameter import Parameter


def _count(name, n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"Embedding: {name} must be an integer, got {n!r}")
    if n < 0:
        raise ValueError(f"Embedding: {name} must be >= 0, got {n}")
    return int(n)


class Embedding(Module):
    """out[i…] = W[input[i…]]: the row of W for each index; a token's vector is learned like any weight.

    ``nn.Embedding(V, d)(idx)`` equals ``one_hot(idx, V).float() @ W`` without building the one-hot
    matrix.  Backward adds each position's gradient into the row it was read from (a row read twice
    gets the sum: see ``functional_layers.Embedding``).  W starts from N(0, 1), PyTorch's default,
    drawn from the seeded generator; the row of ``padding_idx`` starts at zero and is never updated.

    Args:
        num_embeddings: the number of rows, e.g. the vocabulary size; indices are 0 … num_embeddings − 1.
        embedding_dim: the size of each vector.
        padding_idx: a row that gets no gradient (a negative one counts from the end).
        max_norm: looked-up rows with a norm above it are rescaled to it, in place, at each call.
        norm_type: the p of that norm (default 2).
        scale_grad_by_freq: divide each index's gradient by its count in the batch.
        sparse: not supported (sparse gradients); must be False.
        dtype: of the weight (default: the default dtype, float32).

    Shape:
        - input: integer indices of any shape (*)
        - output: (*, embedding_dim)

    Example::

        >>> tok_emb = nn.Embedding(65, 32)             # a character vocabulary of 65
        >>> tok_emb(tinygrad_lr.tensor([[0, 5, 5]])).shape
        torch.Size([1, 3, 32])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = _count("num_embeddings", num_embeddings)
        self.embedding_dim = _count("embedding_dim", embedding_dim)
        self.padding_idx = _padding_idx("Embedding", padding_idx, self.num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            dt = dtypes.to_dtype(dtype, "Embedding") or dtypes.get_default_dtype()
            if not dtypes.is_floating(dt):
                raise TypeError(f"Embedding: the weight needs a floating dtype, got {dtypes.dtype_name(dt)}")
            self.weight = Parameter(np.empty(shape, dtype=dt), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if not isinstance(_weight, Tensor) or tuple(_weight.shape) != shape:
                got = tuple(_weight.shape) if isinstance(_weight, Tensor) else type(_weight).__name__
                raise ValueError(f"Embedding: Shape of weight does not match num_embeddings and embedding_dim: "
                                 f"expected {shape}, got {got}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """W ~ N(0, 1) (PyTorch's default), with the row of padding_idx set to zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is ``embeddings`` (2-d, shared, not copied); frozen unless freeze=False."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            got = f"shape {tuple(embeddings.shape)}" if isinstance(embeddings, Tensor) else type(embeddings).__name__
            raise ValueError(f"Embedding.from_pretrained: Embeddings parameter is expected to be 2-dimensional, "
                             f"got {got}")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s
