"""tinygrad_lr.compile on convolutional steps: the same results as eager, and no more memory.

Each test trains two copies of one small convolutional network from one seed, one with the eager
step and one with the compiled step, on the same batches, and compares the parameters and buffers
exactly.  Then what is special about such steps: a program lets go of its large temporaries as eager
does; a BatchNorm2d, which updates its running statistics in its forward, before the loss checks its
targets, still compiles (the check moves to the top of the program); an adaptive pooling compiles.
"""
import tracemalloc

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import nn, optim

B, SIZE = 16, 12


def _batches(channels, steps, seed=0, batch=B, size=SIZE):
    rng = np.random.default_rng(seed)
    return [(tg.tensor(rng.standard_normal((batch, channels, size, size)).astype(np.float32)),
             tg.tensor(rng.integers(0, 10, batch))) for _ in range(steps)]


def _twins(make):
    """Two copies of one network, each with its optimizer and its train step."""
    steps = []
    for _ in range(2):
        tg.manual_seed(0)
        net = make()
        opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()

        def train_step(X, y, net=net, opt=opt, loss_fn=loss_fn):
            opt.zero_grad()
            loss = loss_fn(net(X), y)
            loss.backward()
            opt.step()
            return loss
        steps.append((net, train_step))
    return steps


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert np.array_equal(sa[k].detach().numpy(), sb[k].detach().numpy()), k


def _train_both(make, channels, steps=8):
    (net, eager), (twin, plain) = _twins(make)
    run = tg.compile(plain)
    for X, y in _batches(channels, steps):
        want, got = eager(X, y), run(X, y)
        assert np.array_equal(want.detach().numpy(), got.detach().numpy())
    _same_state(net, twin)
    return run, net, twin, eager


def _convnet():
    """Every convolution path: stride 1 with more output channels than input ones (col2im for ∂L/∂x), stride 1
    with as many (the flipped kernels), stride 2 (the general windows), max and average pooling."""
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(8, 8, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, stride=2, padding=1),
                         nn.ReLU(), nn.AvgPool2d(3), nn.Flatten(), nn.Linear(8, 10))


def test_a_convolutional_step_compiles_and_gives_the_eager_results():
    run, *_ = _train_both(_convnet, 3)
    assert run.reason is None and run.replays + run.verified >= 5


def _peak(step, X, y):
    step(X, y)
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        step(X, y)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_the_program_lets_go_of_large_temporaries_as_eager_does():
    """Its temporaries of 64 KiB or more are deleted after their last use (``del``): a compiled step holds no
    more at once than the eager one (before, every local lived until the program returned: 3× here)."""
    (_, eager), (_, plain) = _twins(lambda: nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 16 * 16, 10)))
    run = tg.compile(plain)
    (X, y), = _batches(3, 1, batch=32, size=16)
    for _ in range(4):
        run(X, y)
    assert run.reason is None and run.replays >= 1
    assert "\n    del " in run.program
    assert _peak(run, X, y) <= 1.1 * _peak(eager, X, y)


def _bn_net():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


def test_a_batchnorm2d_step_compiles_with_the_targets_checked_first():
    """BatchNorm2d writes its running statistics in its forward, before the loss checks the targets; the check
    reads only y, so the program makes it first, before anything is written (a program must not stop halfway)."""
    run, net, twin, eager = _train_both(_bn_net, 3)
    assert run.reason is None and run.replays + run.verified >= 5
    lines = [line.strip() for line in run.program.splitlines()]
    first_write = next(i for i, line in enumerate(lines) if "+=" in line or " *= " in line)
    checks = [i for i, line in enumerate(lines) if "raise Changed" in line]
    assert checks and max(checks) < first_write
    # a bad target: the check fails before the program writes anything, and the call runs eagerly, as eager
    X, y = _batches(3, 1, seed=1)[0]
    bad = tg.tensor(np.full(B, 10))
    with pytest.raises((IndexError, ValueError)) as want:
        eager(X, bad)
    with pytest.raises(type(want.value)):
        run(X, bad)
    _same_state(net, twin)
    assert net[1].num_batches_tracked.item() == twin[1].num_batches_tracked.item() == 9


@pytest.mark.parametrize("out", [(4, 3), 1])
def test_adaptive_average_pooling_compiles(out):
    """Its windows' averaging matrices are made once per shape, so every call uses the same constant."""
    run, *_ = _train_both(lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(out), nn.Flatten(),
                                                nn.Linear(4 * (12 if out != 1 else 1), 10)), 3)
    assert run.reason is None and run.replays + run.verified >= 5


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_interpolation_compiles(mode):
    """Its interpolation matrices, too, are made once per shape."""
    class Up(nn.Module):
        def forward(self, x):
            return nn.functional.interpolate(x, size=(15, 15), mode=mode)
    run, *_ = _train_both(lambda: nn.Sequential(nn.Conv2d(3, 4, 3), Up(), nn.Flatten(), nn.Linear(4 * 15 * 15, 10)), 3)
    assert run.reason is None and run.replays + run.verified >= 5
