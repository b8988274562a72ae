"""detect_anomaly: the first backward step that makes NaN or inf is named, with the line that created the op."""
import runpy

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr.autograd import detect_anomaly, grad, is_anomaly_enabled, set_detect_anomaly
from tinygrad_lr.core import grad_mode

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own "divide by zero": expected here


def leaf(values):
    return tinygrad_lr.tensor(values, dtype=tinygrad_lr.float64, requires_grad=True)


def test_log_of_zero_names_the_op_the_formula_and_the_line():
    x = leaf([0.0, 1.0])
    with pytest.raises(RuntimeError) as info:
        with detect_anomaly():
            loss = x.log().sum()  # the culprit: log(0)
            loss.backward()
    text = str(info.value)
    assert text.startswith("LogBackward: backward returned inf in the gradient of input 0 (shape (2,), "
                           "first at index (0,)).")
    assert "The op's formula: out = ln x             ∂L/∂x = g / x" in text
    assert "test_anomaly.py" in text and "loss = x.log().sum()  # the culprit: log(0)" in text
    assert "Typical causes: log(0)" in text


def test_zero_over_zero_in_backward():
    y = leaf([0.0, 1.0])
    z = tinygrad_lr.tensor([0.0, 2.0], dtype=tinygrad_lr.float64)
    with detect_anomaly():
        ratio = z / y  # ∂(z/y)/∂y = −z/y², and at y = 0 that is −0/0
        with pytest.raises(RuntimeError, match=r"DivBackward: backward returned NaN in the gradient of input 1 "
                                               r"\(shape \(2,\), first at index \(0,\)\)[\s\S]*"
                                               r"ratio = z / y  # ∂\(z/y\)/∂y"):
            ratio.sum().backward()


def test_sqrt_at_zero_and_the_second_order_path():
    x = leaf([0.0, 4.0])
    with detect_anomaly():
        with pytest.raises(RuntimeError, match=r"PowBackward: backward returned inf"):
            x.sqrt().sum().backward()
        g, = grad((x * x).sum(), x, create_graph=True)  # finite: fine
        with pytest.raises(RuntimeError, match=r"LogBackward: backward returned inf"):
            grad(g.log().sum(), x)  # gradients that are Tensors are checked too


def test_without_anomaly_mode_the_nan_just_flows():
    x = leaf([0.0, 1.0])
    x.log().sum().backward()
    assert np.isinf(x.grad.numpy()[0])
    assert not is_anomaly_enabled()


def test_the_forward_pass_outside_the_block_is_said():
    x = leaf([0.0])
    loss = x.log().sum()
    with detect_anomaly():
        with pytest.raises(RuntimeError, match=r"LogBackward: backward returned inf[\s\S]*unknown: the forward pass "
                                               r"ran outside detect_anomaly\(\); run it inside too"):
            loss.backward()


def test_check_nan_false_records_lines_and_annotates_other_errors():
    x = leaf([0.0, 1.0])
    with detect_anomaly(check_nan=False):
        x.log().sum().backward()  # no NaN check
        assert np.isinf(x.grad.numpy()[0])
        h = x * 1.0
        out = (h * h).sum()  # MulBackward saves h ...
        h += 1  # ... which is then changed in place
        with pytest.raises(RuntimeError, match="modified by an in-place operation") as info:
            out.backward()
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "(anomaly mode) MulBackward was created at" in notes and "out = (h * h).sum()" in notes


def test_the_mode_is_restored_and_nests():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled()
        with detect_anomaly(check_nan=False):
            assert is_anomaly_enabled() and not grad_mode._anomaly_check_nan
        assert grad_mode._anomaly_check_nan
    assert not is_anomaly_enabled()
    with pytest.raises(ZeroDivisionError):
        with detect_anomaly():
            1 / 0
    assert not is_anomaly_enabled()


def test_decorator_and_set_detect_anomaly():
    @detect_anomaly()
    def step(x):
        assert is_anomaly_enabled()
        return x.log().sum().backward()
    with pytest.raises(RuntimeError, match="LogBackward"):
        step(leaf([0.0]))
    assert not is_anomaly_enabled()
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()
    with set_detect_anomaly(True):
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()
    with pytest.raises(TypeError, match=r"set_detect_anomaly: mode must be True or False, got 'yes'"):
        set_detect_anomaly("yes")


def test_user_code_in_a_folder_named_like_the_package_is_still_shown(tmp_path):
    """Only the library's own frames are left out, not a user's file that happens to sit in .../tinygrad_lr/."""
    folder = tmp_path / "tinygrad_lr"
    folder.mkdir()
    script = folder / "train.py"
    script.write_text("import tinygrad_lr\n"
                      "x = tinygrad_lr.tensor([0.0], requires_grad=True)\n"
                      "with tinygrad_lr.autograd.detect_anomaly():\n"
                      "    loss = x.log().sum()\n"
                      "    loss.backward()\n")
    with pytest.raises(RuntimeError, match=r"train\.py\", line 4[\s\S]*loss = x\.log\(\)\.sum\(\)"):
        runpy.run_path(str(script))
