"""``Flatten`` and ``Unflatten``: reshape between images (N, 1, 28, 28) and rows (N, 784)."""
import math

from .module import Module


class Flatten(Module):
    """Merge dims ``start_dim`` … ``end_dim`` into one: (N, 1, 28, 28) → (N, 784) by default.

    The default start_dim=1 keeps the batch dim, so ``nn.Sequential(nn.Flatten(), nn.Linear(784, 10))``
    is softmax regression on images.  The gradient is reshaped back.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 784) → (N, 1, 28, 28) with Unflatten(1, (1, 28, 28)).

    One size may be −1 (inferred).  The inverse of ``Flatten``.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(n, int) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        shape = tuple(input.shape)
        d = self.dim + len(shape) if self.dim < 0 else self.dim
        if not 0 <= d < len(shape):
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for input of shape {shape}")
        sizes, known = self.unflattened_size, math.prod(n for n in self.unflattened_size if n != -1)
        fits = shape[d] == known if -1 not in sizes else known and shape[d] % known == 0 and sizes.count(-1) == 1
        if not fits:
            raise ValueError(f"Unflatten: sizes {list(sizes)} don't multiply up to the size of dim {self.dim} "
                             f"({shape[d]}) of the input of shape {shape}")
        return input.reshape(shape[:d] + sizes + shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
