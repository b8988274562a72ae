"""Learning-rate schedules: change each group's ``'lr'`` once per epoch with ``scheduler.step()``.

    scheduler = lr_scheduler.StepLR(trainer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)        # trainer.step() for every batch
        scheduler.step()            # then once per epoch

PyTorch's schedulers, computed as PyTorch computes them (most recursively, from
the current rate), so the sequences of learning rates are the same numbers:
``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``LinearLR``, ``CosineAnnealingLR``,
``LambdaLR``, ``OneCycleLR`` (stepped once per batch), ``ReduceLROnPlateau``
(stepped with the validation loss), and ``SequentialLR`` / ``ChainedScheduler``,
which combine others.  ``get_last_lr()`` is what the last step set;
``state_dict()`` saves a schedule with ``tinygrad_lr.save``.
"""
import bisect
import math
import numbers
import warnings
from collections import Counter

from .optimizer import Optimizer


_STEP_BEFORE_OPTIMIZER = (  # PyTorch's words
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should call "
    "them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in "
    "PyTorch skipping the first value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")


class _NoteTheFirstStep:
    """``optimizer.step`` until the optimizer's first step: it notes that step (``optimizer._opt_called``, PyTorch's
    name), takes itself away and runs the class's step; from then on the class's step runs alone, at no cost.

    PyTorch detects a scheduler stepped first the same way, by wrapping ``optimizer.step``.  (This one holds the
    optimizer itself, not a weak reference: ``copy.deepcopy(optimizer)`` then gives the copy a wrapper of its own.)
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer

    @staticmethod
    def install(optimizer):
        if "step" not in vars(optimizer) and not getattr(optimizer, "_opt_called", False):  # (not replaced by hand)
            optimizer._opt_called = False
            optimizer.step = _NoteTheFirstStep(optimizer)

    def __call__(self, *args, **kwargs):
        optimizer = self.optimizer
        optimizer._opt_called = True
        if vars(optimizer).get("step") is self:
            del optimizer.step
        return type(optimizer).step(optimizer, *args, **kwargs)


def _check_optimizer(scheduler, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(scheduler).__name__}: {type(optimizer).__name__} is not an Optimizer")


def _lrs(optimizer):
    """Each group's current learning rate."""
    return [group["lr"] for group in optimizer.param_groups]


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
        _NoteTheFirstStep.install(optimizer)
        self._initial_step()

    def _initial_step(self):
        """Epoch 0 (or the one after last_epoch): set η_t.  ``_is_initial`` is True during this step."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rates for epoch ``self.last_epoch``, one per group."""
        raise NotImplementedError

    def step(self):
        """Advance one epoch: t ← t + 1, and every group's ``'lr'`` ← η_t.

        Call it after ``optimizer.step()``: the first call warns, as in PyTorch, if the optimizer has not
        stepped yet (the schedule would then skip its first learning rate, η₀).
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", True):
            warnings.warn(_STEP_BEFORE_OPTIMIZER, UserWarning, stacklevel=2)
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch=None):
        """Go to the next epoch, or to ``epoch`` (by the closed form η_t where the schedule has one)."""
        if epoch is None:
            self.last_epoch += 1
            lrs = self.get_lr()
        else:
            self.last_epoch = epoch
            lrs = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

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
        self.step_size, self.gamma = _check_positive_int("StepLR", "step_size", step_size), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = _lrs(self.optimizer)
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


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


def _check_positive_int(scheduler, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{scheduler}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _per_group(scheduler, name, optimizer, value):
    """One value per param group: a list of that many, or one value for all (PyTorch's _format_param)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{scheduler}: {name} must have the same length as optimizer.param_groups: "
                             f"{name} has {len(value)} values, param_groups has {n}; give one value per "
                             "group, or a single number for all")
        return list(value)
    return [value] * n


class MultiStepLR(LRScheduler):
    """η_t = η₀ · γ^(the number of milestones ≤ t): multiply by γ at each epoch in ``milestones``.

    Example: ``MultiStepLR(trainer, milestones=[30, 80], gamma=0.1)`` gives η₀ for
    epochs 0–29, 0.1·η₀ for 30–79 and 0.01·η₀ from 80 on.  A milestone listed twice
    multiplies by γ² there.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, numbers.Integral):
                raise TypeError(f"MultiStepLR: milestones must be epoch numbers (integers), got {m!r}")
        self.milestones, self.gamma = Counter(int(m) for m in milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return _lrs(self.optimizer)
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in _lrs(self.optimizer)]

    def _get_closed_form_lr(self):
        passed = bisect.bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self.milestones = Counter(self.milestones)   # a saved Counter comes back as a plain dict


class ExponentialLR(LRScheduler):
    """η_t = η₀ · γᵗ, as η_t = γ · η_{t−1} every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return _lrs(self.optimizer)
        return [lr * self.gamma for lr in _lrs(self.optimizer)]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """η_t = η₀ · (s + (e − s)·min(t, T)/T): the factor goes linearly from s to e over T epochs (a warm-up).

    Computed as PyTorch does, recursively: η_t = η_{t−1}·(1 + (e − s)/(T·s + (t − 1)·(e − s))).

    Args:
        start_factor: s in (0, 1] (default 1/3).
        end_factor: e in [0, 1] (default 1).
        total_iters: T, the epochs to get from s to e (default 5).
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1.0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}: the learning rate "
                             "starts at start_factor·lr (e.g. start_factor=0.1 for a warm-up)")
        if not 0 <= end_factor <= 1.0:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = _check_positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        s, e, T, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [lr * s for lr in _lrs(self.optimizer)]
        if self._is_initial or t > T:
            return _lrs(self.optimizer)
        return [lr * (1.0 + (e - s) / (T * s + (t - 1) * (e - s))) for lr in _lrs(self.optimizer)]

    def _get_closed_form_lr(self):
        s, e, T = self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(T, self.last_epoch) / T) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η₀ − η_min)·(1 + cos(π·t/T_max))/2: half a cosine from η₀ down to η_min in T_max epochs.

    Computed as PyTorch does, recursively from the current rate (so that a rate changed
    by hand, or by another scheduler, is followed)::

        η_t = η_min + (η_{t−1} − η_min) · (1 + cos(π·t/T_max)) / (1 + cos(π·(t − 1)/T_max))

    After T_max epochs the rate climbs back up (the cosine's period is 2·T_max).

    Args:
        T_max: the number of epochs of the half cosine (≥ 1).
        eta_min: η_min, the lowest rate (default 0).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return _lrs(self.optimizer)
        if self._step_count == 1 and t > 0:       # resumed at epoch t: the closed form
            return self._get_closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:            # at the bottom: (1 + cos) is 0 there, so step up from it
            return [lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, _lrs(self.optimizer))]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - low) + low
                for lr in _lrs(self.optimizer)]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith, 2018): warm up to ``max_lr``, then anneal far below the start; step per batch.

    Over ``total_steps`` = epochs·steps_per_epoch steps (p = pct_start)::

        η goes  max_lr/div_factor → max_lr                 in the first p·total_steps steps
                max_lr → max_lr/(div_factor·final_div_factor)  in the rest
        with three_phase: up in p·total, back down to the start in the next p·total, then to the minimum

    each stretch by half a cosine (``anneal_strategy='cos'``) or a straight line
    (``'linear'``).  With ``cycle_momentum`` the momentum (SGD's, RMSprop's
    ``momentum``, Adam's β₁) moves the other way, between ``max_momentum`` and
    ``base_momentum``.  Call ``step()`` after every batch, at most total_steps times.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(self, optimizer)
        if total_steps is not None:
            self.total_steps = _check_positive_int("OneCycleLR", "total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_check_positive_int("OneCycleLR", "epochs", epochs)
                                * _check_positive_int("OneCycleLR", "steps_per_epoch", steps_per_epoch))
        else:
            raise ValueError("OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch), "
                             "e.g. OneCycleLR(trainer, max_lr=0.1, epochs=10, steps_per_epoch=len(data_iter))")
        if isinstance(pct_start, bool) or not isinstance(pct_start, numbers.Real) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be a number in [0, 1], got {pct_start!r} (the share of "
                             "the steps spent warming up, e.g. 0.3)")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self._anneal_func_type = anneal_strategy
        up = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                dict(end_step=up, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * self.total_steps) - 2, start_lr="max_lr", end_lr="initial_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
                dict(end_step=self.total_steps - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum")]
        else:
            self._schedule_phases = [
                dict(end_step=up, start_lr="initial_lr", end_lr="max_lr",
                     start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=self.total_steps - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum")]
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, top in zip(groups, _per_group("OneCycleLR", "max_lr", optimizer, max_lr)):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: optimizer must support momentum or beta1 with `cycle_momentum` "
                                 f"option enabled ({type(optimizer).__name__} has neither); pass "
                                 "cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            if last_epoch == -1:
                for group, high, low in zip(groups, _per_group("OneCycleLR", "max_momentum", optimizer, max_momentum),
                                            _per_group("OneCycleLR", "base_momentum", optimizer, base_momentum)):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        """From start (pct = 0) to end (pct = 1): half a cosine, or a straight line."""
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times, but the specified number of total steps is "
                             f"{self.total_steps}; step once per batch, and make total_steps (or epochs·"
                             "steps_per_epoch) cover the whole run")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == len(self._schedule_phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                               group[phase["end_momentum"]], pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by ``factor`` when a metric (the validation loss) has stopped improving.

    ``step(metric)`` once per epoch.  The metric improves when it beats the best so far
    by the threshold: mode 'min' and threshold_mode 'rel': metric < best·(1 − threshold);
    'abs': metric < best − threshold (and the other way round for mode 'max').  After more
    than ``patience`` epochs without improvement, every group's η ← max(η·factor, min_lr)
    (a change smaller than eps is skipped); then ``cooldown`` epochs pass before bad
    epochs count again.

    Args:
        mode: 'min' (a loss) or 'max' (an accuracy).
        factor: the factor < 1 (default 0.1).
        patience: epochs without improvement that are tolerated (default 10).
        threshold: how much better counts as better (default 1e-4).
        threshold_mode: 'rel' or 'abs'.
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: the lowest rate, one for all groups or a list (default 0).
        eps: the smallest change of η that is made (default 1e-8).
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if not factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be < 1.0, got {factor!r} (the rate is multiplied "
                             "by it, e.g. factor=0.1)")
        _check_optimizer(self, optimizer)
        self.factor, self.optimizer = factor, optimizer
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr, self.min_lrs = None, _per_group("ReduceLROnPlateau", "min_lr", optimizer, min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * len(optimizer.param_groups)
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    def _reset(self):
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.mode == "min":
            return a < best * (1.0 - self.threshold) if self.threshold_mode == "rel" else a < best - self.threshold
        return a > best * (self.threshold + 1.0) if self.threshold_mode == "rel" else a > best + self.threshold

    def step(self, metrics=None):
        """One epoch with validation metric ``metrics`` (a number or a one-element tensor)."""
        if metrics is None:
            raise TypeError("ReduceLROnPlateau.step() needs the value it watches, once per epoch: "
                            "scheduler.step(val_loss)")
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0               # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self):
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(self.optimizer.param_groups)} param "
                                   f"groups but min_lr has {len(self.min_lrs)} values (a group was added); set "
                                   "scheduler.min_lrs to one value per group")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


def _check_schedulers(combiner, optimizer, schedulers):
    if len(schedulers) < 1:
        raise ValueError(f"{combiner} expects at least one scheduler, but got none")
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler):
            raise TypeError(f"{combiner}: the scheduler at index {i} is a {type(s).__name__}, not a scheduler")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"{combiner} does not support ReduceLROnPlateau (at index {i}): its step() needs the "
                             "metric; step it yourself, next to the combined scheduler")
        if s.optimizer is not optimizer:
            raise ValueError(f"{combiner} expects all schedulers to belong to the same optimizer, but the "
                             f"{type(s).__name__} at index {i} has another one")


class _Combined(LRScheduler):
    """What SequentialLR and ChainedScheduler share: their schedulers' states are saved with theirs."""

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(state)
        for s, entry in zip(self._schedulers, saved):
            s.load_state_dict(entry)


class SequentialLR(_Combined):
    """One scheduler after another: ``schedulers[i]`` runs from ``milestones[i − 1]`` until ``milestones[i]``.

    Example, 5 epochs of warm-up then a cosine::

        warmup = lr_scheduler.LinearLR(trainer, start_factor=0.1, total_iters=5)
        cosine = lr_scheduler.CosineAnnealingLR(trainer, T_max=95)
        scheduler = lr_scheduler.SequentialLR(trainer, [warmup, cosine], milestones=[5])

    At a milestone the next scheduler starts over from its epoch 0.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer(self, optimizer)
        schedulers, milestones = list(schedulers), list(milestones)
        _check_schedulers("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects one milestone fewer than schedulers, but got "
                             f"{len(schedulers)} schedulers and {len(milestones)} milestones")
        self._schedulers, self._milestones = schedulers, milestones
        self.last_epoch, self.optimizer = last_epoch + 1, optimizer
        for group in optimizer.param_groups:      # undo the first steps the schedulers made when built
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            _undo_step(s)
        first = schedulers[bisect.bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        """One epoch of the scheduler whose stretch it is; at a milestone that one starts at its epoch 0."""
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_step(scheduler):
    """t ← t − 1 for a scheduler and, inside a combined one, for each of its schedulers."""
    if hasattr(scheduler, "_schedulers"):
        for s in scheduler._schedulers:
            _undo_step(s)
    else:
        scheduler.last_epoch -= 1


class ChainedScheduler(_Combined):
    """Several schedulers at once: ``step()`` steps each of them, in order, so their factors multiply.

    Example: ``ChainedScheduler([LinearLR(trainer, 0.1, total_iters=5), ExponentialLR(trainer, 0.9)])``.
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("ChainedScheduler expects at least one scheduler, but got none")
        optimizer = optimizer or getattr(schedulers[0], "optimizer", None)
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self._schedulers, self.optimizer = schedulers, optimizer
        self._last_lr = _lrs(optimizer)

    def step(self):
        for s in self._schedulers:
            s.step()
        self._last_lr = _lrs(self.optimizer)
