"""``torch.accelerator``: none here, so the device line of PyTorch's tutorials picks the CPU::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
"""


def is_available():
    """False: tinygrad_lr computes on the CPU only."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator (PyTorch's answer on a CPU-only machine)."""
    return None


def device_count():
    """0 accelerators."""
    return 0
