"""Benchmark: a training step of LeNet and of a small ResNet block, eager and compiled, against PyTorch.

    python benchmarks/conv_step.py            # 15 interleaved rounds of 5 steps per case (a minute or two)
    python benchmarks/conv_step.py --quick    # 2 rounds of 2 steps at batch 16: proves the runner works
    python benchmarks/conv_step.py --only lenet --rounds 30

Cases (synthetic data drawn once by NumPy; the step cycles through 4 fixed batches):

- ``lenet``: examples/lenet.py's LeNet-5 (Conv2d 1→6, 5 × 5, padding 2; AvgPool2d; Conv2d 6→16;
  AvgPool2d; Linear 400→120→84→10, ReLU), 1 × 28 × 28 images, B = 256, cross-entropy, SGD
  with momentum 0.9;
- ``resnet``: a stem Conv2d 3→16 (3 × 3) + BatchNorm2d + ReLU, one basic block (Conv-BN-ReLU-Conv-BN
  plus the input, ReLU), AdaptiveAvgPool2d(1), Linear 16→10, on 3 × 32 × 32 images, B = 64,
  cross-entropy, SGD with momentum 0.9.

Contenders, interleaved in one process (a busy machine slows them alike), each step
``zero_grad``, forward, loss, ``backward``, ``step``, returning the loss:

- **eager**: the step under ``tinygrad_lr.torch``;
- **compiled**: the same step under ``tinygrad_lr.compile`` (it runs eagerly when it cannot replay the
  step; the report then prints ``step.reason``);
- **torch**: the same source on PyTorch, ``torch.set_num_threads(1)`` (when it is installed).

Every contender runs on one thread: NumPy's BLAS is pinned by threadpoolctl and by
OMP/OPENBLAS/MKL_NUM_THREADS set before NumPy loads.  Each round runs every contender for one untimed
step, then times ``--steps`` steps one by one; the report gives medians and 10th percentiles per step
and the ratios of the medians to PyTorch's (the target: compiled within 1.5× of PyTorch).

Warm-up: 3 untimed steps per contender; 40 for the compiled one.  compile records the step twice (two
recordings must agree) before it replays a program, and its safety net (``verify=True``, the default)
runs the 2nd, 4th, 8th, 16th and 32nd replays eagerly beside the program, so those steps cost more than
an eager one; after 40 calls the next such check is the 64th replay (one step of a long run, which the
median ignores).

glibc's malloc: arrays above its mmap threshold are mapped fresh and unmapped when freed, and freed heap
memory above its trim threshold goes back to the system, so a step pays again for the pages of its large
temporaries.  Raising both (``MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000 python
benchmarks/conv_step.py``) keeps that memory in the process for the next step.  It acts on every contender
alike (PyTorch's CPU tensors come from malloc too), so the comparison stays fair; it is not set by
default, so the numbers are what a user gets without it.

Memory: the peak of NumPy's allocations during one eager step (``tracemalloc``, which NumPy reports
its buffers to), above what is allocated before it, against the size of the activations: the input
and the output of every module the forward pass calls (forward hooks), plus the residual sum.
Those are what a step must hold at once at the end of its forward pass, give or take what autograd
can drop; the target is a peak within 2× of them.
"""
import os

from one_thread import pin_threads, torch_one_thread  # (first: one BLAS thread per contender, set before NumPy)

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tinygrad_lr  # noqa: E402
import tinygrad_lr.torch as facade  # noqa: E402

N_BATCHES = 4
WARMUP = 3            # untimed steps before the rounds
COMPILED_WARMUP = 40  # ... for the compiled step: 2 recordings, then past the safety net's checks (see the docstring)
TARGET = 1.5        # compiled / torch
MEMORY_TARGET = 2.0  # peak / activations


# ---- the models, written once as functions of the module `torch` ---------------------------------------
def lenet(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def resnet(torch):
    nn = torch.nn

    class BasicBlock(nn.Module):
        """relu(bn2(conv2(relu(bn1(conv1(x))))) + x): the block of ResNet-18, channels and size kept."""

        def __init__(self, channels):
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.relu1 = nn.ReLU()
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.relu2 = nn.ReLU()

        def forward(self, x):
            y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
            return self.relu2(y + x)

    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                         BasicBlock(16), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


CASES = {"lenet": (lenet, (1, 28, 28), 256, "LeNet-5, 1 x 28 x 28"),
         "resnet": (resnet, (3, 32, 32), 64, "stem + ResNet basic block (16 channels), 3 x 32 x 32")}


def make_step(torch, make, weights):
    torch.manual_seed(0)
    net = make(torch)
    net.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    net.train()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_step(X, y):
        optimizer.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        optimizer.step()
        return loss

    return net, train_step


def timed_rounds(contenders, rounds, steps):
    """Interleaved rounds: per contender one untimed step, then ``steps`` timed one by one."""
    times = {name: [] for name in contenders}
    for r in range(rounds):
        for name, (step, batches) in contenders.items():
            gc.collect()
            step(*batches[r % N_BATCHES])
            for j in range(steps):
                X, y = batches[(r + j + 1) % N_BATCHES]
                t0 = time.perf_counter()
                step(X, y)
                times[name].append(time.perf_counter() - t0)
    return times


def activation_bytes(net, X):
    """The input plus the output of every module the forward pass calls (hooks on the leaf modules), plus
    the residual sum y + x of each basic block (an add of tensors, no module): (bytes, number of tensors)."""
    sizes = {}

    def hook(module, args, out):
        sizes[module] = out.numel() * out.element_size()
    handles = [m.register_forward_hook(hook) for m in net.modules() if not list(m.children())]
    with facade.no_grad():
        net(X)
    for h in handles:
        h.remove()
    sums = [sizes[m.bn2] for m in net.modules() if type(m).__name__ == "BasicBlock"]
    total = X.numel() * X.element_size() + sum(sizes.values()) + sum(sums)
    return total, 1 + len(sizes) + len(sums)


def peak_bytes(step, X, y):
    """The peak of traced allocations (NumPy's buffers included) during one step, above the start."""
    step(X, y)                     # warm: the optimizer's state exists, a compiled step has its program
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    step(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - start


def case(name, rounds, steps, batch, torch):
    make, image, default_batch, title = CASES[name]
    batch = batch or default_batch
    rng = np.random.default_rng(0)
    batches_np = [(rng.standard_normal((batch,) + image).astype(np.float32), rng.integers(0, 10, batch))
                  for _ in range(N_BATCHES)]
    tinygrad_lr.manual_seed(0)
    weights = {k: v.numpy().copy() for k, v in make(facade).state_dict().items()}

    ours = [(facade.tensor(X), facade.tensor(y)) for X, y in batches_np]
    net, eager = make_step(facade, make, weights)
    compiled_net, plain = make_step(facade, make, weights)
    compiled = tinygrad_lr.compile(plain)
    contenders = {"eager": (eager, ours), "compiled": (compiled, ours)}
    if torch is not None:
        theirs = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in batches_np]
        contenders["torch"] = (make_step(torch, make, weights)[1], theirs)
        first = {k: step(*b[0]).item() for k, (step, b) in contenders.items() if k != "compiled"}
        print(f"{name}: first-step loss " + ", ".join(f"{k} {v:.6f}" for k, v in first.items()))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # compile's fallback warning: reported below instead
        for name, (step, b) in contenders.items():
            for i in range(COMPILED_WARMUP if name == "compiled" else WARMUP):
                step(*b[i % N_BATCHES])
        times = timed_rounds(contenders, rounds, steps)

    n_params = sum(v.size for k, v in weights.items() if "running" not in k and "num_batches" not in k)
    print(f"{title}, B = {batch}, SGD momentum 0.9: {n_params} parameters, {rounds} rounds x {steps} steps")
    med = {}
    for who, ts in times.items():
        med[who] = float(np.median(ts))
        print(f"  {who:<9} median {med[who] * 1e3:8.2f} ms/step, 10th percentile {np.percentile(ts, 10) * 1e3:8.2f}")
    if compiled.reason is not None:
        print(f"  compiled: runs eagerly: {compiled.reason}")
    else:
        print(f"  compiled: replayed its NumPy program {compiled.replays} times")
    ratios = [f"compiled/eager {med['compiled'] / med['eager']:.2f}x"]
    if "torch" in med:
        verdict = "met" if med["compiled"] / med["torch"] <= TARGET else "missed"
        ratios = [f"eager/torch {med['eager'] / med['torch']:.2f}x",
                  f"compiled/torch {med['compiled'] / med['torch']:.2f}x (target <= {TARGET}x: {verdict})"] + ratios
    print("  -> " + ", ".join(ratios))

    acts, count = activation_bytes(net, ours[0][0])
    for who, step in (("eager", eager), ("compiled", compiled)):
        peak = peak_bytes(step, *ours[1])
        verdict = "met" if peak / acts <= MEMORY_TARGET else "missed"
        print(f"  memory, {who}: peak {peak / 2**20:.1f} MiB during a step, activations {acts / 2**20:.1f} MiB "
              f"({count} tensors): {peak / acts:.2f}x (target <= {MEMORY_TARGET}x: {verdict})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 rounds of 2 steps at batch 16: proves the runner works")
    p.add_argument("--rounds", type=int, default=None, help="interleaved rounds per case (default 15)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per contender and round (default 5)")
    p.add_argument("--batch", type=int, default=None, help="batch size (default: 256 for lenet, 64 for resnet)")
    p.add_argument("--only", choices=list(CASES), action="append")
    args = p.parse_args(argv)
    threads = pin_threads()
    torch = torch_one_thread()
    rounds = args.rounds or (2 if args.quick else 15)
    steps = args.steps or (2 if args.quick else 5)
    batch = args.batch or (16 if args.quick else None)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}; one thread each: "
          f"{threads}, torch.set_num_threads(1)" + (" [quick mode]" if args.quick else ""))
    for name in args.only or list(CASES):
        case(name, rounds, steps, batch, torch)


if __name__ == "__main__":
    main()
