"""One seeded source of randomness for every random function (``manual_seed``)."""
import operator

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


# ---- multinomial: indices drawn with the weights of each row -----------------------------------
def _check_probabilities(p, num_samples, replacement):
    """PyTorch's checks of multinomial, each naming the op, the shape and the fix (``p``: a float array)."""
    shape = tuple(p.shape)
    if p.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: the probabilities must be 1-d (one distribution) or 2-d (one per row), "
                           f"got shape {shape}; reshape them, e.g. probs.reshape(-1, {shape[-1] if shape else 1})")
    if isinstance(num_samples, bool) or not hasattr(num_samples, "__index__"):
        raise TypeError(f"multinomial: num_samples must be an integer, got {type(num_samples).__name__} "
                        f"{num_samples!r}")
    num_samples = operator.index(num_samples)
    if not isinstance(replacement, bool):
        raise TypeError(f"multinomial: replacement must be True or False, got {replacement!r}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot draw num_samples = {num_samples} samples; ask for at least 1")
    k = shape[-1]
    if k == 0 and (p.ndim == 1 or shape[0] > 0):
        raise RuntimeError(f"multinomial: the probabilities of shape {shape} have no category to draw from")
    if not replacement and num_samples > k:
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without replacement from {k} "
                           f"categories (shape {shape}); draw at most {k}, or pass replacement=True")
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError(f"multinomial: the probabilities (shape {shape}) contain inf, nan or a negative "
                           "value; they must be finite weights >= 0 (e.g. softmax(logits, dim=-1))")
    if p.size and (p.sum(axis=-1) <= 0).any():
        raise RuntimeError(f"multinomial: a row of the probabilities (shape {shape}) sums to 0, so it is no "
                           "distribution; every row needs a positive weight somewhere")
    return num_samples


def _multinomial_array(p, num_samples, replacement, generator=None):
    """``num_samples`` category indices per row of the weights ``p`` (1-d or 2-d, rows need not sum to 1), int64.

    With replacement: inverse-CDF sampling.  Each draw is a uniform u ∈ [0, 1), and its category is the
    first k with cdf[k] > u, where cdf = cumsum(p) / sum(p) (ending at exactly 1.0, and flat across a
    zero weight, which is therefore never drawn).  One binary search runs for all rows and draws at once
    (⌈log₂ K⌉ vectorised steps), so no loop over rows.

    Without replacement: the exponential race.  Each category k gets an arrival time Eₖ / pₖ with Eₖ
    ~ Exp(1); the first ``num_samples`` to arrive are, in order, a sample drawn one by one without
    replacement (P(k arrives first) = pₖ / Σp, and the race of the others starts afresh).  Zero weights
    arrive at inf, after all the others, as PyTorch fills in with them too.
    """
    p = np.asarray(p, dtype=np.float64)
    num_samples = _check_probabilities(p, num_samples, replacement)
    rows = p.reshape(-1, p.shape[-1])
    rng = _rng(generator)
    if rows.shape[0] == 0:
        return np.zeros((0, num_samples), np.int64)
    if replacement:
        cdf = np.cumsum(rows, axis=-1)
        cdf /= cdf[:, -1:]
        u = rng.random((rows.shape[0], num_samples))
        r = np.arange(rows.shape[0])[:, None]
        lo = np.zeros(u.shape, np.int64)
        hi = np.full(u.shape, rows.shape[1] - 1, np.int64)
        for _ in range((rows.shape[1] - 1).bit_length()):  # the answer k lies in [lo, hi]
            mid = (lo + hi) // 2
            right = cdf[r, mid] <= u
            lo, hi = np.where(right, mid + 1, lo), np.where(right, hi, mid)
        out = lo
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            arrival = rng.standard_exponential(rows.shape) / rows
        first = np.argpartition(arrival, num_samples - 1, axis=-1)[:, :num_samples]  # the first to arrive ...
        order = np.argsort(np.take_along_axis(arrival, first, axis=-1), axis=-1, kind="stable")
        out = np.take_along_axis(first, order, axis=-1)  # ... in the order they arrive
    return np.ascontiguousarray(out).reshape(p.shape[:-1] + (num_samples,))
