"""Learning-rate schedules: change each group's ``'lr'`` once per epoch with ``scheduler.step()``.

    scheduler = lr_scheduler.StepLR(trainer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)        # trainer.step() for every batch
        scheduler.step()            # then once per epoch
"""
import numbers

from .optimizer import Optimizer


def _check_optimizer(scheduler, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(scheduler).__name__}: {type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """Base class: ``step()`` advances the epoch counter t and writes η_t into every param group.

    ``base_lrs`` are the learning rates η₀ the optimizer had when the
    scheduler was created (kept in each group as ``'initial_lr'``).
    """

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(self, optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                               "an optimizer (load the optimizer's state_dict first, or use last_epoch=-1)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()  # epoch 0 (or the one after last_epoch): set η_t

    def get_lr(self):
        """The learning rates for epoch ``self.last_epoch``, one per group."""
        raise NotImplementedError

    def step(self):
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per group."""
        return self._last_lr

    def state_dict(self):
        """Everything but the optimizer (and functions, which cannot be saved)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """η_t = η₀ · γ^⌊t / step_size⌋: multiply the learning rate by γ every ``step_size`` epochs.

    Computed as PyTorch does, by multiplying the current rate by γ at
    t = step_size, 2·step_size, …, so a rate changed by hand is respected.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        step_size: the number of epochs between decays (≥ 1).
        gamma: the factor γ (default 0.1).
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]


class LambdaLR(LRScheduler):
    """η_t = η₀ · λ(t), with λ a function of the epoch t (one per group, or one for all).

    Example: ``LambdaLR(trainer, lambda t: 1 / (1 + t))`` decays as 1/(1 + t).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(self, optimizer)
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per param group), but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]
