"""optim.lr_scheduler: every scheduler's learning rates (and OneCycleLR's momenta) against PyTorch's, epoch by epoch.

The schedules are computed as PyTorch computes them (most recursively, from the
current rate), so the sequences must be the same numbers, not just close ones.
"""
import re

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as tg
from tinygrad_lr import nn, optim
from tinygrad_lr.optim import lr_scheduler

EPOCHS = 100
# These tests step schedulers alone to read their rates; PyTorch's warning for a scheduler stepped before its
# optimizer (test_scheduler_order.py tests it) is not what they are about.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before:UserWarning")


def _two_groups(framework, ones, name="SGD", **options):
    """An optimizer with two groups of different learning rates (0.5 and 1.0)."""
    groups = [{"params": [ones(2, requires_grad=True)], "lr": 0.5}, {"params": [ones(2, requires_grad=True)]}]
    return getattr(framework, name)(groups, **dict(dict(lr=1.0, momentum=0.9) if name == "SGD" else
                                                   dict(lr=1.0), **options))


# each case: (id, how to build the scheduler from (lr_scheduler module, optimizer), optimizer name)
CASES = [
    ("StepLR", lambda S, o: S.StepLR(o, step_size=7, gamma=0.5), "SGD"),
    ("MultiStepLR", lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.5), "SGD"),
    ("ExponentialLR", lambda S, o: S.ExponentialLR(o, gamma=0.95), "SGD"),
    ("CosineAnnealingLR", lambda S, o: S.CosineAnnealingLR(o, T_max=30), "SGD"),
    ("CosineAnnealingLR-eta_min", lambda S, o: S.CosineAnnealingLR(o, T_max=100, eta_min=0.01), "Adam"),
    ("LinearLR", lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=40), "SGD"),
    ("LinearLR-defaults", lambda S, o: S.LinearLR(o), "Adam"),
    ("LambdaLR", lambda S, o: S.LambdaLR(o, lambda t: 1 / (1 + 0.1 * t)), "SGD"),
    ("OneCycleLR-cos", lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=EPOCHS), "SGD"),
    ("OneCycleLR-linear", lambda S, o: S.OneCycleLR(o, max_lr=1.0, epochs=10, steps_per_epoch=10,
                                                    anneal_strategy="linear"), "SGD"),
    ("OneCycleLR-three_phase", lambda S, o: S.OneCycleLR(o, max_lr=2.0, total_steps=EPOCHS, three_phase=True,
                                                         pct_start=0.25), "SGD"),
    ("OneCycleLR-adam-betas", lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=EPOCHS, div_factor=10,
                                                        final_div_factor=100, base_momentum=0.8,
                                                        max_momentum=0.9), "Adam"),
    ("OneCycleLR-rmsprop-linear-three_phase", lambda S, o: S.OneCycleLR(o, 0.1, total_steps=EPOCHS,
                                                                        anneal_strategy="linear",
                                                                        three_phase=True), "RMSprop"),
    ("OneCycleLR-no-momentum", lambda S, o: S.OneCycleLR(o, 0.1, total_steps=EPOCHS, cycle_momentum=False),
     "Adagrad"),
    ("SequentialLR", lambda S, o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, 50),
                                                    S.ExponentialLR(o, 0.9)], milestones=[5, 60]), "SGD"),
    ("SequentialLR-step-multistep", lambda S, o: S.SequentialLR(o, [S.StepLR(o, 3, 0.5), S.MultiStepLR(o, [5, 20])],
                                                                milestones=[12]), "Adam"),
    ("ChainedScheduler", lambda S, o: S.ChainedScheduler([S.LinearLR(o, 0.1, total_iters=5),
                                                          S.ExponentialLR(o, 0.97)]), "SGD"),
]


def _run(torch, make, name, metrics=None):
    """The learning rates (and momenta) of each group, ours and PyTorch's, for EPOCHS epochs."""
    ours = _two_groups(optim, tg.ones, name)
    theirs = _two_groups(torch.optim, torch.ones, name)
    mine, reference = make(lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
    a, b = [mine.get_last_lr()], [reference.get_last_lr()]
    key = "betas" if "betas" in ours.defaults else "momentum"
    ma, mb = [], []
    for epoch in range(EPOCHS):
        theirs.step()
        if metrics is None:
            mine.step()
            reference.step()
        else:
            mine.step(metrics[epoch])
            reference.step(metrics[epoch])
        a.append(mine.get_last_lr())
        b.append(reference.get_last_lr())
        ma.append([g.get(key) for g in ours.param_groups])
        mb.append([g.get(key) for g in theirs.param_groups])
        assert [g["lr"] for g in ours.param_groups] == a[-1]
    return a, b, ma, mb


@pytest.mark.parametrize("make, name", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_learning_rates_are_pytorchs(make, name):
    torch = optional("torch")
    a, b, ma, mb = _run(torch, make, name)
    assert a == b                 # exactly: the same operations in the same order
    assert ma == mb               # OneCycleLR's momentum (or Adam's β₁) too


def _losses(seed=0):
    """A validation loss that improves, stalls, and jitters: 100 epochs of it."""
    rng = np.random.default_rng(seed)
    trend = 5 * np.exp(-np.arange(EPOCHS) / 15) + 1
    return list(trend + 0.05 * rng.normal(size=EPOCHS))


PLATEAUS = [
    dict(),
    dict(patience=3, factor=0.5, cooldown=2, min_lr=[0.01, 0.02]),
    dict(patience=2, threshold=0.01, threshold_mode="abs", min_lr=0.05),
    dict(mode="max", patience=2, threshold=0.1, factor=0.7),
    dict(mode="max", threshold_mode="abs", patience=0, eps=0.1, cooldown=1),
]


@pytest.mark.parametrize("options", PLATEAUS, ids=[",".join(f"{k}={v}" for k, v in o.items()) or "defaults"
                                                    for o in PLATEAUS])
def test_reduce_lr_on_plateau_fed_the_same_losses_is_pytorchs(options):
    torch = optional("torch")
    losses = _losses()
    if options.get("mode") == "max":
        losses = [-x for x in losses]
    a, b, _, _ = _run(torch, lambda S, o: S.ReduceLROnPlateau(o, **options), "SGD", metrics=losses)
    assert a == b
    assert a[-1] != a[0] or not options          # the schedule did reduce (the defaults' patience is 10)


def test_reduce_lr_on_plateau_by_hand_and_with_a_tensor_metric():
    trainer = optim.SGD([tg.ones(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(trainer, patience=1, factor=0.5)
    for loss in [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0]:
        scheduler.step(tg.tensor(loss))
    assert scheduler.get_last_lr() == [0.25]     # two stalls of 2 epochs > patience 1
    assert scheduler.best == 1.0 and scheduler.num_bad_epochs == 0


@pytest.mark.parametrize("resume_at", [10, 45])
def test_resuming_with_last_epoch_is_pytorchs(resume_at):
    """A scheduler built with last_epoch = k continues from epoch k (CosineAnnealingLR uses its closed form)."""
    torch = optional("torch")
    for make in (lambda S, o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.1, last_epoch=resume_at),
                 lambda S, o: S.ExponentialLR(o, 0.9, last_epoch=resume_at),
                 lambda S, o: S.LinearLR(o, 0.2, total_iters=50, last_epoch=resume_at),
                 lambda S, o: S.StepLR(o, 4, last_epoch=resume_at)):
        ours, theirs = _two_groups(optim, tg.ones), _two_groups(torch.optim, torch.ones)
        for group in ours.param_groups + theirs.param_groups:
            group["initial_lr"] = group["lr"]
        mine, reference = make(lr_scheduler, ours), make(torch.optim.lr_scheduler, theirs)
        for _ in range(30):
            assert mine.get_last_lr() == reference.get_last_lr()
            theirs.step()
            mine.step()
            reference.step()


def test_cosine_annealing_follows_its_closed_form_and_a_rate_changed_by_hand():
    trainer = optim.SGD([tg.ones(1, requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.CosineAnnealingLR(trainer, T_max=10, eta_min=0.1)
    for t in range(1, 21):
        scheduler.step()
        expected = 0.1 + 0.9 * (1 + np.cos(np.pi * t / 10)) / 2
        np.testing.assert_allclose(scheduler.get_last_lr()[0], expected, rtol=1e-12)   # and back up after T_max
    trainer.param_groups[0]["lr"] = 0.5                                                 # recursive: followed
    scheduler.step()
    assert scheduler.get_last_lr()[0] < 0.5


def test_one_cycle_lr_bounds_and_too_many_steps():
    trainer = optim.SGD([tg.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(trainer, max_lr=1.0, total_steps=10)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(9):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    np.testing.assert_allclose([lrs[0], max(lrs), lrs[-1]], [1.0 / 25, 1.0, 1.0 / 25 / 1e4], rtol=1e-12)
    scheduler.step()                              # the 10th step is still allowed, as in PyTorch
    with pytest.raises(ValueError, match=r"^OneCycleLR: tried to step 11 times, but the specified number of total "
                                         r"steps is 10"):
        scheduler.step()


# ---- state_dict: a schedule saved mid-way continues identically -------------------------------
SAVED = [
    ("MultiStepLR", lambda o: lr_scheduler.MultiStepLR(o, [5, 12, 12, 30], gamma=0.5)),
    ("CosineAnnealingLR", lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=0.01)),
    ("OneCycleLR", lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=60, three_phase=True)),
    ("ReduceLROnPlateau", lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=2, cooldown=1)),
    ("SequentialLR", lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.LinearLR(o, 0.1, total_iters=5),
                                                             lr_scheduler.ExponentialLR(o, 0.9)], [8])),
    ("ChainedScheduler", lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(o, 3),
                                                                  lr_scheduler.LinearLR(o, 0.5, total_iters=9)])),
]


@pytest.mark.parametrize("make", [m for _, m in SAVED], ids=[n for n, _ in SAVED])
def test_state_dict_through_save_and_load_continues_the_schedule(make, tmp_path):
    losses = _losses(1)

    def step(scheduler, epoch):
        if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
            scheduler.step(losses[epoch])
        else:
            scheduler.step()
        return scheduler.get_last_lr()

    trainer = _two_groups(optim, tg.ones)
    scheduler = make(trainer)
    for epoch in range(20):
        step(scheduler, epoch)
    tg.save({"optimizer": trainer.state_dict(), "scheduler": scheduler.state_dict()}, tmp_path / "ckpt.npz")
    expected = [step(scheduler, epoch) for epoch in range(20, 40)]

    checkpoint = tg.load(tmp_path / "ckpt.npz")
    resumed_trainer = _two_groups(optim, tg.ones)
    resumed = make(resumed_trainer)              # built first (it sets the rates), then both loaded
    resumed_trainer.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    assert resumed.optimizer is resumed_trainer
    assert [step(resumed, epoch) for epoch in range(20, 40)] == expected


def test_state_dict_leaves_out_the_optimizer_and_the_combined_schedulers_save_theirs():
    trainer = _two_groups(optim, tg.ones)
    inner = [lr_scheduler.StepLR(trainer, 2), lr_scheduler.ExponentialLR(trainer, 0.5)]
    state = lr_scheduler.SequentialLR(trainer, inner, milestones=[4]).state_dict()
    assert "optimizer" not in state and [s["last_epoch"] for s in state["_schedulers"]] == [0, -1]
    assert "optimizer" not in lr_scheduler.ReduceLROnPlateau(trainer).state_dict()


# ---- bad arguments ---------------------------------------------------------------------------
def _trainer(name="SGD"):
    return getattr(optim, name)([tg.ones(2, requires_grad=True)], lr=0.1)


BAD = [
    (lambda: lr_scheduler.MultiStepLR(_trainer(), milestones=[1.5]), TypeError,
     "MultiStepLR: milestones must be epoch numbers (integers), got 1.5"),
    (lambda: lr_scheduler.CosineAnnealingLR(_trainer(), T_max=0), ValueError,
     "CosineAnnealingLR: T_max must be a positive integer, got 0"),
    (lambda: lr_scheduler.LinearLR(_trainer(), start_factor=0), ValueError,
     "LinearLR: start_factor must be in (0, 1], got 0"),
    (lambda: lr_scheduler.LinearLR(_trainer(), end_factor=1.5), ValueError,
     "LinearLR: end_factor must be in [0, 1], got 1.5"),
    (lambda: lr_scheduler.OneCycleLR(_trainer(), max_lr=1.0), ValueError,
     "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda: lr_scheduler.OneCycleLR(_trainer(), max_lr=1.0, total_steps=0), ValueError,
     "OneCycleLR: total_steps must be a positive integer, got 0"),
    (lambda: lr_scheduler.OneCycleLR(_trainer(), max_lr=1.0, total_steps=10, pct_start=1.5), ValueError,
     "OneCycleLR: pct_start must be a number in [0, 1], got 1.5"),
    (lambda: lr_scheduler.OneCycleLR(_trainer(), max_lr=1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got 'exp'"),
    (lambda: lr_scheduler.OneCycleLR(_trainer(), max_lr=[1.0, 2.0], total_steps=10), ValueError,
     "OneCycleLR: max_lr must have the same length as optimizer.param_groups: max_lr has 2 values, "
     "param_groups has 1"),
    (lambda: lr_scheduler.OneCycleLR(_trainer("Adagrad"), max_lr=1.0, total_steps=10), ValueError,
     "OneCycleLR: optimizer must support momentum or beta1 with `cycle_momentum` option enabled (Adagrad has "
     "neither); pass cycle_momentum=False"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_trainer(), factor=1.0), ValueError,
     "ReduceLROnPlateau: factor should be < 1.0, got 1.0"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_trainer(), mode="minimum"), ValueError,
     "ReduceLROnPlateau: mode must be 'min' or 'max', got 'minimum'"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_trainer(), threshold_mode="relative"), ValueError,
     "ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got 'relative'"),
    (lambda: lr_scheduler.ReduceLROnPlateau(_trainer(), min_lr=[0.1, 0.2]), ValueError,
     "ReduceLROnPlateau: min_lr must have the same length as optimizer.param_groups"),
    (lambda: lr_scheduler.ReduceLROnPlateau(tg.nn.Linear(1, 1)), TypeError,
     "ReduceLROnPlateau: Linear is not an Optimizer"),
    (lambda: lr_scheduler.SequentialLR(_trainer(), [], milestones=[]), ValueError,
     "SequentialLR expects at least one scheduler, but got none"),
    (lambda: lr_scheduler.ChainedScheduler([]), ValueError,
     "ChainedScheduler expects at least one scheduler, but got none"),
]


@pytest.mark.parametrize("build, error, message", BAD, ids=[m.split(":")[0].split(" ")[0] + f"-{i}"
                                                            for i, (_, _, m) in enumerate(BAD)])
def test_bad_arguments(build, error, message):
    with pytest.raises(error, match="^" + re.escape(message)):
        build()


def test_combined_schedulers_check_what_they_combine():
    a, b = _trainer(), _trainer()
    with pytest.raises(ValueError, match=r"^SequentialLR expects one milestone fewer than schedulers, but got 2 "
                                         r"schedulers and 2 milestones"):
        lr_scheduler.SequentialLR(a, [lr_scheduler.StepLR(a, 2), lr_scheduler.StepLR(a, 3)], milestones=[2, 4])
    with pytest.raises(ValueError, match=r"^SequentialLR expects all schedulers to belong to the same optimizer, "
                                         r"but the StepLR at index 1 has another one"):
        lr_scheduler.SequentialLR(a, [lr_scheduler.StepLR(a, 2), lr_scheduler.StepLR(b, 3)], milestones=[2])
    with pytest.raises(ValueError, match=r"^ChainedScheduler does not support ReduceLROnPlateau \(at index 0\)"):
        lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(a)])
    with pytest.raises(TypeError, match=r"^ChainedScheduler: the scheduler at index 1 is a float, not a scheduler"):
        lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(a, 2), 0.5])


# ---- by hand: StepLR and LambdaLR, and the first checks -----------------------------------
def _w():
    return [tg.ones(2, requires_grad=True)]


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
