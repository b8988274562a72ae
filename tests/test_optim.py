"""optim: SGD's update rule (by hand and against PyTorch step by step), Optimizer, lr_scheduler."""
import re

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn, optim
from tinygrad_lr.optim import lr_scheduler

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


# ---- the update rule ----------------------------------------------------------------
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


# ---- param groups -------------------------------------------------------------------
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


# ---- bad arguments -------------------------------------------------------------------
def _w():
    return [tg.ones(2, requires_grad=True)]


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


# ---- state_dict ----------------------------------------------------------------------
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


# ---- lr_scheduler ---------------------------------------------------------------------
def test_step_lr():
    trainer = optim.SGD(_w(), lr=1.0)
    scheduler = lr_scheduler.StepLR(trainer, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(6):
        lrs.append(scheduler.get_last_lr()[0])
        trainer.step()
        scheduler.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]             # η₀·γ^⌊t/2⌋
    assert trainer.param_groups[0]["lr"] == 0.125 and trainer.param_groups[0]["initial_lr"] == 1.0


def test_lambda_lr_and_state_dict():
    trainer = optim.SGD([{"params": _w()}, {"params": _w(), "lr": 0.2}], lr=0.1)
    scheduler = lr_scheduler.LambdaLR(trainer, lambda t: 1 / (1 + t))
    for _ in range(3):
        scheduler.step()
    np.testing.assert_allclose(scheduler.get_last_lr(), [0.1 / 4, 0.2 / 4])
    state = scheduler.state_dict()
    assert state["last_epoch"] == 3 and "optimizer" not in state and "lr_lambdas" not in state
    fresh = lr_scheduler.LambdaLR(optim.SGD([{"params": _w()}, {"params": _w(), "lr": 0.2}], lr=0.1),
                                  [lambda t: 1.0, lambda t: 2.0])
    fresh.load_state_dict(state)
    assert fresh.last_epoch == 3 and fresh.base_lrs == [0.1, 0.2]
    fresh.step()
    assert fresh.get_last_lr() == [0.1, 0.4]


def test_schedulers_match_pytorch():
    torch = optional("torch")
    ours = optim.SGD(_w(), lr=0.3)
    theirs = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.3)
    pairs = [(lr_scheduler.StepLR(ours, 3, gamma=0.1), torch.optim.lr_scheduler.StepLR(theirs, 3, gamma=0.1))]
    ours2, theirs2 = optim.SGD(_w(), lr=0.3), torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.3)
    pairs.append((lr_scheduler.LambdaLR(ours2, lambda t: 0.9 ** t),
                  torch.optim.lr_scheduler.LambdaLR(theirs2, lambda t: 0.9 ** t)))
    for mine, reference in pairs:
        for _ in range(10):
            reference.optimizer.step()
            mine.step()
            reference.step()
            assert mine.get_last_lr() == reference.get_last_lr()


def test_scheduler_bad_arguments():
    trainer = optim.SGD(_w(), lr=0.1)
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive integer, got 0"):
        lr_scheduler.StepLR(trainer, step_size=0)
    with pytest.raises(ValueError, match="LambdaLR: expected 1 lr_lambdas \\(one per param group\\), but got 2"):
        lr_scheduler.LambdaLR(trainer, [lambda t: 1, lambda t: 1])
    with pytest.raises(TypeError, match="LambdaLR: lr_lambda must be a function of the epoch, got float"):
        lr_scheduler.LambdaLR(trainer, 0.5)
    with pytest.raises(TypeError, match="StepLR: Linear is not an Optimizer"):
        lr_scheduler.StepLR(nn.Linear(1, 1), 2)
