"""The notes' per-sample gradients made visible: ∇ℓ⁽ⁱ⁾ for every sample against vmap(grad), and their mean against
the batch gradient, for linear, ridge, logistic and softmax regression (the API and `tinygrad-lr check`)."""
import io
import types
from contextlib import redirect_stdout

import numpy as np
import pytest

from tinygrad_lr.check import PerSampleCheck, check_per_sample
from tinygrad_lr.cli import check_cmd

CASES = check_cmd._per_sample_cases(0)


@pytest.mark.parametrize("case", CASES, ids=["linear", "ridge", "logistic", "softmax"])
def test_the_notes_per_sample_formulas_match_vmap_grad_and_their_mean_is_the_batch_gradient(case):
    title, formula, loss, params, X, y, formulas = case
    result = check_per_sample(loss, params, X, y, formulas, verbose=False)
    assert isinstance(result, PerSampleCheck) and result and [r.verdict for r in result] == ["ok", "ok"]
    for name, value in params.items():
        G = result.per_sample[name]
        assert G.shape == (len(X),) + np.shape(value)          # one gradient per sample
        np.testing.assert_allclose(G, result.formula[name], atol=1e-12)
        np.testing.assert_allclose(G.mean(axis=0), result.batch[name], atol=1e-12)
        assert not np.allclose(G, G.mean(axis=0))              # and they do differ from sample to sample
    assert str(result).splitlines()[-1] == (f"∇ℓ⁽ⁱ⁾ = your formula for each of the {len(X)} samples, and their "
                                            "mean = the batch gradient")
    assert result._repr_html_().startswith("<table>") and "mean = the batch gradient</p>" in result._repr_html_()


def test_the_linear_case_is_the_notes_formula():
    title, formula, loss, params, X, y, formulas = CASES[0]
    assert formula == "∇ℓ⁽ⁱ⁾ = [x⁽ⁱ⁾r, r],  r = x⁽ⁱ⁾ᵀw + b − y⁽ⁱ⁾"
    result = check_per_sample(loss, params, X, y, formulas, verbose=False)
    w, b = params["w"], params["b"]
    r = X @ w + b - y[:, 0]
    np.testing.assert_allclose(result.per_sample["w"], X * r[:, None], atol=1e-12)
    np.testing.assert_allclose(result.per_sample["b"][:, 0], r, atol=1e-12)


def test_a_wrong_per_sample_formula_fails_and_names_the_sample():
    title, formula, loss, params, X, y, formulas = CASES[0]
    wrong = dict(formulas, b=lambda w, b, x, y: 2 * (x @ w + b - y))                   # the ½ dropped
    result = check_per_sample(loss, params, X, y, wrong, verbose=False)
    assert not result and result["w"] and result["b"].verdict == f"WRONG for {len(X)} of {len(X)} samples"
    assert str(result).splitlines()[-1] == "1 of 2 WRONG: b"
    odd = dict(formulas, w=lambda w, b, x, y: x * (x @ w + b - y) * (1 + (x[0] == X[5, 0])))  # wrong for sample 5
    result = check_per_sample(loss, params, X, y, odd, verbose=False)
    assert result["w"].verdict == f"WRONG for 1 of {len(X)} samples" and result["w"].worst_sample == 5


def test_bad_arguments():
    title, formula, loss, params, X, y, formulas = CASES[0]
    with pytest.raises(ValueError, match=r"check_per_sample: give one formula per parameter: missing for \['b'\]"):
        check_per_sample(loss, params, X, y, {"w": formulas["w"]}, verbose=False)
    with pytest.raises(ValueError, match=r"check_per_sample: X and y must hold the same number of samples"):
        check_per_sample(loss, params, X, y[:3], formulas, verbose=False)


def test_the_command_shows_the_per_sample_section():
    out = io.StringIO()
    with redirect_stdout(out):
        status = check_cmd.cmd_check(types.SimpleNamespace(seed=0))
    text = out.getvalue()
    assert status == 0 and "4 of 4 per-sample checks confirmed (∇ℓ⁽ⁱ⁾ = vmap(grad), mean = batch gradient)" in text
    assert "[per-sample 1] linear regression" in text and "[per-sample 4] softmax regression" in text
    assert text.count("and their mean = the batch gradient") == 4
