"""bincount, allclose/isclose/equal (functions and methods) and set_num_threads, against PyTorch."""
import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as facade
from conftest import optional


@pytest.mark.parametrize("values, weights, minlength", [
    ([0, 2, 2, 5], None, 0), ([3, 1, 1], None, 6), ([], None, 3), ([0, 1, 1], [0.5, 2.0, 1.0], 0),
    ([4, 0], [1, 2], 2)])
def test_bincount_equals_pytorch(values, weights, minlength):
    torch = optional("torch")
    ours = facade.bincount(facade.tensor(values, dtype=facade.long),
                           None if weights is None else facade.tensor(weights), minlength)
    theirs = torch.bincount(torch.tensor(values, dtype=torch.long),
                            None if weights is None else torch.tensor(weights), minlength)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == facade.tensor(values, dtype=facade.long).bincount(
        None if weights is None else facade.tensor(weights), minlength).tolist()


def test_bincount_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match=r"bincount: input must be non-negative, found -1"):
        tinygrad_lr.bincount(tinygrad_lr.tensor([1, -1]))
    with pytest.raises(RuntimeError, match=r"bincount: input must be a 1-d tensor of non-negative integers"):
        tinygrad_lr.bincount(tinygrad_lr.tensor([1.5]))


def test_closeness_equals_pytorch():
    torch = optional("torch")
    a, b = np.array([1.0, 2.0, np.nan]), np.array([1.0 + 1e-7, 2.1, np.nan])
    for equal_nan in (False, True):
        ta, tb = facade.tensor(a), facade.tensor(b)
        pa, pb = torch.tensor(a), torch.tensor(b)
        assert ta.isclose(tb, equal_nan=equal_nan).tolist() == pa.isclose(pb, equal_nan=equal_nan).tolist()
        assert ta[:1].allclose(tb[:1]) == pa[:1].allclose(pb[:1]) is True
        assert facade.allclose(ta, tb, equal_nan=equal_nan) == torch.allclose(pa, pb, equal_nan=equal_nan)
    assert facade.tensor(a[:2]).equal(facade.tensor(a[:2])) and not facade.equal(facade.tensor(a), facade.tensor(a))


def test_set_num_threads_is_remembered_and_checked(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # remembered only: the BLAS threads of this process
    before = tinygrad_lr.get_num_threads()                   # stay as they are for the tests that follow
    try:
        tinygrad_lr.set_num_threads(1)
        assert tinygrad_lr.get_num_threads() == 1
        with pytest.raises(ValueError, match=r"set_num_threads: expected a positive integer, got 0"):
            tinygrad_lr.set_num_threads(0)
    finally:
        tinygrad_lr.set_num_threads(before)
