"""no_grad, enable_grad and set_grad_enabled as decorators, as PyTorch 2 allows them (issue 23, items 12-13).

- On a generator function, each resumption of the generator runs in the mode (what it yields does not require
  grad), while the caller's code between two ``next()`` keeps its own mode;
- ``@no_grad`` and ``@enable_grad`` work without parentheses; ``set_grad_enabled`` needs its mode.
"""
import pytest

import tinygrad_lr as tg
from conftest import optional


def _weights():
    return tg.tensor([1.0, 2.0], requires_grad=True)


# ---- a generator function under no_grad (item 12) -------------------------------------------------------------
def test_what_a_no_grad_generator_yields_does_not_require_grad():
    w = _weights()

    @tg.no_grad()
    def predictions(batches):
        for x in batches:
            yield w * x

    seen = []
    for p in predictions([1.0, 2.0, 3.0]):
        seen.append(p.requires_grad)
        assert tg.is_grad_enabled()          # the loop body runs in the caller's mode
        assert (w * 2).requires_grad
    assert seen == [False, False, False]


def test_each_resumption_runs_in_the_mode_and_send_throw_close_and_return_pass_through():
    w, modes, events = _weights(), [], []

    @tg.no_grad()
    def gen():
        try:
            while True:
                modes.append(tg.is_grad_enabled())
                try:
                    got = yield w * 2
                except ValueError as e:
                    events.append(("caught", str(e), tg.is_grad_enabled()))
                    got = None
                if got == "stop":
                    return "the value returned"
        finally:
            events.append(("closed", tg.is_grad_enabled()))

    g = gen()
    assert not next(g).requires_grad
    assert not g.send(1).requires_grad
    assert not g.throw(ValueError("thrown in")).requires_grad
    with pytest.raises(StopIteration) as stop:
        g.send("stop")
    assert stop.value.value == "the value returned"
    assert modes == [False, False, False]
    assert events == [("caught", "thrown in", False), ("closed", False)]
    g2 = gen()
    next(g2)
    g2.close()                               # closing runs the generator's finally in the mode too
    assert events[-1] == ("closed", False) and tg.is_grad_enabled()


def test_enable_grad_and_set_grad_enabled_wrap_generators_too():
    w = _weights()

    @tg.enable_grad()
    def recorded():
        yield w * 2

    @tg.set_grad_enabled(False)
    def unrecorded():
        yield w * 2

    with tg.no_grad():
        assert next(recorded()).requires_grad
    assert not next(unrecorded()).requires_grad
    assert tg.is_grad_enabled()


def test_a_no_grad_generator_as_pytorch():
    torch = optional("torch")
    for lib in (tg, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)

        @lib.no_grad()
        def gen():
            yield w * 2
            yield w * 3

        assert [p.requires_grad for p in gen()] == [False, False]
        assert lib.is_grad_enabled()


# ---- without parentheses (item 13) ---------------------------------------------------------------------------
def test_no_grad_and_enable_grad_decorate_without_parentheses():
    w = _weights()

    @tg.no_grad
    def evaluate(x):
        """Docstring kept."""
        return w * x

    @tg.enable_grad
    def record(x):
        return w * x

    assert not evaluate(2.0).requires_grad
    assert evaluate.__name__ == "evaluate" and evaluate.__doc__ == "Docstring kept."
    with tg.no_grad():
        assert record(2.0).requires_grad
    assert tg.is_grad_enabled()


def test_no_grad_without_parentheses_on_a_generator_and_a_method():
    w = _weights()

    class Model:
        @tg.no_grad
        def predict(self, x):
            return w * x

        @tg.no_grad
        def stream(self, xs):
            for x in xs:
                yield w * x

    m = Model()
    assert not m.predict(2.0).requires_grad
    assert [p.requires_grad for p in m.stream([1.0, 2.0])] == [False, False]


def test_the_same_decorators_work_in_pytorch():
    torch = optional("torch")
    for lib in (tg, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)

        @lib.no_grad
        def f():
            return w * 2

        @lib.enable_grad
        def g():
            return w * 2

        assert not f().requires_grad
        with lib.no_grad():
            assert g().requires_grad


def test_arguments_that_are_not_functions_are_refused_with_the_spelling_to_use():
    with pytest.raises(TypeError, match=r"^no_grad\(\) takes no arguments \(got one of type int\): write "
                                        r"'with no_grad\(\):', or decorate a function with @no_grad\(\) or @no_grad"):
        tg.no_grad(3)
    with pytest.raises(TypeError, match=r"^set_grad_enabled: mode must be True or False, got the function f; as a "
                                        r"decorator: @set_grad_enabled\(False\)"):
        @tg.set_grad_enabled
        def f():
            pass
    assert tg.is_grad_enabled()
