"""A character-level bigram model of names, two ways: by counting, then as a one-layer neural net.

Each name is read as a chain of characters framed by '.', which marks its start and its end
(".ada." has the bigrams .a, ad, da, a.).  The model predicts the next character from the current
one only, so it is a 27 × 27 table of probabilities P[i, j] = P(next = j | current = i).

1. **Counting.**  N[i, j] counts how often j follows i (an int32 matrix filled with
   ``N[ix1, ix2] += 1``); P = (N + 1) / row sums, the +1 ("add-one smoothing") so no bigram has
   probability 0.  The quality of P is the average negative log likelihood of the training
   bigrams, nll = −(1/n)·Σ log P[xₖ, yₖ]; guessing uniformly gives ln 27 ≈ 3.296, the table
   2.411 on examples/data/names.txt.  Sampling walks the chain: from '.', draw the next
   character from the row P[ix] with ``torch.multinomial``, until '.' comes back.
2. **A neural net with the same answer.**  Encode the current character one-hot (a row of 27
   with a single 1), multiply by a 27 × 27 weight matrix W: the row of W it picks is the logits,
   counts = exp(logits) and probs = counts / row sums (a softmax).  Gradient descent on the same
   nll, plus a small penalty 0.01·mean(W²) that plays the role of the +1, drives W towards
   log N up to a constant per row, so the net's loss approaches the counting model's: 2.417
   after 150 steps with lr 50.  Sampled with the same seed, the two models then draw (almost) the same
   names.

Only the imports differ from PyTorch::

    python examples/makemore_bigram.py                  # 150 gradient steps, about 5 s
    python examples/makemore_bigram.py --steps 20 --samples 3
"""
import argparse
import math
import pathlib

import tinygrad_lr.torch as torch  # import torch
import tinygrad_lr.torch.nn.functional as F  # import torch.nn.functional as F

NAMES = pathlib.Path(__file__).resolve().parent / "data" / "names.txt"


def read_words(path=NAMES):
    return path.read_text().split()


def vocabulary(words):
    """'.' is 0 and the letters follow in alphabetical order: stoi maps a character to its index, itos back."""
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    return stoi, itos


def bigrams(words, stoi):
    """Every (current, next) pair of every word framed by '.': two int64 tensors xs and ys."""
    xs, ys = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    return torch.tensor(xs), torch.tensor(ys)


def count_bigrams(words, stoi):
    V = len(stoi)
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            N[stoi[ch1], stoi[ch2]] += 1
    return N


def sample(P, itos, g, num):
    """``num`` names drawn from the chain P (rows: the current character) with the generator g."""
    names = []
    for _ in range(num):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            if ix == 0:
                break
            out.append(itos[ix])
        names.append("".join(out))
    return names


def nll(P, xs, ys):
    """The average negative log likelihood −(1/n)·Σ log P[xₖ, yₖ] of the bigrams (xs, ys)."""
    return -P[xs, ys].log().mean()


def neural_bigram(xs, ys, V, steps, lr, seed, reg=0.01, every=10):
    """Gradient descent on one_hot(xs) @ W, softmax, nll + reg·mean(W²); prints the loss every ``every`` steps."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn((V, V), generator=g, requires_grad=True)
    xenc = F.one_hot(xs, num_classes=V).float()       # (n, 27): row k is 1 at xs[k]
    num = xs.nelement()
    for k in range(steps):
        logits = xenc @ W                              # log-counts: the row of W that xs[k] picks
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)  # softmax
        loss = -probs[torch.arange(num), ys].log().mean() + reg * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data += -lr * W.grad
        if k == 0 or (k + 1) % every == 0 or k + 1 == steps:
            print(f"step {k + 1:4d}: loss {loss.item():.4f}")
    with torch.no_grad():                              # the net's table: row i is softmax(W[i])
        counts = W.exp()
        return counts / counts.sum(1, keepdims=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=150, help="gradient steps of the neural bigram")
    parser.add_argument("--lr", type=float, default=50.0, help="learning rate of the neural bigram")
    parser.add_argument("--samples", type=int, default=5, help="names to draw from each model")
    parser.add_argument("--seed", type=int, default=2147483647, help="seed of the torch.Generator")
    args = parser.parse_args(argv)

    words = read_words()
    stoi, itos = vocabulary(words)
    V = len(stoi)
    xs, ys = bigrams(words, stoi)
    print(f"{len(words)} names, {V} characters ('.' starts and ends a name), {xs.nelement()} bigrams")

    # ---- 1. counting --------------------------------------------------------------------------
    N = count_bigrams(words, stoi)
    top = sorted(((N[i, j].item(), itos[i] + itos[j]) for i in range(V) for j in range(V)), reverse=True)[:5]
    print(f"counts N: {V}x{V} int32, total {N.sum().item()}; most common: "
          + ", ".join(f"{b} {c}" for c, b in top))
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    g = torch.Generator().manual_seed(args.seed)
    print("samples from the counts:", " ".join(sample(P, itos, g, args.samples)))
    first = ["."] + list(words[0]) + ["."]
    print(f"the bigrams of {words[0]!r}: " + ", ".join(
        f"{a}{b} {P[stoi[a], stoi[b]].item():.4f}" for a, b in zip(first, first[1:])))
    count_nll = nll(P, xs, ys).item()
    print(f"counting model: nll {count_nll:.4f} (uniform guessing: ln {V} = {math.log(V):.4f})")

    # ---- 2. the same model as a neural net -----------------------------------------------------
    print(f"neural bigram: one_hot(x) @ W, W {V}x{V}, lr {args.lr}, {args.steps} steps")
    P_net = neural_bigram(xs, ys, V, args.steps, args.lr, args.seed)
    net_nll = nll(P_net, xs, ys).item()
    print(f"neural bigram: nll {net_nll:.4f}, counting model {count_nll:.4f}, gap {net_nll - count_nll:+.4f}")
    g = torch.Generator().manual_seed(args.seed)
    print("samples from the net:", " ".join(sample(P_net, itos, g, args.samples)))


if __name__ == "__main__":
    main()
