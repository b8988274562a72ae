"""``torch.backends``: the answers PyTorch programs ask for before they choose a device, for a library that
computes on the CPU with NumPy.

``torch.backends.mps.is_available()`` and ``torch.backends.cudnn.is_available()`` are False, so the usual
``'mps' if torch.backends.mps.is_available() else 'cpu'`` picks the CPU; the cuDNN switches
(``torch.backends.cudnn.benchmark = True``, ``deterministic``, ``enabled``) can be set and change nothing.
"""


class mps:  # noqa: N801  (PyTorch's module name)
    """Apple's Metal GPUs: none here."""

    @staticmethod
    def is_available():
        """False: there is no MPS device to compute on."""
        return False

    @staticmethod
    def is_built():
        """False: tinygrad_lr is not built with MPS support."""
        return False


class cudnn:  # noqa: N801
    """NVIDIA's cuDNN: not here. Its switches keep PyTorch's defaults and can be set; they change nothing."""

    enabled = True
    benchmark = False
    deterministic = False
    allow_tf32 = True

    @staticmethod
    def is_available():
        """False: there is no cuDNN."""
        return False

    @staticmethod
    def version():
        """None: no cuDNN is loaded."""
        return None


class cuda:  # noqa: N801
    """CUDA: not built in (``torch.cuda.is_available()`` says False too)."""

    class matmul:  # noqa: N801
        allow_tf32 = False

    @staticmethod
    def is_built():
        """False: tinygrad_lr is not built with CUDA."""
        return False
