"""tinygrad_lr.compile: a recorded step replayed as NumPy gives the eager step's results, bit for bit.

Every test trains two copies of one model from one seed, one with the plain eager step and one with
the compiled step, on the same batches, and compares the parameters (and optimizer state, and
losses) exactly.  The guard tests change what the recording depends on and check that the step
is recorded again, or runs eagerly with one warning, and still agrees with eager.
"""
import warnings

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import autograd, nn, optim
from tinygrad_lr.core import internal

N, BATCH = 95, 10   # 10 batches per epoch, the last one of 5 samples


def _data(kind, dtype, d=3, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, d)).astype(dtype)
    if kind == "regression":
        y = (X @ rng.standard_normal((d, 1)) + 0.5).astype(dtype)
    elif kind == "binary":
        y = (X[:, :1] + 0.3 * rng.standard_normal((N, 1)) > 0).astype(dtype)
    else:
        y = rng.integers(0, classes, N)
    return X, y


def _batches(X, y, steps, batch=BATCH):
    """Mini-batches in a fixed order, epoch after epoch (the last batch of each epoch is short)."""
    i, n = 0, 0
    while n < steps:
        if i >= len(X):
            i = 0
        yield tg.from_numpy(X[i:i + batch]), tg.from_numpy(y[i:i + batch])
        i += batch
        n += 1


def _model(kind, dtype, opt_factory, hidden=None):
    tg.manual_seed(0)
    dt = tg.float64 if dtype == np.float64 else tg.float32
    if kind == "regression":
        net, loss_fn = nn.Linear(3, 1, dtype=dt), nn.MSELoss()
    elif kind == "binary":
        net, loss_fn = nn.Linear(3, 1, dtype=dt), nn.BCEWithLogitsLoss()
    elif hidden:
        net = nn.Sequential(nn.Linear(3, hidden, dtype=dt), nn.ReLU(), nn.Linear(hidden, 3, dtype=dt))
        loss_fn = nn.CrossEntropyLoss()
    else:
        net, loss_fn = nn.Linear(3, 3, dtype=dt), nn.CrossEntropyLoss()
    opt = opt_factory(net.parameters())

    def train_step(X, y):
        loss = loss_fn(net(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return train_step, net, opt


def _state(net, opt):
    arrays = [p.detach().numpy().copy() for p in net.parameters()]
    for s in opt.state.values():
        arrays += [v.numpy().copy() for v in s.values() if isinstance(v, tg.Tensor)]
    return arrays


def _train_both(kind, dtype, opt_factory, steps=100, hidden=None, between=None, **compile_args):
    """(eager losses, compiled losses, eager state, compiled state, the compiled step)."""
    X, y = _data(kind, dtype)
    results = []
    for compiled in (False, True):
        step, net, opt = _model(kind, dtype, opt_factory, hidden)
        run = tg.compile(step, **compile_args) if compiled else step
        losses = []
        for i, (xb, yb) in enumerate(_batches(X, y, steps)):
            if between is not None:
                between(i, net, opt)
            losses.append(run(xb, yb).item())
        results.append((losses, _state(net, opt), run, [p.grad.numpy().copy() for p in net.parameters()]))
    (le, se, _, ge), (lc, sc, run, gc) = results
    return le, lc, se, sc, ge, gc, run


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def _assert_compiled_equals_eager(kind, dtype, opt_factory, **kw):
    le, lc, se, sc, ge, gc, run = _train_both(kind, dtype, opt_factory, **kw)
    assert run.reason is None, run.reason
    assert run.replays >= 80, f"only {run.replays} of 100 calls ran the program"
    assert le == lc
    _assert_same(se, sc)
    _assert_same(ge, gc)
    return run


# ---- compiled equals eager -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_regression_sgd(dtype):
    run = _assert_compiled_equals_eager("regression", dtype, lambda p: optim.SGD(p, lr=0.05))
    assert len(run.programs) == 2  # the short last batch has its own program


@pytest.mark.parametrize("settings", [dict(momentum=0.9), dict(momentum=0.9, nesterov=True),
                                      dict(momentum=0.8, dampening=0.1, weight_decay=0.01),
                                      dict(weight_decay=0.1), dict(momentum=0.5, maximize=False)],
                         ids=["momentum", "nesterov", "dampening+weight_decay", "weight_decay", "momentum0.5"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_variants(settings, dtype):
    _assert_compiled_equals_eager("regression", dtype, lambda p: optim.SGD(p, lr=0.02, **settings))


@pytest.mark.parametrize("factory", [lambda p: optim.Adam(p, lr=0.01), lambda p: optim.AdamW(p, lr=0.01),
                                     lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01)],
                         ids=["adam", "adamw", "amsgrad+weight_decay"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam(factory, dtype):
    _assert_compiled_equals_eager("regression", dtype, factory)


@pytest.mark.parametrize("factory", [lambda p: optim.RMSprop(p, lr=0.01), lambda p: optim.Adagrad(p, lr=0.05),
                                     lambda p: optim.Adadelta(p), lambda p: optim.Adam(p, lr=0.01),
                                     lambda p: optim.AdamW(p, lr=0.01, amsgrad=True)],
                         ids=["rmsprop", "adagrad", "adadelta", "adam", "adamw+amsgrad"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_updates_written_in_place(factory, dtype):
    """The optimizers' state updates are replayed with out= (no full-size copy), bit for bit as eager."""
    run = _assert_compiled_equals_eager("regression", dtype, factory)
    source = "".join(run.programs)
    assert "np.copyto(" not in source, source
    assert "_exp_avg +=" in source or "_sum +=" in source or "_square_avg +=" in source, source


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_regression(dtype):
    _assert_compiled_equals_eager("binary", dtype, lambda p: optim.SGD(p, lr=0.1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_regression(dtype):
    _assert_compiled_equals_eager("classes", dtype, lambda p: optim.SGD(p, lr=0.1, momentum=0.9))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_with_cross_entropy(dtype):
    _assert_compiled_equals_eager("classes", dtype, lambda p: optim.Adam(p, lr=0.01), hidden=8)


def test_a_scheduler_changing_lr_every_epoch_is_an_input_not_a_new_recording():
    schedulers = {}

    def between(i, net, opt):
        if id(opt) not in schedulers:
            schedulers[id(opt)] = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
        elif i % 10 == 0:
            schedulers[id(opt)].step()

    run = _assert_compiled_equals_eager("regression", np.float64, lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                        between=between)
    assert run.recompiles == 0
    assert "def step(lr, X, y):" in run.program  # lr is an input of the program


def test_gradient_accumulation_over_two_calls():
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
        opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

        def accumulate(xb, yb):
            loss = loss_fn(net(xb), yb) / 2
            loss.backward()
            return loss

        run = tg.compile(accumulate) if compiled else accumulate
        batches = _batches(X[:90], y[:90], 100)
        for _ in range(50):
            opt.zero_grad()
            run(*next(batches))
            run(*next(batches))
            opt.step()
        finals.append((_state(net, opt), run))
    _assert_same(finals[0][0], finals[1][0])
    run = finals[1][1]
    assert run.reason is None and run.replays >= 80
    assert len(run.programs) == 2  # .grad None (the first call) and not None (the second, which adds to it)


def test_the_returned_loss_is_a_tensor_with_the_value():
    step, net, opt = _model("regression", np.float64, lambda p: optim.SGD(p, lr=0.05))
    run = tg.compile(step)
    X, y = _data("regression", np.float64)
    for xb, yb in _batches(X, y, 6):
        loss = run(xb, yb)
    assert isinstance(loss, tg.Tensor) and loss.shape == () and isinstance(loss.item(), float)
    assert run.replays >= 1


# ---- the program --------------------------------------------------------------------------------------------
def test_the_program_of_linear_regression_reads_as_the_hand_derivation():
    step, net, opt = _model("regression", np.float64, lambda p: optim.SGD(p, lr=0.05))
    run = tg.compile(step)
    X, y = _data("regression", np.float64)
    for xb, yb in _batches(X, y, 4):
        run(xb, yb)
    source = run.program
    assert source == str(run).split("\n\n")[0] + "\n" or source in str(run)
    lines = [line.strip() for line in source.splitlines()]
    assert "def step(lr, X, y):" in lines
    assert any(line.endswith("= X @ weight.T + bias - y") for line in lines)          # r = Xw + b − y
    assert "weight_grad = t3.T @ X" in lines or any(l.startswith("weight_grad =") and "@ X" in l for l in lines)
    assert any(line.startswith("bias_grad =") and ".sum(axis=0)" in line for line in lines)   # Σr/n
    assert any(line.startswith("weight +=") and "weight_grad" in line for line in lines)    # w ← w − η·∂ℓ/∂w
    assert len([line for line in lines if line and not line.startswith("#")]) <= 14


def test_a_step_that_does_not_return_the_loss_does_not_compute_it():
    tg.manual_seed(0)
    net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
    opt = optim.SGD(net.parameters(), lr=0.05)

    @tg.compile
    def train_step(X, y):
        opt.zero_grad()
        loss_fn(net(X), y).backward()
        opt.step()

    X, y = _data("regression", np.float64)
    for xb, yb in _batches(X, y, 4):
        assert train_step(xb, yb) is None
    assert "np.add.reduce" not in train_step.program and "loss" not in train_step.program


def test_print_before_any_program_says_so():
    run = tg.compile(lambda x: x)
    assert "no program yet" in str(run)


# ---- guards: a new recording, or eager with one warning ----------------------------------------------------
def _warm(run, batches, n=4):
    for _ in range(n):
        run(*next(batches))


def _pair(opt_factory=lambda p: optim.SGD(p, lr=0.05, momentum=0.9)):
    step, net, opt = _model("regression", np.float64, opt_factory)
    return tg.compile(step), net, opt


@pytest.mark.parametrize("change", ["momentum", "param_replaced", "param_resized", "requires_grad", "eval"])
def test_a_changed_dependency_records_again_and_stays_equal_to_eager(change):
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        step, net, opt = _model("regression", np.float64, lambda p: optim.SGD(p, lr=0.05, momentum=0.9))
        run = tg.compile(step) if compiled else step
        batches = _batches(X[:90], y[:90], 100)
        _warm(run, batches, 6)
        if change == "momentum":
            opt.param_groups[0]["momentum"] = 0.5
        elif change == "param_replaced":
            with tg.no_grad():
                new = nn.Parameter(net.bias.detach().clone() + 1)
            net.bias = new
            opt.param_groups[0]["params"][1] = new
            opt.state.pop(next(iter(k for k in list(opt.state) if k.shape == (1,))), None)
        elif change == "param_resized":
            net.weight.data = tg.zeros(1, 3, dtype=tg.float64)
        elif change == "requires_grad":
            net.bias.requires_grad_(False)
        elif change == "eval":
            net.eval()
        _warm(run, batches, 6)
        finals.append((_state(net, opt), run))
    _assert_same(finals[0][0], finals[1][0])
    run = finals[1][1]
    assert run.reason is None
    assert run.recompiles >= 1
    assert run.replays >= 4  # and, recorded again, it runs the new program


def _expect_eager(run, batches, words):
    with pytest.warns(RuntimeWarning, match="runs eagerly from now on") as caught:
        _warm(run, batches, 3)
    assert len([w for w in caught if "runs eagerly" in str(w.message)]) == 1
    assert words in run.reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning, not one per call
        _warm(run, batches, 3)


def test_item_inside_the_step_makes_it_eager_with_one_warning_and_stays_correct():
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
        opt = optim.SGD(net.parameters(), lr=0.05)
        seen = []

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb)
            seen.append(loss.item())
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        run = tg.compile(train_step) if compiled else train_step
        batches = _batches(X, y, 100)
        if compiled:
            _expect_eager(run, batches, ".item()")
        _warm(run, batches, 20 - 6 * compiled)
        finals.append((_state(net, opt), seen))
    _assert_same(finals[0][0], finals[1][0])
    assert finals[0][1] == finals[1][1]   # the step's own Python ran every call


@pytest.mark.parametrize("read", ["float", "bool", "print", "tolist", "numpy"])
def test_other_value_reads_make_the_step_eager(read, capsys):
    tg.manual_seed(0)
    net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
    opt = optim.SGD(net.parameters(), lr=0.05)

    def train_step(xb, yb):
        loss = loss_fn(net(xb), yb)
        if read == "float":
            float(loss)
        elif read == "bool":
            if loss > 1e9:
                pass
        elif read == "print":
            print(loss)
        elif read == "tolist":
            loss.detach().tolist()
        else:
            loss.detach().numpy()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(train_step)
    X, y = _data("regression", np.float64)
    _expect_eager(run, _batches(X, y, 100), "the step")


def test_anomaly_mode_makes_the_step_eager():
    run, net, opt = _pair()
    X, y = _data("regression", np.float64)
    batches = _batches(X, y, 100)
    _warm(run, batches, 4)
    with autograd.detect_anomaly():
        _expect_eager(run, batches, "anomaly mode")


def test_a_backward_hook_makes_the_step_eager():
    run, net, opt = _pair()
    X, y = _data("regression", np.float64)
    batches = _batches(X, y, 100)
    _warm(run, batches, 4)
    calls = []
    with internal.watch_backward(lambda *a: calls.append(a)):
        _expect_eager(run, batches, "hook")
    assert calls  # the hook saw every backward step


def test_recordings_that_keep_differing_make_the_step_eager():
    import random
    tg.manual_seed(0)
    net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
    opt = optim.SGD(net.parameters(), lr=0.05)
    rng = random.Random(0)

    def train_step(xb, yb):
        loss = loss_fn(net(xb), yb) * rng.random()   # Python that does not depend on tensors
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(train_step)
    X, y = _data("regression", np.float64)
    batches = _batches(X, y, 100)
    _warm(run, batches, 3)
    _expect_eager(run, batches, "differ from call to call")


def test_check_mode_raises_on_a_difference_the_recordings_could_not_see():
    tg.manual_seed(0)
    net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
    opt = optim.SGD(net.parameters(), lr=0.05)
    scale = np.ones(1)

    def train_step(xb, yb):
        loss = loss_fn(net(xb), yb) * scale[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(train_step, check=True)
    X, y = _data("regression", np.float64)
    batches = _batches(X, y, 100)
    _warm(run, batches, 5)   # recorded, then run side by side: they agree
    assert run.program is not None and run.reason is None
    scale[0] = 2.0           # invisible to the guards: an array is guarded by identity, not by its values
    with pytest.raises(RuntimeError, match="check=True"):
        run(*next(batches))


def test_check_mode_agrees_on_a_correct_step():
    le, lc, se, sc, ge, gc, run = _train_both("classes", np.float64, lambda p: optim.Adam(p, lr=0.01), hidden=4,
                                              check=True)
    assert run.reason is None and run.program is not None
    assert le == lc
    _assert_same(se, sc)
    assert run.replays == 0   # check mode runs eager for real, the program on copies beside it


# ---- the command -------------------------------------------------------------------------------------------
def test_graph_compiled_prints_the_program_of_the_notes_problem(capsys):
    from tinygrad_lr.cli import main
    assert main(["graph", "--compiled"]) == 0
    out = capsys.readouterr().out
    assert "def step(" in out
    assert "weight_grad" in out and "bias_grad" in out
    assert "@" in out and ".sum(axis=0)" in out


def test_rebinding_a_name_the_step_reads_records_again():
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
        opt = optim.SGD(net.parameters(), lr=0.05)

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        run = tg.compile(train_step) if compiled else train_step
        batches = _batches(X[:90], y[:90], 100)
        _warm(run, batches, 6)
        opt = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)  # the closure's `opt` is another optimizer now
        _warm(run, batches, 6)
        finals.append((_state(net, opt), run))
    _assert_same(finals[0][0], finals[1][0])
    assert finals[1][1].recompiles >= 1 and finals[1][1].replays >= 4


def test_a_step_inside_another_steps_recording_runs_eagerly():
    inner_step, net, opt = _model("regression", np.float64, lambda p: optim.SGD(p, lr=0.05))
    inner = tg.compile(inner_step)
    outer = tg.compile(lambda X, y: inner(X, y))
    X, y = _data("regression", np.float64)
    reference_step, ref_net, ref_opt = _model("regression", np.float64, lambda p: optim.SGD(p, lr=0.05))
    for xb, yb in _batches(X, y, 12):
        assert outer(xb, yb).item() == reference_step(xb, yb).item()
    _assert_same(_state(net, opt), _state(ref_net, ref_opt))


def test_zero_grad_without_set_to_none_keeps_the_gradient_tensors_and_agrees():
    X, y = _data("regression", np.float32)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        net, loss_fn = nn.Linear(3, 1), nn.MSELoss()
        opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb)
            opt.zero_grad(set_to_none=False)
            loss.backward()
            opt.step()
            return loss

        run = tg.compile(train_step) if compiled else train_step
        _warm(run, _batches(X, y, 100), 30)
        grads = [p.grad for p in net.parameters()]
        finals.append((_state(net, opt) + [g.numpy().copy() for g in grads], [g._version for g in grads], run))
    _assert_same(finals[0][0], finals[1][0])
    assert finals[0][1] == finals[1][1]          # the gradients' version counters moved as in eager
    assert finals[1][2].reason is None and finals[1][2].replays >= 20


@pytest.mark.parametrize("what", ["retain_grad", "create_graph"])
def test_gradients_eager_keeps_in_its_own_way_make_the_step_eager(what):
    tg.manual_seed(0)
    net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
    opt = optim.SGD(net.parameters(), lr=0.05)

    def train_step(xb, yb):
        loss = loss_fn(net(xb), yb)
        opt.zero_grad()
        if what == "retain_grad":
            loss.retain_grad()
            loss.backward()
        else:
            loss.backward(create_graph=True)
        opt.step()
        return loss

    run = tg.compile(train_step)
    X, y = _data("regression", np.float64)
    _expect_eager(run, _batches(X, y, 100), what)


# ---- torch.compile(model): PyTorch's idiom compiles the model, whose output the caller backpropagates -------
def _pytorch_way(compile_model):
    X, y = _data("regression", np.float64)
    tg.manual_seed(0)
    net = nn.Linear(3, 1, dtype=tg.float64)
    model = tg.compile(net) if compile_model else net
    opt, loss_fn, losses = optim.SGD(net.parameters(), lr=0.05), nn.MSELoss(), []
    for xb, yb in _batches(X, y, 30):
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, _state(net, opt), model


def test_compiling_the_model_the_pytorch_way_runs_it_eagerly_with_one_warning_and_trains_the_same():
    eager_losses, eager_state, _ = _pytorch_way(False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses, state, model = _pytorch_way(True)
    assert losses == eager_losses
    _assert_same(state, eager_state)
    assert model.replays == 0 and "returns a tensor that requires grad" in model.reason
    assert "rather than the model" in model.reason
    assert sum("tinygrad_lr.compile" in str(w.message) for w in caught) == 1


def test_a_forward_only_function_under_no_grad_still_compiles():
    X, y = _data("regression", np.float64)
    tg.manual_seed(0)
    net = nn.Linear(3, 1, dtype=tg.float64)

    @tg.compile
    def predict(xb):
        with tg.no_grad():
            return net(xb)

    for xb, _ in _batches(X, y, 12):
        out = predict(xb)
        with tg.no_grad():
            np.testing.assert_array_equal(out.numpy(), net(xb).numpy())
    assert predict.reason is None and predict.replays > 0


def _eager_then_compiled(kind, build, steps):
    """Train twice from one seed on the same batches, eagerly and compiled; ``build()`` gives (train_step, net,
    opt). Asserts that the compiled step ran its program and ended where eager did."""
    X, y = _data(kind, np.float64)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        train_step, net, opt = build()
        step = tg.compile(train_step) if compiled else train_step
        for xb, yb in _batches(X, y, steps):
            step(xb, yb)
        finals.append(_state(net, opt))
    assert step.reason is None and step.replays > 0
    _assert_same(*finals)


def test_a_step_that_gets_its_model_through_default_arguments_compiles_and_equals_eager():
    def build():
        net = nn.Sequential(nn.Linear(3, 8, dtype=tg.float64), nn.ReLU(), nn.Linear(8, 3, dtype=tg.float64))
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

        def train_step(xb, yb, net=net, loss_fn=nn.CrossEntropyLoss(), opt=opt):
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return train_step, net, opt

    _eager_then_compiled("classes", build, 40)


@pytest.mark.parametrize("activation", ["gelu", "erf"])
def test_a_step_through_a_frompyfunc_ufunc_compiles_and_equals_eager(activation):
    """erf has no NumPy kernel: Python's math.erf through np.frompyfunc, which the program must name and call."""
    def build():
        net = nn.Linear(3, 1, dtype=tg.float64)
        opt = optim.SGD(net.parameters(), lr=0.1)

        def train_step(xb, yb):
            out = net(xb)
            out = nn.functional.gelu(out) if activation == "gelu" else out.erf()
            loss = nn.MSELoss()(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return train_step, net, opt

    _eager_then_compiled("regression", build, 30)


# ---- guards on what the step reads (issue 22): the Python values it reaches, not only its tensors ---------
def _twice(build, steps, change=None, n=90, **compile_args):
    """Train eagerly, then compiled, from one seed on the same batches; ``build()`` gives (train_step, net, opt,
    things) and ``change(i, things)`` runs before call i.  Returns (eager state, compiled state, the compiled step,
    warnings of the compiled run)."""
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        train_step, net, opt, things = build()
        step = tg.compile(train_step, **compile_args) if compiled else train_step
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for i, (xb, yb) in enumerate(_batches(X[:n], y[:n], steps)):
                if change is not None:
                    change(i, things)
                step(xb, yb)
        finals.append(_state(net, things.get("opt", opt)) + [p.detach().numpy().copy() for p in net.parameters()])
    return finals[0], finals[1], step, [str(w.message) for w in caught if "tinygrad_lr.compile" in str(w.message)]


def _linear():
    net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
    return net, loss_fn, optim.SGD(net.parameters(), lr=0.05)


def test_case_1_a_trainer_whose_optimizer_is_replaced_gives_the_eager_result():
    """trainer.opt = SGD(..., lr=0) freezes the model: the compiled step must stop moving the weights too."""
    class Trainer:
        def __init__(self):
            self.net, self.loss_fn, self.opt = _linear()

        def step(self, xb, yb):
            loss = self.loss_fn(self.net(xb), yb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return loss

    def build():
        trainer = Trainer()
        return trainer.step, trainer.net, trainer.opt, {"trainer": trainer}

    def change(i, things):
        if i == 8:
            trainer = things["trainer"]
            trainer.opt = things["opt"] = optim.SGD(trainer.net.parameters(), lr=0)

    eager, compiled, step, caught = _twice(build, 20, change)
    _assert_same(eager, compiled)
    assert step.reason is None and step.recompiles >= 1 and step.replays >= 4 and not caught


@pytest.mark.parametrize("case", ["loss_switched", "l1_weight_changed"])
def test_cases_2_and_3_a_config_dict_read_in_the_step_gives_the_eager_result(case):
    """cfg['loss'] switched from MSELoss() to L1Loss(), or cfg['l1'] from 0 to 0.5, mid-run."""
    def build():
        net, _, opt = _linear()
        cfg = {"loss": nn.MSELoss(), "l1": 0}

        def train_step(xb, yb):
            loss = cfg["loss"](net(xb), yb)
            if cfg["l1"]:
                loss = loss + cfg["l1"] * net.weight.abs().sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return train_step, net, opt, {"cfg": cfg}

    def change(i, things):
        if i == 8:
            if case == "loss_switched":
                things["cfg"]["loss"] = nn.L1Loss()
            else:
                things["cfg"]["l1"] = 0.5

    eager, compiled, step, caught = _twice(build, 20, change)
    _assert_same(eager, compiled)
    assert step.reason is None and step.recompiles >= 1 and step.replays >= 4 and not caught
    assert "Abs.forward" in step.program and ("HalfSquaredError" not in step.program) == (case == "loss_switched")


def test_case_4_a_counter_in_the_step_makes_it_eager_with_one_warning_and_gives_the_eager_result():
    """``if counter % 5 == 0: loss = loss * 10`` with ``counter += 1`` in the step: its own Python must keep running."""
    counters = []

    def build():
        net, loss_fn, opt = _linear()
        counter = [0]
        counters.append(counter)

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb)
            if counter[0] % 5 == 0:
                loss = loss * 10
            counter[0] += 1
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return train_step, net, opt, {}

    eager, compiled, step, caught = _twice(build, 12)
    _assert_same(eager, compiled)
    assert counters[0][0] == counters[1][0] == 12
    assert len(caught) == 1 and "counter[0] went from 0 to 1" in caught[0] and "out of the step" in caught[0]
    assert step.replays == 0 and "changes Python state it reads" in step.reason


def test_a_python_number_read_in_the_step_is_a_guard_and_the_recompile_limit_still_holds():
    """A number that changes every call (read, not written, by the step): recorded again each time, then eager
    with one warning past the limit, and the eager result throughout."""
    def build():
        net, loss_fn, opt = _linear()
        cfg = {"scale": 1.0}

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb) * cfg["scale"]
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return train_step, net, opt, {"cfg": cfg}

    def change(i, things):
        things["cfg"]["scale"] = 1.0 + 0.01 * (i // 2)  # the same value for two calls: a program, used once

    eager, compiled, step, caught = _twice(build, 60, change)
    _assert_same(eager, compiled)
    assert len(caught) == 1 and "recorded again" in caught[0] and "cfg['scale'] changed" in caught[0]


@pytest.mark.parametrize("change", ["module_setting", "module_replaced", "attribute_of_a_module_of_yours"])
def test_a_module_setting_changed_between_calls_records_again(change):
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.scale = nn.Linear(3, 1, dtype=tg.float64), 1.0

        def forward(self, x):
            return self.fc(x) * self.scale

    def build():
        net, loss_fn = Scaled(), nn.MSELoss()
        opt = optim.SGD(net.parameters(), lr=0.05)

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return train_step, net, opt, {"net": net, "loss_fn": loss_fn}

    def apply(i, things):
        if i == 8:
            net = things["net"]
            if change == "module_setting":
                things["loss_fn"].reduction = "sum"
            elif change == "module_replaced":
                old = net.fc
                net.fc = nn.Linear(3, 1, dtype=tg.float64)
                net.fc.weight, net.fc.bias = old.weight, old.bias   # the same parameters, in another module
            else:
                net.scale = 0.5

    eager, compiled, step, caught = _twice(build, 20, apply)
    _assert_same(eager, compiled)
    assert step.reason is None and step.recompiles >= 1 and not caught


def test_an_attribute_added_to_a_module_between_calls_records_again():
    """A new attribute of a module (here one forward reads by its name as a string; a hook's registry is another)
    means other Python around forward: a new recording."""
    class Lazy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 1, dtype=tg.float64)

        def forward(self, x):
            return self.fc(x) * getattr(self, "gain", 1.0)

    def build():
        net, loss_fn = Lazy(), nn.MSELoss()
        opt = optim.SGD(net.parameters(), lr=0.05)

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return train_step, net, opt, {"net": net}

    def change(i, things):
        if i == 8:
            things["net"].gain = 3.0

    eager, compiled, step, caught = _twice(build, 20, change)
    _assert_same(eager, compiled)
    assert step.reason is None and step.recompiles >= 1 and not caught


# ---- side effects the program would skip: the step stays eager, with one warning ----------------------------
@pytest.mark.parametrize("effect", ["list_append", "attribute_counter", "print", "global_counter", "new_tensor"])
def test_a_step_with_side_effects_stays_eager_with_one_warning_saying_what_changed(effect, capsys):
    seen = {}

    class Trainer:
        def __init__(self):
            self.net, self.loss_fn, self.opt = _linear()
            self.n, self.history, self.last = 0, [], None

        def step(self, xb, yb):
            loss = self.loss_fn(self.net(xb), yb)
            if effect == "list_append":
                self.history.append(loss.detach())
            elif effect == "attribute_counter":
                self.n += 1
            elif effect == "print":
                print("one more step")
            elif effect == "global_counter":
                _COUNTS[0] += 1
            else:
                self.last = loss
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return loss

    def build():
        trainer = seen["trainer"] = Trainer()
        return trainer.step, trainer.net, trainer.opt, {}

    _COUNTS[0] = 0
    eager, compiled, step, caught = _twice(build, 12)
    _assert_same(eager, compiled)
    assert step.replays == 0 and len(caught) == 1, caught
    words = {"list_append": "the length of self.history went from 0 to 1",
             "attribute_counter": "self.n went from 0 to 1",
             "print": "the step prints", "global_counter": "_COUNTS[0] went from 12 to 13",   # (eager counted 12)
             "new_tensor": "self.last went from None to a Tensor"}[effect]
    assert words in caught[0] and words in step.reason
    trainer = seen["trainer"]
    assert (len(trainer.history), trainer.n) == ((12, 0) if effect == "list_append" else
                                                 (0, 12) if effect == "attribute_counter" else (0, 0))
    if effect == "print":
        assert capsys.readouterr().out.count("one more step") == 24   # eager 12 times, compiled 12 times


_COUNTS = [0]


# ---- the guards do not over-trigger: what changes outside the step, or is not read, is no new recording ------
def _recordings_alone(build, steps=40, n=90):
    """How many calls a step of ``build()`` records when nothing changes (the baseline of the tests below)."""
    X, y = _data("regression", np.float64)
    tg.manual_seed(0)
    step = tg.compile(build()[0])
    for xb, yb in _batches(X[:n], y[:n], steps):
        step(xb, yb)
    return step.recordings


def test_a_scheduler_the_step_reaches_changing_lr_is_no_new_recording():
    class Trainer:
        def __init__(self):
            self.net, self.loss_fn, self.opt = _linear()
            self.sched = optim.lr_scheduler.StepLR(self.opt, step_size=1, gamma=0.9)

        def step(self, xb, yb):
            loss = self.loss_fn(self.net(xb), yb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            if self.sched is None:   # the step reaches the scheduler (a guard on it), and never steps it
                pass
            return loss

    def build():
        trainer = Trainer()
        return trainer.step, trainer.net, trainer.opt, {"trainer": trainer}

    def change(i, things):
        if i % 9 == 8:
            things["trainer"].sched.step()   # lr: an input of the program

    eager, compiled, step, caught = _twice(build, 40, change)
    _assert_same(eager, compiled)
    assert step.recompiles == 0 and step.recordings == _recordings_alone(build) and not caught
    assert step.replays >= 30


def test_a_loop_counter_outside_the_step_is_no_new_recording():
    """A training loop at the top of a script: its counter ``step`` is a global, and the step calls ``opt.step()``
    and reads the global ``cfg``.  The bytecode tells a global the step loads from an attribute it uses."""
    source = """
import tinygrad_lr as tg
from tinygrad_lr import nn, optim
tg.manual_seed(0)
net, loss_fn = nn.Linear(3, 1, dtype=tg.float64), nn.MSELoss()
opt = optim.SGD(net.parameters(), lr=0.05)
cfg = {"scale": 2.0}

def train_step(xb, yb):
    loss = loss_fn(net(xb), yb) * cfg["scale"]
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss

run = tg.compile(train_step) if COMPILED else train_step
for step, (xb, yb) in enumerate(BATCHES):
    epoch = step // 9
    run(xb, yb)
"""
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        ns = {"COMPILED": compiled, "BATCHES": list(_batches(X[:90], y[:90], 40))}
        exec(source, ns)
        finals.append((_state(ns["net"], ns["opt"]), ns["run"]))
    _assert_same(finals[0][0], finals[1][0])
    run = finals[1][1]
    assert run.reason is None and run.recompiles == 0 and run.recordings == 3 and run.replays >= 30


def test_reading_len_of_the_loader_in_the_step_is_no_new_recording():
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        tg.manual_seed(0)
        net, loss_fn, opt = _linear()
        loader = tg.data.DataLoader(tg.data.TensorDataset(tg.from_numpy(X[:90]), tg.from_numpy(y[:90])),
                                    batch_size=BATCH, shuffle=True, generator=tg.Generator().manual_seed(0))

        def train_step(xb, yb):
            loss = loss_fn(net(xb), yb) / len(loader)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        run = tg.compile(train_step) if compiled else train_step
        for _ in range(4):
            for xb, yb in loader:
                run(xb, yb)
        finals.append((_state(net, opt), run))
    _assert_same(finals[0][0], finals[1][0])
    run = finals[1][1]
    assert run.reason is None and run.recompiles == 0 and run.recordings == 3 and run.replays >= 25


def test_attributes_the_step_never_names_may_change_outside_it():
    """The loop keeps a history on the trainer and sets its epoch: the step never reads them, so no new recording."""
    class Trainer:
        def __init__(self):
            self.net, self.loss_fn, self.opt = _linear()
            self.history, self.epoch = [], 0

        def step(self, xb, yb):
            loss = self.loss_fn(self.net(xb), yb)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return loss

    def build():
        trainer = Trainer()
        return trainer.step, trainer.net, trainer.opt, {"trainer": trainer}

    def change(i, things):
        things["trainer"].history.append(i)
        things["trainer"].epoch = i // 9

    eager, compiled, step, caught = _twice(build, 40, change)
    _assert_same(eager, compiled)
    assert step.recompiles == 0 and step.recordings == _recordings_alone(build) and not caught


# ---- the safety net: a replay now and then runs beside the eager step -----------------------------------------
def _broken_programs(monkeypatch):
    """Every program built from now on adds 1e-3 to the weight after the update: a miscompiled program."""
    from tinygrad_lr.jit import program
    emit = program.Program._emit

    def broken(self, title):
        return emit(self, title).replace("    return (", "    weight += 1e-3\n    return (", 1)
    monkeypatch.setattr(program.Program, "_emit", broken)


def test_the_safety_net_catches_a_wrong_program_at_its_second_replay(monkeypatch):
    _broken_programs(monkeypatch)
    run, net, opt = _pair(lambda p: optim.SGD(p, lr=0.05))
    X, y = _data("regression", np.float64)
    batches = _batches(X[:90], y[:90], 100)
    _warm(run, batches, 4)   # recorded three times (.grad None the first time), then replayed once
    assert run.recordings == 3 and run.replays == 1 and run.reason is None
    with pytest.raises(RuntimeError, match=r"replay 2 of the program .* disagree on weight \(max difference 0.001\)"
                                           r".*please report it.*verify=False"):
        run(*next(batches))
    assert "safety net" in run.reason
    _warm(run, batches, 3)   # eager from then on
    assert run.replays == 1


def test_without_the_safety_net_a_wrong_program_goes_unseen(monkeypatch):
    _broken_programs(monkeypatch)
    X, y = _data("regression", np.float64)
    finals = []
    for compiled in (False, True):
        run, net, opt = _pair(lambda p: optim.SGD(p, lr=0.05))
        if not compiled:
            run = run.fn
        else:
            run = tg.compile(run.fn, verify=False)
        _warm(run, _batches(X[:90], y[:90], 100), 10)
        finals.append((net.weight.detach().numpy().copy(), run))
    run = finals[1][1]
    assert run.reason is None and run.replays == 7 and run.verified == 0
    assert np.abs(finals[1][0] - finals[0][0]).min() > 1e-3   # silently wrong: 1e-3 too much at each replay


def test_the_safety_net_runs_on_a_sparse_schedule_and_agrees_on_a_correct_step():
    run = _assert_compiled_equals_eager("classes", np.float64, lambda p: optim.Adam(p, lr=0.01), hidden=8)
    # two programs (a full batch, the short last one), each checked at its 2nd, 4th, 8th, ... replay
    assert 6 <= run.verified <= 12 and run.replays + run.verified + run.recordings == 100
