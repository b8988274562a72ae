"""Twin programs of the character models (see tests/porting/test_twins.py for how twins work): the bigram model
and backprop by hand through an MLP with batch norm, each written ONCE as a function of the module
``torch``, run under ``tinygrad_lr.torch`` and under PyTorch.

The data are names from examples/data/names.txt and the weights come from NumPy, so both runs compute on
the same numbers.  Random draws are the exception: ``torch.multinomial`` draws other indices in each
library, so sampling is compared in distribution only (chi-squared bounds on the first characters).

Backprop by hand: every intermediate of the forward pass keeps its gradient (``retain_grad()``), and each
gradient is derived again by hand with tensor ops, one chain-rule step at a time, then in fused form.  In
float64 each hand gradient must equal autograd's exactly or to 1e-10, and the table of comparisons
(name, exact?, max diff) must read the same under PyTorch, but for one known rounding: PyTorch's tanh
backward computes 1 − y² with a fused multiply-add, so from tanh down its table says "approximate"
(an ulp apart) where ours says "exact" (``BELOW_TANH``).
"""
import pathlib

import numpy as np
import pytest

import tinygrad_lr.torch as facade
from conftest import optional
from test_twins import Show  # (tests/porting/test_twins.py: print a line and remember its numbers)

NAMES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data" / "names.txt"
RTOL = 1e-5


class Given:
    """The numbers both runs share: bigrams and contexts of the first names, and NumPy-drawn weights."""

    def __init__(self, seed=0, num_words=1000, block_size=3, batch=32):
        rng = np.random.default_rng(seed)
        words = NAMES.read_text().split()[:num_words]
        chars = sorted(set("".join(words)))
        self.stoi = {s: i + 1 for i, s in enumerate(chars)}
        self.stoi["."] = 0
        self.V = V = len(self.stoi)
        self.words = words
        xs, ys, X, Y = [], [], [], []
        for w in words:
            chs = ["."] + list(w) + ["."]
            for a, b in zip(chs, chs[1:]):
                xs.append(self.stoi[a])
                ys.append(self.stoi[b])
            context = [0] * block_size
            for ch in w + ".":
                X.append(context)
                Y.append(self.stoi[ch])
                context = context[1:] + [self.stoi[ch]]
        self.xs, self.ys = np.array(xs), np.array(ys)
        self.W = rng.standard_normal((V, V)).astype(np.float32)             # the neural bigram
        ix = rng.integers(0, len(X), batch)                                 # backprop by hand: one batch
        self.Xb, self.Yb = np.array(X)[ix], np.array(Y)[ix]
        n_embd, n_hidden = 10, 64
        f64 = lambda *shape, scale=1.0: rng.standard_normal(shape) * scale  # noqa: E731
        self.C = f64(V, n_embd)
        self.W1 = f64(n_embd * block_size, n_hidden, scale=(5 / 3) / (n_embd * block_size) ** 0.5)
        self.b1 = f64(n_hidden, scale=0.1)       # not 0: a zero would hide a wrong gradient
        self.W2 = f64(n_hidden, V, scale=0.1)
        self.b2 = f64(V, scale=0.1)
        self.bngain = f64(1, n_hidden, scale=0.1) + 1.0
        self.bnbias = f64(1, n_hidden, scale=0.1)


# ---- the programs: PyTorch code, with `torch` a parameter --------------------------------------------
def bigram(torch, given, show):
    """The counting model, then the neural bigram for 20 gradient steps (lr 50, as learners write it)."""
    F = torch.nn.functional
    V = given.V
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in given.words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            N[given.stoi[ch1], given.stoi[ch2]] += 1
    show("N", N)
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    show("P", P)
    xs, ys = torch.tensor(given.xs), torch.tensor(given.ys)
    show("counting model nll", -P[xs, ys].log().mean())

    W = torch.tensor(given.W, requires_grad=True)
    xenc = F.one_hot(xs, num_classes=V).float()
    num = xs.nelement()
    for k in range(20):
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
        show(f"neural bigram step {k + 1}, loss", loss)
    show("W", W)


def backprop_by_hand(torch, given):
    """An MLP with a hand-written batch norm, its forward pass in small steps, and every step's gradient
    by hand; returns the table of ``cmp`` rows."""
    F = torch.nn.functional
    C, W1, b1, W2, b2, bngain, bnbias = (torch.tensor(a, requires_grad=True) for a in (
        given.C, given.W1, given.b1, given.W2, given.b2, given.bngain, given.bnbias))
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    Xb, Yb = torch.tensor(given.Xb), torch.tensor(given.Yb)
    n = Xb.shape[0]

    # forward, chunked into steps small enough to differentiate one at a time
    emb = C[Xb]                                           # (n, 3, n_embd)
    embcat = emb.view(emb.shape[0], -1)                   # (n, 3·n_embd)
    hprebn = embcat @ W1 + b1                             # (n, n_hidden)
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff ** 2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)    # Bessel's correction: 1/(n − 1)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2                                  # (n, 27)
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes                    # for stability: exp never overflows
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()

    for p in parameters:
        p.grad = None
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes, logits, h,
              hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani, embcat, emb]:
        t.retain_grad()
    loss.backward()

    def cmp(name, dt, t):
        """A hand gradient dt against autograd's t.grad: (name, exact?, approximately?, max diff)."""
        assert tuple(dt.shape) == tuple(t.grad.shape), (name, tuple(dt.shape), tuple(t.grad.shape))
        ex = torch.all(dt == t.grad).item()
        app = torch.allclose(dt, t.grad, rtol=0.0, atol=1e-10)
        maxdiff = (dt - t.grad).abs().max().item()
        print(f"{name:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff:.3g}")
        return name, ex, app, maxdiff

    # backward by hand, from the loss down to the embedding table
    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n                   # loss = −mean of the picked log-probabilities
    dprobs = (1.0 / probs) * dlogprobs                     # d log p = dp / p
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)   # broadcast in forward → sum in backward
    dcounts = counts_sum_inv * dprobs                      # the first of counts' two uses
    dcounts_sum = -counts_sum ** -2 * dcounts_sum_inv      # d(1/s) = −ds / s²
    dcounts += torch.ones_like(counts) * dcounts_sum       # the second: each count adds to its row sum
    dnorm_logits = counts * dcounts                        # d exp(x) = exp(x) dx
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h ** 2) * dh                         # tanh′ = 1 − tanh²
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv
    dbndiff2 = 1.0 / (n - 1) * torch.ones_like(bndiff2) * dbnvar
    dbndiff += 2 * bndiff * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0, keepdim=True)
    dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]                           # a row used twice gets both gradients

    table = [cmp(name, dt, t) for name, dt, t in [
        ("logprobs", dlogprobs, logprobs), ("probs", dprobs, probs), ("counts_sum_inv", dcounts_sum_inv,
                                                                      counts_sum_inv),
        ("counts_sum", dcounts_sum, counts_sum), ("counts", dcounts, counts), ("norm_logits", dnorm_logits,
                                                                               norm_logits),
        ("logit_maxes", dlogit_maxes, logit_maxes), ("logits", dlogits, logits), ("h", dh, h), ("W2", dW2, W2),
        ("b2", db2, b2), ("hpreact", dhpreact, hpreact), ("bngain", dbngain, bngain), ("bnbias", dbnbias, bnbias),
        ("bnraw", dbnraw, bnraw), ("bnvar_inv", dbnvar_inv, bnvar_inv), ("bnvar", dbnvar, bnvar),
        ("bndiff2", dbndiff2, bndiff2), ("bndiff", dbndiff, bndiff), ("bnmeani", dbnmeani, bnmeani),
        ("hprebn", dhprebn, hprebn), ("embcat", dembcat, embcat), ("W1", dW1, W1), ("b1", db1, b1),
        ("emb", demb, emb), ("C", dC, C)]]

    # the fused forms: cross-entropy's backward and batch norm's, each in one expression
    loss_fast = F.cross_entropy(logits, Yb)
    print(f"loss {loss.item():.12f}, F.cross_entropy {loss_fast.item():.12f}, "
          f"diff {(loss_fast - loss).abs().item():.3g}")
    table.append(("loss_fast", bool(loss_fast.item() == loss.item()), True, (loss_fast - loss).abs().item()))
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1                             # ∂ℓ/∂logits = (softmax − onehot(y)) / n
    dlogits /= n
    table.append(cmp("logits (fused)", dlogits, logits))
    hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
        hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
    print(f"batch norm in one line: max diff {(hpreact_fast - hpreact).abs().max().item():.3g}")
    table.append(("hpreact_fast", bool((hpreact_fast == hpreact).all().item()), True,
                  (hpreact_fast - hpreact).abs().max().item()))
    dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw
                                        * (dhpreact * bnraw).sum(0))
    table.append(cmp("hprebn (fused)", dhprebn, hprebn))
    return table


# ---- the tests ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch():
    return optional("torch")


@pytest.fixture(scope="module")
def given():
    return Given()


def test_the_bigram_model_prints_pytorchs_numbers(torch, given):
    ours, theirs = Show(), Show()
    bigram(facade, given, ours)
    bigram(torch, given, theirs)
    assert [label for label, _ in ours.lines] == [label for label, _ in theirs.lines]
    for (label, a), (_, b) in zip(ours.lines, theirs.lines):
        if label == "N":
            np.testing.assert_array_equal(a, b)                   # counts are integers: exactly
            continue
        scale = np.abs(b).max() if b.size else 0.0
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale, err_msg=label)
    losses = [v for label, v in ours.lines if label.startswith("neural bigram")]
    assert losses[-1] < losses[0]


def first_characters(torch, given, num, seed=2147483647):
    """``num`` first characters of names drawn from the counting model, with a seeded Generator."""
    V = given.V
    N = np.zeros((V, V), np.int32)
    np.add.at(N, (given.xs, given.ys), 1)
    P = (torch.tensor(N) + 1).float()
    P /= P.sum(1, keepdims=True)
    g = torch.Generator().manual_seed(seed)
    draws = torch.multinomial(P[0], num_samples=num, replacement=True, generator=g)
    return np.bincount(draws.numpy(), minlength=V), P[0].numpy().astype(np.float64)


def test_sampling_draws_pytorchs_distribution(torch, given):
    """Exact draws differ across frameworks (other generators); their distributions must not.  Pearson's
    χ² of each framework's counts against P[0] (26 degrees of freedom: 54.1 is the 0.1% critical
    value), and a two-sample χ² between the two frameworks' counts (the same bound)."""
    num = 20000
    ours, p = first_characters(facade, given, num)
    theirs, _ = first_characters(torch, given, num)
    expected = num * p
    chi2_ours = ((ours - expected) ** 2 / expected).sum()
    chi2_theirs = ((theirs - expected) ** 2 / expected).sum()
    both = ours + theirs
    chi2_two = (((ours - theirs) ** 2) / np.maximum(both, 1)).sum()
    assert chi2_ours < 54.1 and chi2_theirs < 54.1 and chi2_two < 54.1, (chi2_ours, chi2_theirs, chi2_two)
    assert ours.sum() == theirs.sum() == num


def test_sampling_with_the_same_seed_draws_the_same_characters(given):
    a, _ = first_characters(facade, given, 500)
    b, _ = first_characters(facade, given, 500)
    np.testing.assert_array_equal(a, b)


def test_backprop_by_hand_matches_autograd_in_float64(given, capsys):
    table = backprop_by_hand(facade, given)
    print("\n".join(map(str, table)))
    assert len(table) == 30
    for name, exact, approx, maxdiff in table:
        assert exact or (approx and maxdiff <= 1e-10), (name, exact, maxdiff)


# PyTorch's tanh backward rounds 1 − y² once (a fused multiply-add), the hand form (1.0 - h ** 2) * dh
# twice, so under PyTorch these rows (tanh and everything below it) agree to an ulp, not bit for bit;
# under tinygrad_lr.torch, whose tanh backward is that same formula, they agree exactly.
BELOW_TANH = ["hpreact", "bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani",
              "hprebn", "embcat", "W1", "b1", "emb", "C"]


def test_backprop_by_hand_prints_the_same_table_under_pytorch(torch, given):
    ours, theirs = backprop_by_hand(facade, given), backprop_by_hand(torch, given)
    assert [row[0] for row in ours] == [row[0] for row in theirs]
    for (name, exact, approx, maxdiff), (_, t_exact, t_approx, t_maxdiff) in zip(ours, theirs):
        assert approx and t_approx and maxdiff <= 1e-10 and t_maxdiff <= 1e-10, (name, maxdiff, t_maxdiff)
        if name in BELOW_TANH:
            assert exact and not t_exact, (name, exact, t_exact)
        else:
            assert exact == t_exact, (name, exact, t_exact, maxdiff, t_maxdiff)
