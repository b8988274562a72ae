"""Long-run soundness: memory stays flat over 10,000 training steps, and graphs die with their tensors.

A graph is kept alive only by references: the output tensor holds its node
(``grad_fn``), a node holds its inputs' nodes and what it saved.  Nothing
points back, so when the last tensor of a graph is dropped, CPython frees the
whole graph at once by reference counting — no garbage collector needed, no
reference cycle left behind.  These tests check that with ``weakref`` (a node
is gone the moment its tensors are), ``gc`` (collecting finds no cycles) and
``tracemalloc`` (10,000 steps allocate nothing that stays).
"""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_lr
from tinygrad_lr import nn, optim
from tinygrad_lr.autograd import Function, grad
from tinygrad_lr.data import DataLoader, TensorDataset


@pytest.fixture
def no_gc():
    """Only reference counting frees memory inside the test: a reference cycle would stay."""
    gc.collect()
    gc.disable()
    yield
    gc.set_debug(0)
    gc.enable()


def cyclic_garbage():
    """The objects of tinygrad_lr (and NumPy arrays) that only the garbage collector could free."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    found = [o for o in gc.garbage if type(o).__module__.startswith("tinygrad_lr") or isinstance(o, np.ndarray)]
    gc.garbage.clear()
    gc.set_debug(0)
    return found


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    y = (X @ np.array([[2.0], [-3.4]], dtype=np.float32) + 4.2).astype(np.float32)
    return tinygrad_lr.from_numpy(X), tinygrad_lr.from_numpy(y)


def _live_nodes():
    return sum(issubclass(type(o), Function) for o in gc.get_objects())  # type(): no __class__ lookups


def test_ten_thousand_training_steps_hold_memory_flat(momentum=0.9):
    """nn.Linear + MSELoss + SGD through a DataLoader: the memory traced after step 1,000 and after
    step 10,000 differ by less than 16 KiB, and no graph node outlives its step."""
    tinygrad_lr.manual_seed(0)
    X, y = _data()
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True)
    net = nn.Linear(2, 1)
    loss_fn = nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=0.01, momentum=momentum)
    steps, marks = 0, {}
    nodes_before = _live_nodes()
    tracemalloc.start()
    try:
        while steps < 10_000:
            for xb, yb in loader:
                loss = loss_fn(net(xb), yb)
                trainer.zero_grad()
                loss.backward()
                trainer.step()
                steps += 1
                if steps in (1_000, 10_000):
                    del loss
                    marks[steps] = tracemalloc.get_traced_memory()[0]
                if steps == 10_000:
                    break
    finally:
        tracemalloc.stop()
    assert marks[10_000] - marks[1_000] < 16 * 1024, marks
    assert _live_nodes() <= nodes_before   # every step's graph is gone
    assert len(trainer.state) == (2 if momentum else 0)   # one momentum buffer per parameter, not per step
    np.testing.assert_allclose(net.weight.detach().numpy(), [[2.0, -3.4]], atol=1e-3)  # and it learned


def test_a_graph_dies_with_its_tensors_after_backward(no_gc):
    w = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    h = (w * w).exp()
    loss = (h * 3).sum()
    nodes = [weakref.ref(loss.grad_fn), weakref.ref(h.grad_fn)]
    loss.backward()
    del loss, h
    assert all(r() is None for r in nodes)   # freed by reference counting, at once
    assert w.grad is not None


def test_a_retained_graph_is_freed_when_its_tensors_are_dropped(no_gc):
    w = tinygrad_lr.tensor([1.0, 2.0], dtype=tinygrad_lr.float64, requires_grad=True)
    h = w.sigmoid()
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    loss.backward(retain_graph=True)         # the saved values are still there...
    node = weakref.ref(h.grad_fn)
    saved = weakref.ref(h.grad_fn._saved[0][0])   # the saved array (the output of sigmoid)
    del loss
    assert node() is not None                # ...held by h
    del h
    assert node() is None                    # ...and gone with it
    assert saved() is None
    np.testing.assert_allclose(w.grad.numpy(), 2 * 2 * _sigmoid_slope([1.0, 2.0]))


def _sigmoid_slope(x):
    s = 1 / (1 + np.exp(-np.array(x)))
    return s * s * (1 - s)   # d/dx σ² = 2σ·σ(1 − σ): this is half of it


def test_no_reference_cycles_in_a_training_step(no_gc):
    """The collector finds nothing of ours: every object of a step was freed by reference counting."""
    X, y = _data(16)
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    trainer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.MSELoss()
    for _ in range(3):
        for xb, yb in DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True):
            loss = loss_fn(net(xb), yb)
            trainer.zero_grad()
            loss.backward()
            trainer.step()
    del loss, xb, yb
    assert cyclic_garbage() == []


def test_no_reference_cycles_in_higher_order_gradients_and_anomaly_mode(no_gc):
    x = tinygrad_lr.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with tinygrad_lr.autograd.detect_anomaly():
        y = (x.tanh() * x.exp()).sum()
        g, = grad(y, x, create_graph=True)       # a graph of the backward pass...
        h, = grad((g * g).sum(), x)              # ...differentiated again
    node = weakref.ref(g.grad_fn)
    del y, g
    assert node() is None
    assert np.all(np.isfinite(h.numpy()))
    assert cyclic_garbage() == []


def test_backward_with_create_graph_into_grad_is_a_cycle_as_in_pytorch_and_setting_grad_to_none_breaks_it(no_gc):
    """loss.backward(create_graph=True) stores in w.grad a tensor whose graph leads back to w: a reference
    cycle (PyTorch warns about the same one).  Setting w.grad = None (zero_grad) breaks it."""
    w = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    (w * w * w).sum().backward(create_graph=True)
    node = weakref.ref(w.grad.grad_fn)
    w.grad = None
    assert node() is None


def test_a_long_chain_is_freed_without_recursion(no_gc):
    x = tinygrad_lr.tensor([1.0], dtype=tinygrad_lr.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    first = weakref.ref(y.grad_fn)
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)
    del y                                     # 10,000 nodes freed one after another, no RecursionError
    assert first() is None
    assert cyclic_garbage() == []


def test_the_optimizer_state_and_the_loader_do_not_grow_over_epochs():
    X, y = _data(32)
    net = nn.Linear(2, 1)
    trainer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True)
    sizes = []
    for epoch in range(50):
        for xb, yb in loader:
            trainer.zero_grad()
            nn.MSELoss()(net(xb), yb).backward()
            trainer.step()
        sizes.append((len(trainer.state), len(trainer.param_groups[0]["params"]),
                      sum(len(s) for s in trainer.state.values())))
    assert len(set(sizes)) == 1, sizes[:3]
