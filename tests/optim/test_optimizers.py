"""optim: every optimizer against its update rule and against PyTorch, step by step, and what they all share.

SGD (every option: momentum, dampening, Nesterov, weight decay, maximize) follows PyTorch's documented rule
written out in NumPy, to 1e-13, and PyTorch's SGD step by step on the same gradients (float64 and float32)
and on a real loss.

Adam, AdamW, RMSprop, Adagrad, Adadelta and L-BFGS (and SGD's options again): each framework computes its own
gradients (float64) of the same loss from the same start, on a linear regression and on a small MLP, for 200
steps; the parameters and every state tensor must agree to rtol 1e-10.  The updates are PyTorch's
operations in PyTorch's order; what remains is rounding (PyTorch's vectorized kernels fuse multiply-adds),
which a stable trajectory keeps at ~1e-15.  A chaotic one would amplify it, so the learning rates are ones
where training is smooth.

Also: what every optimizer shares (param groups, zero_grad, closures, parameters without gradients,
state_dict round trips, also through save/load), the in-place ops the updates are written with (addcmul_,
addcdiv_, lerp_), and the argument checks.  The learning-rate schedules are tested in test_lr_schedulers.py.
"""
import re

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn, optim


def _w():
    """One parameter, in the list an optimizer takes."""
    return [tg.ones(2, requires_grad=True)]


CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, maximize=True),
    dict(lr=0.02, momentum=0.7, dampening=0.1, weight_decay=0.05, maximize=True),
    dict(lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True),
]
IDS = ["plain", "momentum", "dampening", "nesterov", "weight_decay", "maximize", "all", "nesterov_all"]


def _initial_and_gradients(steps=12, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    initial = [rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=(2,)).astype(dtype)]
    grads = [[rng.normal(size=a.shape).astype(dtype) for a in initial] for _ in range(steps)]
    return initial, grads


def _reference_sgd(initial, grads, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    """PyTorch's documented rule, written out in NumPy: the trajectory after each step."""
    theta = [a.copy() for a in initial]
    bufs = [None] * len(theta)
    trajectory = []
    for step in grads:
        for i, g in enumerate(step):
            g = -g if maximize else g
            if weight_decay:
                g = g + weight_decay * theta[i]
            if momentum:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            theta[i] = theta[i] - lr * g
        trajectory.append([t.copy() for t in theta])
    return trajectory


def _run_ours(initial, grads, **config):
    params = [tg.tensor(a, requires_grad=True) for a in initial]
    trainer = optim.SGD(params, **config)
    trajectory = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = tg.tensor(g)
        trainer.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


# ---- SGD: the update rule -----------------------------------------------------------
@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_sgd_follows_the_documented_rule(config):
    initial, grads = _initial_and_gradients()
    for ours, ref in zip(_run_ours(initial, grads, **config), _reference_sgd(initial, grads, **config)):
        for a, b in zip(ours, ref):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_trajectory_equals_pytorchs_step_by_step(config, dtype):
    torch = optional("torch")
    initial, grads = _initial_and_gradients(dtype=dtype)
    params = [torch.tensor(a, requires_grad=True) for a in initial]
    trainer = torch.optim.SGD(params, **config)
    ours = _run_ours(initial, grads, **config)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-6, atol=1e-7)
    for step, (g_step, mine) in enumerate(zip(grads, ours)):
        for p, g in zip(params, g_step):
            p.grad = torch.tensor(g)
        trainer.step()
        for a, p in zip(mine, params):
            np.testing.assert_allclose(a, p.detach().numpy(), **tol, err_msg=f"after step {step + 1}")
            assert a.dtype == p.detach().numpy().dtype


@pytest.mark.parametrize("config", [CONFIGS[1], CONFIGS[3], CONFIGS[6]], ids=["momentum", "nesterov", "all"])
def test_sgd_on_a_real_loss_follows_pytorch(config):
    """Each framework computes its own gradients of ½·mean((Xw + b − y)²) from the same start."""
    torch = optional("torch")
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    w0, b0 = rng.normal(size=(1, 3)), rng.normal(size=(1,))
    ours, theirs = nn.Linear(3, 1, dtype=tg.float64), torch.nn.Linear(3, 1, dtype=torch.float64)
    ours.load_state_dict({"weight": w0, "bias": b0})
    theirs.load_state_dict({"weight": torch.tensor(w0), "bias": torch.tensor(b0)})
    opt_ours, opt_theirs = optim.SGD(ours.parameters(), **config), torch.optim.SGD(theirs.parameters(), **config)
    for _ in range(25):
        opt_ours.zero_grad()
        nn.MSELoss()(ours(tg.tensor(X)), tg.tensor(y)).backward()
        opt_ours.step()
        opt_theirs.zero_grad()
        (torch.nn.MSELoss()(theirs(torch.tensor(X)), torch.tensor(y)) / 2).backward()
        opt_theirs.step()
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.bias.detach().numpy(), theirs.bias.detach().numpy(), rtol=1e-10)


def test_plain_sgd_is_theta_minus_lr_times_grad_and_momentum_by_hand():
    w = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    trainer = optim.SGD([w], lr=0.5, momentum=0.5, dampening=0.5)
    w.grad = tg.tensor([1.0, 1.0], dtype=tg.float64)
    trainer.step()                                     # b = g = 1;  w = w − 0.5
    assert w.tolist() == [0.5, 1.5]
    w.grad = tg.tensor([2.0, 0.0], dtype=tg.float64)
    trainer.step()                                     # b = 0.5·1 + 0.5·g = [1.5, 0.5]
    assert trainer.state[w]["momentum_buffer"].tolist() == [1.5, 0.5]
    assert w.tolist() == [0.5 - 0.75, 1.5 - 0.25]


def test_maximize_ascends():
    x = tg.tensor([0.0], requires_grad=True)
    trainer = optim.SGD([x], lr=0.1, maximize=True)
    for _ in range(100):
        trainer.zero_grad()
        (-(x - 3.0) ** 2).sum().backward()   # maximum at x = 3
        trainer.step()
    np.testing.assert_allclose(x.item(), 3.0, atol=1e-6)


def test_step_updates_in_place_without_recording():
    w = tg.randn(3, requires_grad=True)
    memory, version = w.detach().numpy(), w._version
    trainer = optim.SGD([w], lr=0.1)
    w.grad = tg.ones(3)
    before = memory.copy()
    trainer.step()
    np.testing.assert_allclose(memory, before - 0.1)   # the very same memory changed
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    assert w._version > version


def test_parameters_without_gradients_are_skipped():
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    trainer = optim.SGD([a, b], lr=0.1, momentum=0.9)
    trainer.step()                                     # no gradients at all: a no-op
    assert a.tolist() == [1.0, 1.0] and trainer.state == {}
    a.grad = tg.ones(2)
    trainer.step()
    assert b.tolist() == [1.0, 1.0] and a.tolist() != [1.0, 1.0]
    assert b not in trainer.state and a in trainer.state


def test_step_with_closure_returns_the_loss():
    w = tg.tensor([2.0], requires_grad=True)
    trainer = optim.SGD([w], lr=0.25)

    def closure():
        trainer.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    with tg.no_grad():    # the closure still records: step turns recording on for it
        loss = trainer.step(closure)
    assert loss.item() == 4.0 and w.item() == 2.0 - 0.25 * 4.0


def test_zero_grad():
    w = tg.ones(2, requires_grad=True)
    trainer = optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    grad = w.grad
    trainer.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    trainer.zero_grad()
    assert w.grad is None


def test_gradients_accumulate_without_zero_grad():
    w = tg.ones(1, requires_grad=True)
    (w * 2).sum().backward()
    (w * 2).sum().backward()
    assert w.grad.item() == 4.0     # why the loop calls zero_grad()


# ---- param groups and repr ----------------------------------------------------------
def test_param_groups_are_merged_with_defaults_and_each_uses_its_lr():
    a, b = tg.ones(1, requires_grad=True), tg.ones(1, requires_grad=True)
    trainer = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert trainer.param_groups[0]["lr"] == 0.1 and trainer.param_groups[1]["lr"] == 0.5
    assert trainer.param_groups[1]["momentum"] == 0.9 and trainer.param_groups[1]["params"] == [b]
    a.grad, b.grad = tg.ones(1), tg.ones(1)
    trainer.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.5], rtol=1e-6)
    c = tg.ones(1, requires_grad=True)
    trainer.add_param_group({"params": [c], "lr": 1.0})
    assert trainer.param_groups[2]["weight_decay"] == 0 and len(trainer.param_groups) == 3
    trainer.param_groups[0]["lr"] = 0.0     # the lr is read at every step
    trainer.step()
    np.testing.assert_allclose(a.item(), 0.9 - 0.0, rtol=1e-6)


def test_optimizer_repr():
    trainer = optim.SGD([tg.ones(1, requires_grad=True)], lr=0.03)
    assert repr(trainer) == ("SGD (\nParameter Group 0\n    dampening: 0\n    lr: 0.03\n    maximize: False\n"
                             "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)")


# ---- SGD and Optimizer: bad arguments ------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (dict(lr="0.1"), TypeError, "Invalid learning rate: '0.1' (lr must be a number)"),
    (dict(lr=0.1, momentum=-0.5), ValueError, "Invalid momentum value: -0.5"),
    (dict(lr=0.1, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (dict(lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero dampening "
                                              "(got momentum=0, dampening=0)"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening (got momentum=0.9, dampening=0.1)"),
])
def test_sgd_argument_checks(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        optim.SGD(_w(), **kwargs)


def test_sgd_params_checks():
    w = tg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match=re.escape("params argument given to the optimizer should be an iterable of "
                                                  "Tensors or dicts, but got Tensor")):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    net = nn.Linear(2, 1)
    params = net.parameters()
    optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match=r"optimizer got an empty parameter list.*can only be used once"):
        optim.SGD(params, lr=0.1)            # the generator is used up
    with pytest.raises(TypeError, match="but got dict; pass model.parameters()"):
        optim.SGD(net.state_dict(), lr=0.1)
    with pytest.raises(TypeError, match="but got int"):
        optim.SGD(3, lr=0.1)
    with pytest.raises(TypeError, match=re.escape("optimizer can only optimize Tensors, but one of the params is "
                                                  "tuple (pass model.parameters(), not named_parameters())")):
        optim.SGD(net.named_parameters(), lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="parameter 1 appears twice in the same parameter group"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered collections"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        optim.SGD([w], lr=0.1).add_param_group([tg.ones(1, requires_grad=True)])


# ---- state_dict: SGD's layout and round trip -----------------------------------------
def _train(net, trainer, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        X, y = tg.tensor(rng.normal(size=(8, 2))), tg.tensor(rng.normal(size=(8, 1)))
        trainer.zero_grad()
        nn.MSELoss()(net(X.float()), y.float()).backward()
        trainer.step()


def test_state_dict_layout_and_round_trip_with_momentum():
    tg.manual_seed(0)
    net = nn.Linear(2, 1)
    trainer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    _train(net, trainer, 3, seed=1)
    sd = trainer.state_dict()
    assert sorted(sd) == ["param_groups", "state"] and sorted(sd["state"]) == [0, 1]
    assert sd["param_groups"][0]["params"] == [0, 1] and sd["param_groups"][0]["nesterov"] is True
    assert sd["state"][0]["momentum_buffer"].shape == (1, 2)

    # a copy of model and optimizer, restored from the state dicts, continues identically
    twin = nn.Linear(2, 1)
    twin.load_state_dict(net.state_dict())
    twin_trainer = optim.SGD(twin.parameters(), lr=0.5)
    twin_trainer.load_state_dict(sd)
    assert twin_trainer.param_groups[0]["lr"] == 0.1 and twin_trainer.param_groups[0]["params"][0] is twin.weight
    assert twin_trainer.state[twin.weight]["momentum_buffer"] is not trainer.state[net.weight]["momentum_buffer"]
    _train(net, trainer, 4, seed=2)
    _train(twin, twin_trainer, 4, seed=2)
    assert np.array_equal(net.weight.detach().numpy(), twin.weight.detach().numpy())
    assert np.array_equal(net.bias.detach().numpy(), twin.bias.detach().numpy())


def test_load_state_dict_mismatches():
    a, b = tg.ones(2, requires_grad=True), tg.ones(3, requires_grad=True)
    trainer = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = tg.ones(2), tg.ones(3)
    trainer.step()
    sd = trainer.state_dict()
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups: it has 1, "
                                         "this optimizer has 2"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group: group 0 has 2 parameter"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match=re.escape("state 'momentum_buffer' of parameter 0 has shape (2,), but the "
                                                   "parameter has shape (3,)")):
        optim.SGD([b, a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="expected the dict made by optimizer.state_dict()"):
        trainer.load_state_dict({"state": {}})


# ---- Adam, AdamW, RMSprop, Adagrad, Adadelta, L-BFGS against PyTorch -------------------------
STEPS = 200

# (optimizer, options for all groups, per-group options for two groups or None)
CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), None),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.01, maximize=True), None),
    ("Adam", dict(lr=0.01), None),
    ("Adam", dict(lr=0.01, amsgrad=True), None),
    ("Adam", dict(lr=0.01, weight_decay=0.1), None),
    ("Adam", dict(lr=0.003, betas=(0.8, 0.99), eps=1e-6, maximize=True), None),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), None),
    ("Adam", dict(lr=0.01), [dict(weight_decay=0.1, amsgrad=True), dict(lr=0.003, betas=(0.8, 0.99))]),
    ("AdamW", dict(lr=0.01), None),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True), None),
    ("AdamW", dict(lr=0.01), [dict(weight_decay=0.0), dict(weight_decay=0.5, amsgrad=True)]),
    ("RMSprop", dict(lr=0.002), None),
    ("RMSprop", dict(lr=0.002, centered=True), None),
    ("RMSprop", dict(lr=0.005, momentum=0.9), None),
    ("RMSprop", dict(lr=0.001, alpha=0.95, centered=True, momentum=0.5, weight_decay=0.01, maximize=True), None),
    ("RMSprop", dict(lr=0.002), [dict(weight_decay=0.1), dict(centered=True, momentum=0.5, lr=0.001)]),
    ("Adagrad", dict(lr=0.1), None),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1), None),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, eps=1e-6, maximize=True), None),
    ("Adagrad", dict(lr=0.1), [dict(weight_decay=0.1, initial_accumulator_value=0.5), dict(lr_decay=0.05)]),
    ("Adadelta", dict(lr=0.5), None),
    ("Adadelta", dict(lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.01, maximize=True), None),
    ("Adadelta", dict(lr=0.5), [dict(weight_decay=0.1), dict(rho=0.5, lr=0.2)]),
]


def _case_id(case):
    name, options, groups = case
    text = ",".join(f"{k}={v}" for k, v in options.items())
    return f"{name}({text})" + ("-two-groups" if groups else "")


# ---- the two problems, built identically in both frameworks ---------------------------
def _problem(kind, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    y = X @ [[2.0], [-3.4], [1.5]] + 4.2 + 0.01 * rng.normal(size=(40, 1))   # the notes' kind of data
    if kind == "linear":
        shapes = [(1, 3), (1,)]
    else:
        shapes = [(8, 3), (8,), (1, 8), (1,)]
    return X, y, [rng.normal(size=s) * 0.5 for s in shapes]


def _ours(kind, X, y, initial):
    params = [tg.tensor(a, requires_grad=True) for a in initial]
    X, y = tg.tensor(X), tg.tensor(y)

    def loss():
        h = X @ params[0].T + params[1]
        if kind == "mlp":
            h = h.tanh() @ params[2].T + params[3]
        return nn.MSELoss()(h, y)               # ½·mean((ŷ − y)²)
    return params, loss


def _theirs(torch, kind, X, y, initial):
    params = [torch.tensor(a, requires_grad=True) for a in initial]
    X, y = torch.tensor(X), torch.tensor(y)

    def loss():
        h = X @ params[0].T + params[1]
        if kind == "mlp":
            h = torch.tanh(h) @ params[2].T + params[3]
        return torch.nn.functional.mse_loss(h, y) / 2
    return params, loss


def _groups(params, groups):
    """Two groups (the first layer, the rest) with their own options, or one plain list."""
    if groups is None:
        return params
    split = 2 if len(params) > 2 else 1
    return [dict(groups[0], params=params[:split]), dict(groups[1], params=params[split:])]


def _closure(trainer, loss, sign):
    def closure():
        trainer.zero_grad()
        value = sign * loss()                   # maximize: maximizing −ℓ minimizes ℓ
        value.backward()
        return value
    return closure


def _assert_same(ours, theirs, rtol, what):
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=1e-13,
                                   err_msg=f"{what}, parameter {i}")


def _assert_same_state(trainer, reference, params, torch_params, rtol):
    """Every state entry, by PyTorch's names; the step counts equal."""
    for i, (p, q) in enumerate(zip(params, torch_params)):
        mine, theirs = trainer.state.get(p, {}), reference.state.get(q, {})
        assert sorted(mine) == sorted(theirs), f"parameter {i}: state {sorted(mine)} vs PyTorch's {sorted(theirs)}"
        for name, value in theirs.items():
            if name == "step":
                assert mine[name].item() == value.item() and mine[name].dtype == tg.float32
            else:
                np.testing.assert_allclose(mine[name].numpy(), value.numpy(), rtol=rtol, atol=1e-13,
                                           err_msg=f"state '{name}' of parameter {i}")


@pytest.mark.parametrize("kind", ["linear", "mlp"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_and_state_equal_pytorchs(case, kind):
    torch = optional("torch")
    name, options, groups = case
    X, y, initial = _problem(kind)
    params, loss = _ours(kind, X, y, initial)
    torch_params, torch_loss = _theirs(torch, kind, X, y, initial)
    trainer = getattr(optim, name)(_groups(params, groups), **options)
    reference = getattr(torch.optim, name)(_groups(torch_params, groups), **options)
    sign = -1 if options.get("maximize") else 1
    ours, theirs = _closure(trainer, loss, sign), _closure(reference, torch_loss, sign)
    for step in range(STEPS):
        trainer.step(ours)
        reference.step(theirs)
    _assert_same(params, torch_params, 1e-10, f"after {STEPS} steps")
    _assert_same_state(trainer, reference, params, torch_params, 1e-10)
    for mine, their in zip(trainer.param_groups, reference.param_groups):
        assert {k: v for k, v in their.items() if k in mine and k != "params"} == \
               {k: v for k, v in mine.items() if k != "params"}   # our settings are PyTorch's, same values
    assert loss().item() < _ours(kind, X, y, initial)[1]().item()    # and it trained


LBFGS_CASES = [
    ("linear", dict(), 3),
    ("linear", dict(line_search_fn="strong_wolfe"), 3),
    ("linear", dict(lr=0.5, max_iter=4, history_size=2), 10),
    ("mlp", dict(max_iter=5, history_size=3), 4),
    ("mlp", dict(line_search_fn="strong_wolfe", max_iter=5, history_size=3), 4),
    ("mlp", dict(line_search_fn="strong_wolfe", max_iter=8, max_eval=10, tolerance_change=1e-12), 3),
]


@pytest.mark.parametrize("kind, options, steps", LBFGS_CASES,
                         ids=[f"{k}-{','.join(f'{a}={b}' for a, b in o.items()) or 'defaults'}"
                              for k, o, _ in LBFGS_CASES])
def test_lbfgs_equals_pytorchs(kind, options, steps):
    """L-BFGS on a non-convex loss amplifies rounding (about ×3 per step on the MLP), hence few steps there."""
    torch = optional("torch")
    X, y, initial = _problem(kind)
    params, loss = _ours(kind, X, y, initial)
    torch_params, torch_loss = _theirs(torch, kind, X, y, initial)
    trainer, reference = optim.LBFGS(params, **options), torch.optim.LBFGS(torch_params, **options)
    for step in range(steps):
        a = trainer.step(_closure(trainer, loss, 1))
        b = reference.step(_closure(reference, torch_loss, 1))
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-8)
        _assert_same(params, torch_params, 1e-8, f"after step {step + 1}")
    mine, theirs = trainer.state[params[0]], reference.state[torch_params[0]]
    assert sorted(mine) == sorted(theirs)
    assert (mine["func_evals"], mine["n_iter"]) == (theirs["func_evals"], theirs["n_iter"])
    for name in ("d", "prev_flat_grad"):
        np.testing.assert_allclose(mine[name].numpy(), theirs[name].numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose([mine["t"], mine["H_diag"], mine["prev_loss"]],
                               [float(theirs["t"]), float(theirs["H_diag"]), theirs["prev_loss"]], rtol=1e-7)
    assert len(mine["old_dirs"]) == len(theirs["old_dirs"]) == len(mine["ro"])


def test_lbfgs_reaches_the_closed_form_of_linear_regression():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=(50, 1))
    net = nn.Linear(3, 1, dtype=tg.float64)
    trainer = optim.LBFGS(net.parameters(), line_search_fn="strong_wolfe", tolerance_change=1e-14)
    closure = _closure(trainer, lambda: nn.MSELoss()(net(tg.tensor(X)), tg.tensor(y)), 1)
    trainer.step(closure)
    A = np.hstack([X, np.ones((50, 1))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0].ravel()
    np.testing.assert_allclose(np.concatenate([net.weight.detach().numpy().ravel(), net.bias.detach().numpy()]),
                               theta, atol=1e-6)


def test_adam_and_friends_reach_the_closed_form():
    """End to end: full-batch training of the notes' ½·mean((Xw + b − y)²), the rate annealed to 0 by a
    cosine (with a constant rate the adaptive methods hover at about lr around the minimum), ends at
    θ* = lstsq([X 1], y)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 2))
    y = X @ np.array([[2.0], [-3.4]]) + 4.2 + 0.01 * rng.normal(size=(100, 1))
    theta = np.linalg.lstsq(np.hstack([X, np.ones((100, 1))]), y, rcond=None)[0].ravel()
    steps = 1000
    for make in (lambda p: optim.Adam(p, lr=0.1), lambda p: optim.AdamW(p, lr=0.1, weight_decay=0),
                 lambda p: optim.RMSprop(p, lr=0.05), lambda p: optim.Adagrad(p, lr=1.0),
                 lambda p: optim.Adadelta(p, lr=10.0)):
        net = nn.Linear(2, 1, dtype=tg.float64)
        trainer = make(net.parameters())
        schedule = optim.lr_scheduler.CosineAnnealingLR(trainer, T_max=steps)
        for _ in range(steps):
            trainer.zero_grad()
            nn.MSELoss()(net(tg.tensor(X)), tg.tensor(y)).backward()
            trainer.step()
            schedule.step()
        found = np.concatenate([net.weight.detach().numpy().ravel(), net.bias.detach().numpy()])
        np.testing.assert_allclose(found, theta, atol=1e-4, err_msg=type(trainer).__name__)


def test_float32_parameters_stay_float32_and_follow_pytorch():
    torch = optional("torch")
    X, y, initial = _problem("linear")
    initial = [a.astype(np.float32) for a in initial]
    for name, options in [("Adam", dict(lr=0.01, amsgrad=True)), ("RMSprop", dict(lr=0.01, centered=True,
                                                                                   momentum=0.5)),
                          ("Adagrad", dict(lr=0.1)), ("Adadelta", dict(lr=0.5)), ("AdamW", dict(lr=0.01))]:
        params = [tg.tensor(a, requires_grad=True) for a in initial]
        torch_params = [torch.tensor(a, requires_grad=True) for a in initial]
        trainer, reference = getattr(optim, name)(params, **options), getattr(torch.optim, name)(torch_params,
                                                                                              **options)
        rng = np.random.default_rng(0)
        for _ in range(20):
            grads = [rng.normal(size=a.shape).astype(np.float32) for a in initial]
            for p, q, g in zip(params, torch_params, grads):
                p.grad, q.grad = tg.tensor(g), torch.tensor(g)
            trainer.step()
            reference.step()
        for p, q in zip(params, torch_params):
            assert p.dtype == tg.float32 and all(v.dtype == p.dtype for k, v in trainer.state[p].items() if k != "step")
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_parameters_without_gradients_are_skipped_and_get_no_state():
    a, b = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    for make in (optim.Adam, optim.RMSprop, optim.Adadelta, optim.AdamW):
        trainer = make([a, b])
        a.grad, b.grad = tg.ones(2), None
        trainer.step()
        assert b.tolist() == [1.0, 1.0] and b not in trainer.state and trainer.state[a]["step"].item() == 1
    trainer = optim.Adagrad([a, b])          # Adagrad makes its state up front, as PyTorch does
    assert trainer.state[b]["sum"].tolist() == [0.0, 0.0] and trainer.state[b]["step"].item() == 0


@pytest.mark.parametrize("make", [optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad, optim.Adadelta])
def test_step_changes_the_parameter_in_place_and_returns_the_closures_loss(make):
    w = tg.tensor([1.0, -2.0], requires_grad=True)
    memory = w.detach().numpy()
    trainer = make([w], lr=0.1)
    with tg.no_grad():                           # the closure still records: step turns recording on for it
        loss = trainer.step(_closure(trainer, lambda: (w ** 2).sum(), 1))
    assert loss.item() == 5.0 and w.is_leaf and w.requires_grad and w.grad_fn is None
    assert memory[0] < 1.0 and memory[1] > -2.0   # the very same memory moved downhill
    if make is optim.Adam:
        np.testing.assert_allclose(memory, [0.9, -1.9], rtol=1e-6)   # Adam's first step: η·sign(g)


# ---- the in-place ops of the updates ------------------------------------------------------
INPLACE = [
    ("addcmul_", lambda x, a, b: x.addcmul_(a, b, value=0.3)),
    ("addcdiv_", lambda x, a, b: x.addcdiv_(a, b, value=-0.7)),
    ("lerp_ small weight", lambda x, a, b: x.lerp_(a * b, 0.1)),
    ("lerp_ large weight", lambda x, a, b: x.lerp_(a * b, 0.9)),
]


@pytest.mark.parametrize("name, op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_update_ops_equal_pytorchs_and_keep_float32(name, op):
    torch = optional("torch")
    rng = np.random.default_rng(0)
    x, a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), np.abs(rng.normal(size=(3,))) + 0.5
    for dtype in (np.float64, np.float32):
        mine = tg.tensor(x.astype(dtype))
        theirs = torch.tensor(x.astype(dtype))
        same = op(mine, tg.tensor(a.astype(dtype)), tg.tensor(b.astype(dtype)))
        op(theirs, torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype)))
        assert same is mine and mine.dtype == (tg.float64 if dtype == np.float64 else tg.float32)
        tol = dict(rtol=1e-14, atol=1e-16) if dtype == np.float64 else dict(rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), **tol)


@pytest.mark.parametrize("name, op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_update_ops_are_differentiable_on_a_non_leaf(name, op):
    rng = np.random.default_rng(1)
    x0, a0, b0 = rng.normal(size=(4,)), rng.normal(size=(4,)), np.abs(rng.normal(size=(4,))) + 0.5

    def f(x, a, b):
        h = x * 1.0                              # a non-leaf, changed in place
        op(h, a, b)
        return (h * h).sum()

    assert tg.autograd.gradcheck(f, tuple(tg.tensor(v, requires_grad=True) for v in (x0, a0, b0)))


def test_inplace_update_op_mistakes():
    with pytest.raises(ValueError, match=re.escape("addcmul_: operands of shapes (4,) and (4,) cannot be applied in "
                                                   "place to a tensor of shape (3,)")):
        tg.ones(3).addcmul_(tg.ones(4), tg.ones(4))
    with pytest.raises(TypeError, match="addcdiv_: the result of type float.* cannot be stored in place in a int64"):
        tg.ones(3, dtype=tg.int64).addcdiv_(tg.ones(3), tg.ones(3))
    with pytest.raises(RuntimeError, match="lerp_: a leaf tensor that requires grad"):
        tg.ones(3, requires_grad=True).lerp_(tg.zeros(3), 0.5)
    with pytest.raises(TypeError, match="lerp_: weight must be a number, got str"):
        tg.ones(3).lerp_(tg.zeros(3), "0.5")


# ---- state_dict: a checkpoint mid-training continues exactly -------------------------------
ROUND_TRIPS = [
    (optim.Adam, dict(lr=0.01, amsgrad=True)),
    (optim.AdamW, dict(lr=0.01, betas=(0.8, 0.9))),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01)),
    (optim.Adadelta, dict(lr=0.5)),
    (optim.LBFGS, dict(max_iter=3, history_size=2, line_search_fn="strong_wolfe")),
]


@pytest.mark.parametrize("make, options", ROUND_TRIPS, ids=[m.__name__ for m, _ in ROUND_TRIPS])
def test_state_dict_through_save_and_load_continues_the_same_trajectory(make, options, tmp_path):
    X, y, initial = _problem("mlp")

    def run(params, loss, trainer, steps):
        for _ in range(steps):
            trainer.step(_closure(trainer, loss, 1))

    params, loss = _ours("mlp", X, y, initial)
    trainer = make(params, **options)
    run(params, loss, trainer, 5)
    tg.save({"params": [p.detach() for p in params], "optimizer": trainer.state_dict()}, tmp_path / "ckpt.npz")
    run(params, loss, trainer, 5)                                      # uninterrupted: 10 steps

    checkpoint = tg.load(tmp_path / "ckpt.npz")
    resumed, resumed_loss = _ours("mlp", X, y, [p.numpy() for p in checkpoint["params"]])
    resumed_trainer = make(resumed, lr=123.0)                          # the saved settings win
    resumed_trainer.load_state_dict(checkpoint["optimizer"])
    assert resumed_trainer.param_groups[0]["lr"] == options.get("lr", 1)
    first = resumed_trainer.state[resumed[0]]
    if make is not optim.LBFGS:
        assert first["step"].item() == 5 and first["step"].dtype == tg.float32
    run(resumed, resumed_loss, resumed_trainer, 5)
    for a, b in zip(params, resumed):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_state_dict_layout_is_pytorchs():
    w = tg.ones(2, 3, requires_grad=True)
    trainer = optim.Adam([w], lr=0.1, amsgrad=True)
    w.grad = tg.ones(2, 3)
    trainer.step()
    sd = trainer.state_dict()
    assert sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999) and sd["param_groups"][0]["params"] == [0]
    with pytest.raises(ValueError, match=re.escape("state 'exp_avg' of parameter 0 has shape (2, 3), but the "
                                                   "parameter has shape (3,)")):
        optim.Adam([tg.ones(3, requires_grad=True)]).load_state_dict(sd)


# ---- bad hyper-parameters: PyTorch's message, then the rule and a fix ------------------------
BAD = [
    (optim.Adam, dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1 (lr must be >= 0, e.g. lr=1e-3)"),
    (optim.Adam, dict(betas=(1.0, 0.999)), ValueError,
     "Invalid beta parameter at index 0: 1.0 (betas[0] must be in [0, 1), e.g. betas=(0.9, 0.999))"),
    (optim.Adam, dict(betas=(0.9, -0.1)), ValueError, "Invalid beta parameter at index 1: -0.1"),
    (optim.Adam, dict(betas=0.9), TypeError, "Adam: betas must be a pair of numbers"),
    (optim.Adam, dict(eps=-1e-8), ValueError, "Invalid epsilon value: -1e-08 (eps must be >= 0"),
    (optim.Adam, dict(weight_decay=-1), ValueError, "Invalid weight_decay value: -1 (weight_decay must be >= 0"),
    (optim.Adam, dict(lr="0.1"), TypeError, "Invalid learning rate: '0.1' (lr must be a number)"),
    (optim.Adam, dict(lr=float("nan")), ValueError, "Invalid learning rate: nan"),
    (optim.AdamW, dict(betas=(0.9, 1.0)), ValueError, "Invalid beta parameter at index 1: 1.0"),
    (optim.RMSprop, dict(alpha=-0.5), ValueError, "Invalid alpha value: -0.5 (alpha must be >= 0"),
    (optim.RMSprop, dict(momentum=-0.9), ValueError, "Invalid momentum value: -0.9"),
    (optim.RMSprop, dict(eps=-1.0), ValueError, "Invalid epsilon value: -1.0"),
    (optim.Adagrad, dict(lr_decay=-0.1), ValueError, "Invalid lr_decay value: -0.1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), ValueError, "Invalid initial_accumulator_value value: -1"),
    (optim.Adagrad, dict(weight_decay=-0.1), ValueError, "Invalid weight_decay value: -0.1"),
    (optim.Adadelta, dict(rho=1.5), ValueError, "Invalid rho value: 1.5 (rho must be in [0, 1], e.g. rho=0.9)"),
    (optim.Adadelta, dict(lr=-1), ValueError, "Invalid learning rate: -1"),
    (optim.LBFGS, dict(lr=-1), ValueError, "Invalid learning rate: -1"),
    (optim.LBFGS, dict(history_size=0), ValueError,
     "Invalid history_size value: 0 (history_size must be a whole number >= 1, e.g. history_size=100)"),
    (optim.LBFGS, dict(max_iter=2.5), ValueError, "Invalid max_iter value: 2.5"),
    (optim.LBFGS, dict(max_eval=0), ValueError, "Invalid max_eval value: 0"),
    (optim.LBFGS, dict(tolerance_grad=-1e-7), ValueError, "Invalid tolerance_grad value: -1e-07"),
    (optim.LBFGS, dict(line_search_fn="armijo"), ValueError,
     "Invalid line_search_fn: 'armijo' (LBFGS supports line_search_fn=None or 'strong_wolfe')"),
]


@pytest.mark.parametrize("make, kwargs, error, message", BAD,
                         ids=[f"{m.__name__}-{next(iter(k))}" for m, k, _, _ in BAD])
def test_bad_hyperparameters(make, kwargs, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        make(_w(), **kwargs)


def test_lbfgs_usage_mistakes():
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\): got "
                                         r"2 groups"):
        optim.LBFGS([{"params": _w()}, {"params": _w()}])
    with pytest.raises(TypeError, match=r"^LBFGS\.step\(\) needs a closure that re-evaluates the loss"):
        optim.LBFGS(_w()).step()
    with pytest.raises(TypeError, match=r"^LBFGS\.step: the closure must return the loss, but it returned NoneType"):
        optim.LBFGS(_w()).step(lambda: None)
