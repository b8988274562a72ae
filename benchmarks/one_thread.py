"""One BLAS thread for every contender of a benchmark: import this before NumPy.

Importing it sets OMP/OPENBLAS/MKL_NUM_THREADS to 1 (NumPy's BLAS reads them when it loads);
``pin_threads()`` then also limits the BLAS already loaded (threadpoolctl, when installed) and returns
how, for the report.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def pin_threads():
    """One BLAS thread for NumPy; returns how (for the report)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return "OMP/OPENBLAS/MKL_NUM_THREADS=1"
    threadpool_limits(1)
    return "threadpoolctl (1 thread) and OMP/OPENBLAS/MKL_NUM_THREADS=1"


def torch_one_thread():
    """PyTorch on one thread, the contender every benchmark compares with; None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch
