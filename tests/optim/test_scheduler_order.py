"""lr_scheduler.step() before optimizer.step(): PyTorch's UserWarning, with PyTorch's words, once (issue 23, item 14).

A scheduler wraps its optimizer's ``step`` until the optimizer's first step, which notes it; the scheduler's
first own ``step()`` warns if the optimizer has not stepped yet: the schedule would skip its first learning rate.
"""
import copy
import warnings

import pytest

import tinygrad_lr as tg
from conftest import optional
from tinygrad_lr import nn, optim
from tinygrad_lr.optim import lr_scheduler

PYTORCH_WORDS = ("Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you "
                 "should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.")


def _order_warnings(lib, optimizer_first, epochs=3, make=None):
    """The UserWarnings a loop of ``epochs`` gives, with the optimizer stepped before the scheduler or after it."""
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    trainer = lib.optim.SGD([w], lr=0.1)
    scheduler = (make or (lambda t: lib.optim.lr_scheduler.StepLR(t, step_size=1, gamma=0.5)))(trainer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(epochs):
            (w * w).sum().backward()
            if optimizer_first:
                trainer.step()
                scheduler.step()
            else:
                scheduler.step()
                trainer.step()
    return [str(m.message) for m in caught if issubclass(m.category, UserWarning)], scheduler.get_last_lr()


def test_the_scheduler_first_warns_once_with_pytorchs_words():
    messages, _ = _order_warnings(tg, optimizer_first=False)
    assert len(messages) == 1 and messages[0].startswith(PYTORCH_WORDS)
    assert "skipping the first value of the learning rate schedule" in messages[0]


def test_the_right_order_does_not_warn():
    assert _order_warnings(tg, optimizer_first=True)[0] == []


def test_the_warning_and_the_rates_are_pytorchs():
    torch = optional("torch")
    for optimizer_first in (False, True):
        ours, theirs = _order_warnings(tg, optimizer_first), _order_warnings(torch, optimizer_first)
        assert ours[0] == [m for m in theirs[0] if "lr_scheduler.step()" in m]
        assert ours[1] == pytest.approx(theirs[1])


def test_every_scheduler_and_every_optimizer_notes_it():
    for make in [lambda t: lr_scheduler.ExponentialLR(t, 0.9),
                 lambda t: lr_scheduler.LambdaLR(t, lambda e: 1 / (e + 1)),
                 lambda t: lr_scheduler.CosineAnnealingLR(t, T_max=5),
                 lambda t: lr_scheduler.SequentialLR(t, [lr_scheduler.LinearLR(t, 0.5, total_iters=2),
                                                         lr_scheduler.ExponentialLR(t, 0.9)], milestones=[2])]:
        assert len(_order_warnings(tg, optimizer_first=False, make=make)[0]) == 1
        assert _order_warnings(tg, optimizer_first=True, make=make)[0] == []
    for cls in (optim.Adam, optim.RMSprop, optim.Adagrad, optim.Adadelta, optim.AdamW):
        w = tg.tensor([1.0], requires_grad=True)
        trainer = cls([w])
        scheduler = lr_scheduler.StepLR(trainer, 1)
        (w * w).sum().backward()
        trainer.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scheduler.step()


def test_a_users_optimizer_subclass_is_noted_too_and_steps_once():
    class MySGD(optim.SGD):
        def step(self, closure=None):
            """My step."""
            return super().step(closure)

    w = tg.tensor([1.0], requires_grad=True)
    trainer = MySGD([w], lr=0.1)
    scheduler = lr_scheduler.StepLR(trainer, 1)
    assert not trainer._opt_called and "step" in vars(trainer)
    (w * w).sum().backward()
    trainer.step()
    assert trainer._opt_called and "step" not in vars(trainer)   # the wrapper took itself away
    assert w.item() == pytest.approx(0.8)                         # 1 − 0.1 · 2w: stepped once, by MySGD.step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()


def test_a_deep_copy_of_the_optimizer_steps_its_own_parameters():
    net = nn.Linear(2, 1)
    trainer = optim.SGD(net.parameters(), lr=0.1)
    lr_scheduler.StepLR(trainer, 1)
    twin = copy.deepcopy(trainer)
    before = net.weight.detach().clone()
    for p in twin.param_groups[0]["params"]:
        p.grad = tg.ones_like(p)
    twin.step()
    assert tg.equal(net.weight.detach(), before)          # the original's parameters did not move
