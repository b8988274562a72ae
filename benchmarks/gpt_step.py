"""Benchmark: one training step of the small GPT of examples/gpt.py, at the example's size.

    python benchmarks/gpt_step.py            # 30 interleaved rounds of 10 steps per case (under a minute)
    python benchmarks/gpt_step.py --quick    # 3 rounds of 3 steps: proves the runner works (seconds)

The step is the example's: forward (logits and cross-entropy), ``optimizer.zero_grad``,
``loss.backward()``, ``AdamW.step()``, on fixed batches drawn once, outside the timed step.
Contenders, interleaved in one process so a busy machine slows them alike:

- **tinygrad_lr**: the example's model under ``tinygrad_lr.torch``, eager;
- **compiled**: the same step under ``tinygrad_lr.compile`` (it falls back to eager when a step
  cannot be replayed, e.g. dropout's random masks; the run prints ``step.reason`` then);
- **torch**: the example's source with PyTorch's imports, ``torch.set_num_threads(1)``.

Every contender runs on one thread: NumPy's BLAS is pinned with threadpoolctl when it is installed,
and by OMP/OPENBLAS/MKL_NUM_THREADS set before NumPy is imported in any case.  Two cases: the example
as it is (dropout 0.1), and dropout 0, the one a compiled step can replay.  Each round runs every
contender for one untimed step (the caches come back after another contender ran, as in run.py),
then times ``--steps`` steps one by one; the report gives the median and the 10th percentile of
those per-step times and the ratios of the medians.  The contenders start from the same weights;
in the dropout-0 case the first losses are printed side by side as a check.
"""
import os

from one_thread import pin_threads, torch_one_thread  # (first: one BLAS thread per contender, set before NumPy)

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
import tinygrad_lr  # noqa: E402

EXAMPLE = os.path.join(ROOT, "examples", "gpt.py")
TORCH_IMPORTS = {"import tinygrad_lr.torch as torch": "import torch",
                 "import tinygrad_lr.torch.nn as nn": "import torch.nn as nn",
                 "from tinygrad_lr.torch.nn import functional as F": "from torch.nn import functional as F"}


def load_example(framework):
    """examples/gpt.py as a module: as written (tinygrad_lr.torch), or with PyTorch's three imports."""
    if framework == "tinygrad_lr":
        spec = importlib.util.spec_from_file_location("gpt_tinygrad_lr", EXAMPLE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    source = open(EXAMPLE).read()
    for ours, theirs in TORCH_IMPORTS.items():
        assert ours in source, f"examples/gpt.py no longer has the line {ours!r}"
        source = source.replace(ours, theirs)
    module = types.ModuleType("gpt_torch")
    module.__file__ = EXAMPLE
    exec(compile(source, EXAMPLE, "exec"), module.__dict__)
    return module


def fixed_batches(example, count, seed=0):
    """``count`` (x, y) batches of the example's shape, as NumPy int64 arrays, drawn once by NumPy."""
    text = open(example.STORY).read()
    stoi = {ch: i for i, ch in enumerate(sorted(set(text)))}
    data = np.array([stoi[c] for c in text], np.int64)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        ix = rng.integers(0, len(data) - example.block_size - 1, example.batch_size)
        x = np.stack([data[i:i + example.block_size] for i in ix])
        y = np.stack([data[i + 1:i + example.block_size + 1] for i in ix])
        out.append((x, y))
    return out, len(stoi)


def make_step(example, framework_torch, state, dropout):
    """The example's model (weights from ``state``, a dict of NumPy arrays) with AdamW, and its step."""
    example.dropout = dropout
    framework_torch.manual_seed(0)
    model = example.GPTLanguageModel(state["vocab_size"])
    model.load_state_dict({k: framework_torch.tensor(v) for k, v in state["weights"].items()})
    model.train()
    optimizer = framework_torch.optim.AdamW(model.parameters(), lr=example.learning_rate)

    def train_step(xb, yb):
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    return train_step


def timed_rounds(contenders, rounds, steps):
    """Interleaved rounds: per contender one untimed step, then ``steps`` timed one by one.
    Returns {name: [seconds per step, ...]}."""
    times = {name: [] for name in contenders}
    k = 0
    for _ in range(rounds):
        for name, (step, tensors) in contenders.items():
            gc.collect()
            step(*tensors[k % len(tensors)])
            for j in range(steps):
                xb, yb = tensors[(k + j + 1) % len(tensors)]
                t0 = time.perf_counter()
                step(xb, yb)
                times[name].append(time.perf_counter() - t0)
        k += steps + 1
    return times


def case(label, dropout, rounds, steps, torch):
    ours = load_example("tinygrad_lr")
    batches, vocab_size = fixed_batches(ours, 8)
    ours.dropout = dropout
    tinygrad_lr.manual_seed(0)
    weights = {k: v.numpy().copy() for k, v in ours.GPTLanguageModel(vocab_size).state_dict().items()}
    state = {"vocab_size": vocab_size, "weights": weights}

    contenders = {}
    tg_batches = [(ours.torch.tensor(x), ours.torch.tensor(y)) for x, y in batches]
    contenders["tinygrad_lr"] = (make_step(ours, ours.torch, state, dropout), tg_batches)
    compiled = tinygrad_lr.compile(make_step(load_example("tinygrad_lr"), ours.torch, state, dropout))
    contenders["compiled"] = (compiled, tg_batches)
    if torch is not None:
        theirs = load_example("torch")
        t_batches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
        contenders["torch"] = (make_step(theirs, torch, state, dropout), t_batches)

    if dropout == 0:   # the same weights and batch give the same first loss: both train the same model
        first = {"tinygrad_lr": make_step(load_example("tinygrad_lr"), ours.torch, state, 0.0)(*tg_batches[0])}
        if torch is not None:
            first["torch"] = make_step(load_example("torch"), torch, state, 0.0)(*t_batches[0])
        print(f"{label}: first-step loss " + ", ".join(f"{k} {v.item():.6f}" for k, v in first.items()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # compile's fallback warning: reported below instead
        for name, (step, tensors) in contenders.items():
            for i in range(3):                              # warm-up: compile records its program here
                step(*tensors[i % len(tensors)])
        times = timed_rounds(contenders, rounds, steps)

    n_params = sum(v.size for k, v in weights.items() if not k.endswith("tril"))
    print(f"{label}: {n_params} parameters, batch {ours.batch_size} x block {ours.block_size}, "
          f"{rounds} rounds x {steps} steps")
    med = {}
    for name, ts in times.items():
        med[name] = float(np.median(ts))
        print(f"  {name:<12} median {med[name] * 1e3:7.2f} ms/step, 10th percentile "
              f"{np.percentile(ts, 10) * 1e3:7.2f} ms/step")
    if compiled.reason is not None:
        print(f"  compiled: runs eagerly: {compiled.reason}")
    else:
        print(f"  compiled: replayed its NumPy program {compiled.replays} times")
    ratios = [f"compiled/tinygrad_lr {med['compiled'] / med['tinygrad_lr']:.2f}x"]
    if "torch" in med:
        ratios = [f"tinygrad_lr/torch {med['tinygrad_lr'] / med['torch']:.2f}x",
                  f"compiled/torch {med['compiled'] / med['torch']:.2f}x"] + ratios
    print("  -> " + ", ".join(ratios))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="3 rounds of 3 steps: proves the runner works")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds per case (default 30)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per contender and round (default 10)")
    p.add_argument("--only", choices=["dropout", "no-dropout"], action="append")
    args = p.parse_args(argv)
    threads = pin_threads()
    torch = torch_one_thread()
    rounds = args.rounds or (3 if args.quick else 30)
    steps = args.steps or (3 if args.quick else 10)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}; one thread each: "
          f"{threads}, torch.set_num_threads(1)" + (" [quick mode]" if args.quick else ""))
    cases = args.only or ["dropout", "no-dropout"]
    if "dropout" in cases:
        case("gpt step, dropout 0.1 (the example)", 0.1, rounds, steps, torch)
    if "no-dropout" in cases:
        case("gpt step, dropout 0", 0.0, rounds, steps, torch)


if __name__ == "__main__":
    main()
