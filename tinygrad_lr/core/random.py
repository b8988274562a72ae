"""One seeded source of randomness for every random function (``manual_seed``)."""
import numpy as np

from . import dtypes


class Generator:
    """A seedable random generator, like ``torch.Generator`` (backed by NumPy's PCG64).

    Pass one as ``generator=`` to random functions or to ``DataLoader`` to get a
    stream independent of the global one.
    """

    def __init__(self, device="cpu"):
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns the generator."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: the seed must be an integer, got {seed!r}")
        self._seed = int(seed) % (2 ** 64)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        """Seed from fresh entropy; returns the seed used."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63)))
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the global generator used by randn, rand, normal, init and DataLoader shuffling."""
    return default_generator.manual_seed(seed)


def initial_seed():
    return default_generator.initial_seed()


def _rng(generator):
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a tinygrad_lr.Generator, got {type(generator).__name__}")
    return generator._rng


def _float_dtype(dtype, op):
    dt = dtypes.to_dtype(dtype, op) or dtypes.get_default_dtype()
    if not dtypes.is_floating(dt):
        raise TypeError(f"{op}: random values need a floating dtype, got {dtypes.dtype_name(dt)}")
    return dt


def _normal_array(mean, std, shape, dtype, generator=None):
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")
    dt = _float_dtype(dtype, "normal")
    z = _rng(generator).standard_normal(shape, dtype=dt if dt != dtypes.float16 else dtypes.float32)
    return np.asarray(z * std + mean, dtype=dt)  # an array even for shape (): z * std is a NumPy scalar then


def _uniform_array(a, b, shape, dtype, generator=None):
    if a > b:
        raise ValueError(f"uniform: the lower bound {a} is larger than the upper bound {b}")
    dt = _float_dtype(dtype, "uniform")
    u = _rng(generator).random(shape, dtype=dt if dt != dtypes.float16 else dtypes.float32)
    return np.asarray(u * (b - a) + a, dtype=dt)  # an array even for shape (), as above
