"""A character-level MLP language model of names: three characters of context predict the fourth.

The bigram model (makemore_bigram.py) sees one character; this one sees ``block_size`` of them.
Each character is looked up in an embedding table C (27 × n_embd), the lookups of the context are
concatenated, and one hidden layer with batch normalisation and tanh maps them to 27 logits::

    emb     = C[X]                                   (B, 3, n_embd)   an embedding lookup per character
    embcat  = emb.view(B, -1)                        (B, 3·n_embd)    the context, concatenated
    hpre    = embcat @ W1                            (B, n_hidden)    (no bias: batch norm removes it)
    hbn     = γ · (hpre − μ_B) / √(σ²_B + ε) + β                      batch norm, μ_B and σ²_B of the batch
    logits  = tanh(hbn) @ W2 + b2                    (B, 27)
    loss    = F.cross_entropy(logits, Y)

Batch norm is written by hand here: in training it normalises with the batch's own mean and
variance and, under ``torch.no_grad()``, keeps running averages of them (momentum 0.01), which
replace them at evaluation and when sampling, where a single example is no batch.  W1 is scaled
by the tanh gain 5/3 over √fan_in and W2 by 0.01, so the first loss is near ln 27 ≈ 3.30 instead
of a confidently wrong 20.

Training draws mini-batches of 32 with ``torch.randint(0, n, (32,), generator=g)`` and takes plain
gradient steps with lr 0.1, then 0.01 for the last quarter (the decay).  The names are split
80/10/10 into train, validation and test; the losses of the splits are evaluated under
``@torch.no_grad()``.

``--model wavenet`` trains instead a deeper model of the same family with PyTorch's modules: 8
characters of context, ``nn.Embedding``, then three times (merge two neighbours,
``nn.Linear``, ``nn.BatchNorm1d``, ``nn.Tanh``), so the context is fused hierarchically, pairs of
characters, then pairs of pairs (as in WaveNet), and ``torch.optim.SGD``.

On examples/data/names.txt (26,069 training examples), the default run (6000 steps, about 5 s)
reaches a validation loss of 2.24 (train 2.18), and ``--model wavenet`` 2.19 (train 2.08, about
7 s), against 2.41 for the bigram table and ln 27 ≈ 3.30 for uniform guessing.  Only the imports
differ from PyTorch::

    python examples/makemore_mlp.py
    python examples/makemore_mlp.py --model wavenet
    python examples/makemore_mlp.py --steps 200 --samples 3
"""
import argparse
import pathlib

import tinygrad_lr.torch as torch  # import torch
import tinygrad_lr.torch.nn as nn  # import torch.nn as nn
import tinygrad_lr.torch.nn.functional as F  # import torch.nn.functional as F

NAMES = pathlib.Path(__file__).resolve().parent / "data" / "names.txt"


def build_dataset(words, stoi, block_size):
    """Every (context, next character) of every word: X (n, block_size) and Y (n,), int64."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size                      # the start of a name: '.' '.' '.'
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]                # slide the window by one character
    return torch.tensor(X), torch.tensor(Y)


def splits(words, stoi, block_size, g):
    """The names shuffled with the generator g, then 80% train, 10% validation, 10% test."""
    order = torch.randperm(len(words), generator=g).tolist()
    words = [words[i] for i in order]
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return {"train": build_dataset(words[:n1], stoi, block_size),
            "val": build_dataset(words[n1:n2], stoi, block_size),
            "test": build_dataset(words[n2:], stoi, block_size)}


# ---- the MLP with batch norm written by hand ----------------------------------------------------
class HandMLP:
    """The parameters, the running batch-norm statistics, and the forward pass of the model above."""

    def __init__(self, vocab_size, block_size, n_embd, n_hidden, g):
        fan_in = n_embd * block_size
        self.C = torch.randn((vocab_size, n_embd), generator=g)
        self.W1 = torch.randn((fan_in, n_hidden), generator=g) * (5 / 3) / fan_in ** 0.5
        self.W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
        self.b2 = torch.zeros(vocab_size)
        self.bngain = torch.ones((1, n_hidden))
        self.bnbias = torch.zeros((1, n_hidden))
        self.bnmean_running = torch.zeros((1, n_hidden))
        self.bnvar_running = torch.ones((1, n_hidden))
        self.parameters = [self.C, self.W1, self.W2, self.b2, self.bngain, self.bnbias]
        for p in self.parameters:
            p.requires_grad = True
        self.training = True

    def __call__(self, X, momentum=0.01, eps=1e-5):
        emb = self.C[X]                                   # (B, block_size, n_embd)
        embcat = emb.view(emb.shape[0], -1)               # (B, block_size · n_embd)
        hpreact = embcat @ self.W1
        if self.training:
            bnmeani = hpreact.mean(0, keepdim=True)
            bnvari = hpreact.var(0, keepdim=True, unbiased=False)
            with torch.no_grad():                         # running estimates for evaluation, no graph
                n = hpreact.shape[0]
                self.bnmean_running = (1 - momentum) * self.bnmean_running + momentum * bnmeani
                self.bnvar_running = (1 - momentum) * self.bnvar_running + momentum * bnvari * n / (n - 1)
        else:
            bnmeani, bnvari = self.bnmean_running, self.bnvar_running
        hpreact = self.bngain * (hpreact - bnmeani) / (bnvari + eps) ** 0.5 + self.bnbias
        h = torch.tanh(hpreact)
        return h @ self.W2 + self.b2

    def train(self, mode=True):
        self.training = mode

    def eval(self):
        self.training = False


# ---- the WaveNet-style hierarchy with PyTorch's modules ----------------------------------------
class FlattenConsecutive(nn.Module):
    """(B, T, C) → (B, T/n, C·n): concatenate the vectors of n neighbouring positions; (B, C·n) at the top."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        x = x.reshape(B, T // self.n, C * self.n)        # not view: PyTorch's view refuses a transposed input
        return x.squeeze(1) if x.shape[1] == 1 else x


class BatchNormLastDim(nn.Module):
    """nn.BatchNorm1d over the last dim: it wants the channels in dim 1, so (B, T, C) is transposed around it."""

    def __init__(self, num_features):
        super().__init__()
        self.bn = nn.BatchNorm1d(num_features)

    def forward(self, x):
        return self.bn(x.transpose(1, 2)).transpose(1, 2) if x.ndim == 3 else self.bn(x)


def wavenet(vocab_size, n_embd, n_hidden):
    layers = [nn.Embedding(vocab_size, n_embd)]
    width = n_embd
    for _ in range(3):                                    # 8 → 4 → 2 → 1 positions
        layers += [FlattenConsecutive(2), nn.Linear(2 * width, n_hidden, bias=False),
                   BatchNormLastDim(n_hidden), nn.Tanh()]
        width = n_hidden
    layers.append(nn.Linear(n_hidden, vocab_size))
    model = nn.Sequential(*layers)
    with torch.no_grad():
        model[-1].weight *= 0.1                           # a less confident first guess
    return model


# ---- training, evaluation, sampling (the same for both models) ---------------------------------
@torch.no_grad()
def split_loss(model, data, split):
    model.eval()
    X, Y = data[split]
    loss = F.cross_entropy(model(X), Y)
    model.train()
    return loss.item()


def train(model, parameters, data, steps, batch_size, lr, g, every, optimizer=None):
    Xtr, Ytr = data["train"]
    losses = []
    for i in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        loss = F.cross_entropy(model(Xb), Yb)
        step_lr = lr if i < 0.75 * steps else lr / 10    # the decay: a tenth for the last quarter
        if optimizer is None:
            for p in parameters:
                p.grad = None
            loss.backward()
            for p in parameters:
                p.data += -step_lr * p.grad
        else:
            for group in optimizer.param_groups:
                group["lr"] = step_lr
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
        if i == 0 or (i + 1) % every == 0 or i + 1 == steps:
            recent = losses[-every:]
            print(f"step {i + 1:5d}/{steps}: lr {step_lr:g}, train loss (mean of the last {len(recent)} "
                  f"batches) {sum(recent) / len(recent):.4f}")
    return losses


@torch.no_grad()
def sample(model, itos, block_size, g, num):
    model.eval()
    names = []
    for _ in range(num):
        out, context = [], [0] * block_size
        while True:
            probs = F.softmax(model(torch.tensor([context])), dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            if ix == 0:
                break
            context = context[1:] + [ix]
            out.append(itos[ix])
        names.append("".join(out))
    model.train()
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=["mlp", "wavenet"], default="mlp")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--every", type=int, default=1000, help="print the training loss every this many steps")
    args = parser.parse_args(argv)

    words = NAMES.read_text().split()
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    V = len(stoi)
    g = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)                          # nn's initialisation (wavenet)
    if args.model == "mlp":
        block_size = 3
        data = splits(words, stoi, block_size, g)
        model = HandMLP(V, block_size, n_embd=10, n_hidden=200, g=g)
        parameters, optimizer = model.parameters, None
    else:
        block_size = 8
        data = splits(words, stoi, block_size, g)
        model = wavenet(V, n_embd=10, n_hidden=68)
        parameters = list(model.parameters())
        optimizer = torch.optim.SGD(parameters, lr=args.lr)
    sizes = ", ".join(f"{k} {v[0].shape[0]}" for k, v in data.items())
    print(f"{args.model}: {block_size} characters of context, {sum(p.nelement() for p in parameters)} parameters; "
          f"examples: {sizes}")
    print(f"before training: train loss {split_loss(model, data, 'train'):.4f} (ln {V} = 3.2958)")
    train(model, parameters, data, args.steps, args.batch_size, args.lr, g, args.every, optimizer)
    for split in ("train", "val"):
        print(f"{split} loss {split_loss(model, data, split):.4f}")
    print("samples:", " ".join(sample(model, itos, block_size, g, args.samples)))


if __name__ == "__main__":
    main()
