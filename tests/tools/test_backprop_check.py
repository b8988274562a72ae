"""check_backprop: a 2-layer MLP's backward pass derived by hand, intermediate by intermediate, checked in one
call; the usual slips (×2, ×½, ×n, the sign, a transpose, a missing sum over a broadcast dimension) are named."""
import io

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr.check import BackpropCheck, check_backprop

n, d, H, C = 8, 4, 6, 5
rng = np.random.default_rng(7)
X = rng.standard_normal((n, d))
Y = rng.integers(0, C, size=n)


def forward(dtype=tinygrad_lr.float64):
    """The forward pass one step at a time, as in the exercise: every intermediate kept."""
    def p(shape, scale=0.5):
        return tinygrad_lr.tensor(rng.standard_normal(shape) * scale, dtype=dtype, requires_grad=True)
    W1, b1, W2, b2 = p((d, H)), p((H,)), p((H, C)), p((1, C))
    hpre = tinygrad_lr.tensor(X, dtype=dtype) @ W1 + b1
    h = hpre.tanh()
    logits = h @ W2 + b2
    counts = logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    probs = counts / counts_sum
    logprobs = probs.log()
    loss = -logprobs[range(n), Y].mean()
    return loss, dict(logprobs=logprobs, probs=probs, counts_sum=counts_sum, counts=counts, logits=logits,
                      h=h, hpre=hpre, W2=W2, b2=b2, W1=W1, b1=b1)


def by_hand(t):
    """The backward pass derived by hand, in NumPy."""
    v = {k: x.detach().numpy().astype(np.float64) for k, x in t.items()}
    g = {}
    g["logprobs"] = np.zeros((n, C))
    g["logprobs"][range(n), Y] = -1 / n
    g["probs"] = g["logprobs"] / v["probs"]
    g["counts_sum"] = (-v["counts"] / v["counts_sum"] ** 2 * g["probs"]).sum(1, keepdims=True)
    g["counts"] = g["probs"] / v["counts_sum"] + g["counts_sum"]
    g["logits"] = v["counts"] * g["counts"]
    g["h"] = g["logits"] @ v["W2"].T
    g["W2"] = v["h"].T @ g["logits"]
    g["b2"] = g["logits"].sum(0, keepdims=True)
    g["hpre"] = (1 - v["h"] ** 2) * g["h"]
    g["W1"] = X.T @ g["hpre"]
    g["b1"] = g["hpre"].sum(0)
    return g


def test_a_right_backward_pass_is_all_exact_or_close_and_printed(capsys):
    loss, t = forward()
    result = check_backprop(loss, t, by_hand(t))
    assert isinstance(result, BackpropCheck) and result and len(result) == 11
    assert all(r.verdict in ("exact", "close") and r.max_diff < 1e-12 for r in result)
    assert result["logprobs"].exact  # −1/n at the targets: the same float as autograd's
    out = capsys.readouterr().out
    assert out.splitlines()[1].split() == ["name", "shape", "exact", "close", "max", "diff", "verdict"]
    assert out.splitlines()[-1].startswith("all 11 gradients right (")
    loss.backward()  # the graph was kept: the learner's own backward still works
    np.testing.assert_allclose(t["W1"].grad.numpy(), by_hand(t)["W1"], atol=1e-12)


def test_float32_rounding_is_close_not_exact():
    loss, t = forward(tinygrad_lr.float32)
    hand = {k: v.astype(np.float32) for k, v in by_hand(t).items()}
    result = check_backprop(loss, t, hand, verbose=False)
    assert result and {r.verdict for r in result} <= {"exact", "close"} and "close" in {r.verdict for r in result}


def test_the_usual_slips_are_named():
    loss, t = forward()
    g = by_hand(t)
    hand = dict(g)
    hand["logprobs"] = g["logprobs"] * n              # the 1/n of the mean forgotten
    hand["h"] = -g["h"]                               # the sign
    hand["hpre"] = g["hpre"] / 2                      # a 2 missing
    hand["W1"] = 2 * g["W1"]                          # a ½ dropped
    hand["W2"] = g["W2"].T                            # transposed: (C, H) for (H, C)
    hand["b2"] = tinygrad_lr.tensor(g["logits"])      # (n, C) for (1, C): the sum over the batch missing
    del hand["b1"]                                    # not derived yet
    result = check_backprop(loss, t, hand, verbose=False)
    assert not result
    assert result["logprobs"].verdict == "WRONG" and result["logprobs"].message.startswith(
        f"×{n}: n = {n} times the right value: a 1/n is missing")
    assert result["h"].message.startswith("×−1: the sign is flipped")
    assert result["hpre"].message.startswith("×½: half the right value: a factor 2 is missing")
    assert result["W1"].message.startswith("×2: twice the right value: a ½ dropped")
    assert result["W2"].verdict == "WRONG SHAPE" and result["W2"].message.startswith(
        f"transposed: shape ({C}, {H}) where ({H}, {C}) is expected")
    assert result["b2"].verdict == "WRONG SHAPE" and result["b2"].message.startswith(
        f"missing sum over dim 0 (the broadcast of b2): shape ({n}, {C}) where (1, {C}) is expected")
    assert result["b1"].verdict == "not given" and not result["b1"]
    assert result["logits"].verdict in ("exact", "close")
    text = str(result)
    assert text.splitlines()[-1] == "6 of 11 WRONG: logprobs, h, hpre, W2, b2, W1; 1 not given: b1"
    assert "b1" in text and "not given" in text


def test_a_term_missing_along_a_broadcast_dimension_is_named():
    loss, t = forward()
    g = by_hand(t)
    hand = {"counts": g["probs"] / t["counts_sum"].detach().numpy()}  # the path through counts_sum forgotten
    result = check_backprop(loss, {"counts": t["counts"]}, hand, verbose=False)
    assert result["counts"].message.startswith("missing (or wrong) a sum over dim 1")


def test_the_html_table_for_notebooks():
    loss, t = forward()
    g = by_hand(t)
    html = check_backprop(loss, {"h": t["h"], "W1": t["W1"]}, {"h": -g["h"]}, verbose=False)._repr_html_()
    assert html.startswith("<table>") and "<th style=\"text-align:left\">max diff</th>" in html
    assert "not given" in html and "×−1: the sign is flipped" in html


def test_mistakes_in_the_call_are_explained():
    loss, t = forward()
    with pytest.raises(ValueError, match=r"check_backprop: there is no intermediate named 'dW9'"):
        check_backprop(loss, t, {"dW9": np.zeros(3)}, verbose=False)
    with pytest.raises(ValueError, match=r"check_backprop: intermediate 'x' does not require grad"):
        check_backprop(loss, {"x": tinygrad_lr.tensor(X)}, {}, verbose=False)
    with pytest.raises(TypeError, match=r"check_backprop: loss must be the scalar loss tensor, got a tensor of shape"):
        check_backprop(t["h"], t, {}, verbose=False)
    loss.backward()  # frees the graph
    with pytest.raises(RuntimeError) as info:
        check_backprop(loss, t, {}, file=io.StringIO())
    assert "call it before loss.backward()" in "".join(getattr(info.value, "__notes__", [])) or \
        "second time" in str(info.value)
