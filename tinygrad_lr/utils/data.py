"""``tinygrad_lr.utils.data``: the same names as ``tinygrad_lr.data`` (PyTorch's import path)."""
from ..data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, default_collate,  # noqa: F401
                    random_split)

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
