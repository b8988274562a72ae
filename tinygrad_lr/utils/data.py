"""``tinygrad_lr.utils.data``: the same names as ``tinygrad_lr.data`` (PyTorch's import path)."""
from ..data import DataLoader, Dataset, TensorDataset, default_collate  # noqa: F401

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]
