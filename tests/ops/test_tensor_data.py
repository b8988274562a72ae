"""What ``tensor(data)`` does with data that a tensor cannot hold: one line naming the dtype or the item, and the fix.

A tensor holds bool, int or float numbers.  Complex numbers (an FFT's output, ``np.roots``) are named by
their dtype, ``complex128 is not supported``, whether they come as a NumPy array, a NumPy scalar or
Python ``complex`` numbers in a list; a non-number is named with its type; an integer beyond int64 and a
NumPy object array say what to convert.
"""
from fractions import Fraction

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import tensor

COMPLEX = r"complex(128|64) is not supported: tensors hold bool, int or float numbers, not complex ones; make one " \
          r"tensor of the \.real part and one of the \.imag part \(or take abs\(\)\)$"


@pytest.mark.parametrize("data, dtype", [
    (np.array([1 + 2j, 3.0]), "complex128"),
    (np.ones((2, 2), dtype=np.complex64), "complex64"),
    (np.complex64(1j), "complex64"),
    (1j, "complex128"),
    ([1.0, 2 + 1j], "complex128"),
    ([[1, 2], [3j, 4]], "complex128"),
    (np.fft.fft(np.arange(4.0)), "complex128"),
], ids=["array", "complex64 array", "numpy scalar", "python scalar", "list", "nested list", "fft"])
def test_complex_data_names_its_dtype(data, dtype):
    with pytest.raises(TypeError, match=rf"^tensor: {dtype} is not supported: ") as info:
        tensor(data)
    assert "None" not in str(info.value)
    with pytest.raises(TypeError, match=rf"^tensor: {COMPLEX}"):
        tensor(data, dtype=tinygrad_lr.float32)      # a dtype does not silently drop the imaginary part


def test_every_door_to_to_array_names_the_complex_dtype():
    z = np.array([1j])
    with pytest.raises(TypeError, match=rf"^Tensor: {COMPLEX}"):
        tinygrad_lr.Tensor(z)
    with pytest.raises(TypeError, match=r"complex128 is not supported"):
        tinygrad_lr.as_tensor(z)
    with pytest.raises(TypeError, match=r"complex128 is not supported"):
        tensor([1.0]).new_tensor([2j])


def test_the_real_and_imaginary_parts_are_the_way():
    z = np.array([1 + 2j, 3 - 1j])
    re, im = tensor(z.real), tensor(z.imag)
    assert re.tolist() == [1.0, 3.0] and im.tolist() == [2.0, -1.0] and re.dtype == tinygrad_lr.float64


@pytest.mark.parametrize("data, pattern", [
    ([1.0, None], r"^tensor: data must be numbers \(bool, int or float\), got None of type NoneType$"),
    ([1j, None], r"^tensor: data must be numbers \(bool, int or float\), got 1j of type complex$"),
    ([Fraction(1, 2)], r"^tensor: data must be numbers \(bool, int or float\), got Fraction\(1, 2\) of type Fraction$"),
    (["1.5"], r"^tensor: data must be numbers \(bool, int or float\), got '1\.5' of type str$"),
    ([2 ** 70], r"^tensor: the integer 1180591620717411303424 does not fit in int64 \(-2\*\*63 to 2\*\*63 - 1\); "
                r"write it as a float$"),
    (np.array([1, 2], dtype=object), r"^tensor: a NumPy array of dtype object is not supported; convert it first, "
                                     r"e\.g\. arr\.astype\(np\.float32\)$"),
], ids=["None", "complex and None", "Fraction", "text", "int beyond int64", "object array of numbers"])
def test_other_data_that_is_not_numbers_is_named(data, pattern):
    with pytest.raises(TypeError, match=pattern):
        tensor(data)


def test_full_with_a_complex_fill_value_is_refused_not_silently_zero():
    """NumPy keeps the real part of 1j (0.0) with a ComplexWarning: a tensor of zeros nobody asked for."""
    with pytest.raises(TypeError, match=r"full: the fill value 1j is complex, which is not supported"):
        tinygrad_lr.full((2,), 1j)
