"""A small character-level GPT, trained on examples/data/tiny_story.txt (17 KB of prose).

The model reads ``block_size`` characters and predicts, at every position, the next one.  A
decoder-only transformer::

    x = token_embedding(idx) + position_embedding(0 … T−1)          (B, T, n_embd)
    n_layer × Block:   x = x + MultiHeadAttention(LayerNorm(x))      tokens exchange information
                       x = x + FeedForward(LayerNorm(x))             each token thinks on its own
    logits = lm_head(LayerNorm(x))                                   (B, T, vocab_size)

One head of self-attention: every position emits a query q, a key k and a value v (three
``nn.Linear`` without bias); the weights wei = softmax(q·kᵀ/√head_size) say how much each
position takes from each other one, with the future masked out: ``masked_fill(tril == 0,
-inf)`` before the softmax gives it weight 0, so position t sees only positions ≤ t.  ``tril`` is
a buffer (``register_buffer``): it goes into the state dict but is not a parameter.  The heads
run side by side and their outputs are concatenated (``torch.cat``) and projected.  Dropout acts
on the attention weights and after each residual branch; ``model.eval()`` switches it off for
``estimate_loss`` and generation.

Training samples random windows of the text (``torch.randint``, then ``torch.stack``) and
optimises the cross-entropy of every next character with AdamW.  ``generate`` extends a
context one character at a time with ``torch.multinomial`` from the softmax of the last logits
and ``torch.cat`` along time.

At the default size (n_embd 32, 4 heads, 2 layers, block 32, batch 16: 29,619 parameters),
1500 steps take about 20 s and reach a validation loss of 1.64 nats per character (train loss
1.47), against ln 51 ≈ 3.93 for uniform guessing over the story's 51 characters.  PyTorch, on the
same script, reaches 1.65 (other random numbers).  The samples are English-looking words, names
from the story and fragments, not yet sentences.  The script asks for one BLAS thread before
NumPy loads: for matrices this small a second thread only costs, and on a busy machine it made
the run four times slower.  Only the imports differ from PyTorch::

    python examples/gpt.py
    python examples/gpt.py --steps 50 --eval-interval 25 --tokens 100
"""
import argparse
import os
import pathlib

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):   # before NumPy loads: matrices this small run faster
    os.environ.setdefault(_var, "1")                        # on one BLAS thread, above all on a busy machine

import tinygrad_lr.torch as torch  # import torch  # noqa: E402
import tinygrad_lr.torch.nn as nn  # import torch.nn as nn  # noqa: E402
from tinygrad_lr.torch.nn import functional as F  # from torch.nn import functional as F  # noqa: E402

STORY = pathlib.Path(__file__).resolve().parent / "data" / "tiny_story.txt"

# hyperparameters (main() may change them from the command line)
batch_size = 16      # independent windows per step
block_size = 32      # the longest context the model sees
learning_rate = 3e-3
eval_iters = 20      # batches per split in estimate_loss
n_embd = 32
n_head = 4
n_layer = 2
dropout = 0.1


class Head(nn.Module):
    """One head of causal self-attention."""

    def __init__(self, head_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)                                                  # (B, T, hs)
        q = self.query(x)                                                # (B, T, hs)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5              # (B, T, T): the affinities
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))     # no looking ahead
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)                                                # (B, T, hs)
        return wei @ v                                                   # (B, T, hs)


class MultiHeadAttention(nn.Module):
    """Several heads in parallel; their outputs concatenated, then projected back to n_embd."""

    def __init__(self, num_heads, head_size):
        super().__init__()
        self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        return self.dropout(self.proj(out))


class FeedForward(nn.Module):
    """A two-layer MLP applied to each position on its own."""

    def __init__(self, n_embd):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.ReLU(),
            nn.Linear(4 * n_embd, n_embd),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Communication (attention), then computation (feed-forward), each on a pre-LayerNorm residual branch."""

    def __init__(self, n_embd, n_head):
        super().__init__()
        self.sa = MultiHeadAttention(n_head, n_embd // n_head)
        self.ffwd = FeedForward(n_embd)
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


class GPTLanguageModel(nn.Module):

    def __init__(self, vocab_size):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)                               # (B, T, C)
        pos_emb = self.position_embedding_table(torch.arange(T))                # (T, C)
        x = tok_emb + pos_emb                                                   # (B, T, C)
        x = self.blocks(x)
        x = self.ln_f(x)
        logits = self.lm_head(x)                                                # (B, T, vocab_size)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
        return logits, loss

    def generate(self, idx, max_new_tokens):
        """Extend idx (B, T) by max_new_tokens characters, each drawn from the model's next-character softmax."""
        for _ in range(max_new_tokens):
            idx_cond = idx[:, -block_size:]                 # the position table has block_size rows
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :]                       # the last position predicts the next (B, C)
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)    # (B, 1)
            idx = torch.cat((idx, idx_next), dim=1)               # (B, T + 1)
        return idx


def get_batch(data):
    """batch_size random windows of the text: x (B, block_size), and y the same windows one to the right."""
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


@torch.no_grad()
def estimate_loss(model, splits):
    """The mean loss over eval_iters random batches of each split, with dropout off."""
    out = {}
    model.eval()
    for split, data in splits.items():
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(data)
            _, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean()
    model.train()
    return out


def main(argv=None):
    global batch_size, block_size, eval_iters, n_embd, n_head, n_layer, dropout
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1500, help="training steps (max_iters)")
    parser.add_argument("--eval-interval", type=int, default=300)
    parser.add_argument("--eval-iters", type=int, default=eval_iters)
    parser.add_argument("--tokens", type=int, default=300, help="characters to generate at the end")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--block-size", type=int, default=block_size)
    parser.add_argument("--n-embd", type=int, default=n_embd)
    parser.add_argument("--n-layer", type=int, default=n_layer)
    parser.add_argument("--dropout", type=float, default=dropout)
    args = parser.parse_args(argv)
    batch_size, block_size, eval_iters = args.batch_size, args.block_size, args.eval_iters
    n_embd, n_layer, dropout = args.n_embd, args.n_layer, args.dropout
    torch.manual_seed(args.seed)

    text = STORY.read_text()
    chars = sorted(set(text))
    vocab_size = len(chars)
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for i, ch in enumerate(chars)}
    encode = lambda s: [stoi[c] for c in s]            # noqa: E731  text → list of integers
    decode = lambda l: "".join(itos[i] for i in l)     # noqa: E731,E741  list of integers → text

    data = torch.tensor(encode(text), dtype=torch.long)
    n = int(0.9 * len(data))
    splits = {"train": data[:n], "val": data[n:]}

    model = GPTLanguageModel(vocab_size)
    print(f"{len(text)} characters, vocabulary {vocab_size}; "
          f"{sum(p.numel() for p in model.parameters())} parameters "
          f"(n_embd {n_embd}, {n_head} heads, {n_layer} layers, block {block_size}, batch {batch_size})")
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)

    for it in range(args.steps + 1):
        if it % args.eval_interval == 0 or it == args.steps:
            losses = estimate_loss(model, splits)
            print(f"step {it}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
        if it == args.steps:
            break
        xb, yb = get_batch(splits["train"])
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    model.eval()
    context = torch.tensor([encode("The ")], dtype=torch.long)
    print("sample:")
    print(decode(model.generate(context, max_new_tokens=args.tokens)[0].tolist()))


if __name__ == "__main__":
    main()
