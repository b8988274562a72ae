"""``tinygrad_lr.data`` (also ``tinygrad_lr.utils.data``): data sets and mini-batches.

    from tinygrad_lr.utils import data          # as `from torch.utils import data`
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=10, shuffle=True)
    train, valid = data.random_split(data.TensorDataset(X, y), [0.8, 0.2])   # Subsets, batched the same way
"""
from .collate import default_collate  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset  # noqa: F401
from .split import random_split  # noqa: F401
