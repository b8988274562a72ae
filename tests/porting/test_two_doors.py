"""Both doors' squared errors in one program: one warning per process (issue 23, item 17).

``tinygrad_lr.nn.MSELoss`` is ½·mean((ŷ − y)²); ``tinygrad_lr.torch.nn.MSELoss`` (and the facade's
``F.mse_loss``) is PyTorch's mean((ŷ − y)²).  A program that uses both gets half the loss and half the
gradient from one of them: the first use of the second door (an MSELoss made, the facade's F.mse_loss
called) warns, once.  (tests/conftest.py notes both doors for the rest of the suite; these tests start from
none, in a fresh interpreter or with the record emptied.)
"""
import subprocess
import sys
import textwrap
import warnings

import pytest

import tinygrad_lr as tg
import tinygrad_lr.torch as torch_door
from tinygrad_lr import nn
from tinygrad_lr.nn import loss as loss_module


@pytest.fixture
def no_door_used_yet(monkeypatch):
    monkeypatch.setattr(loss_module, "_DOORS_USED", set())


def _run(code):
    """UserWarnings of ``code`` run in this process, as (line, first words)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _data():
    return tg.tensor([[1.0], [2.0]]), tg.tensor([[1.0], [4.0]])


def test_one_door_alone_never_warns(no_door_used_yet):
    y_hat, y = _data()
    assert _run(lambda: [nn.MSELoss()(y_hat, y) for _ in range(3)]) == []
    assert _run(lambda: nn.functional.mse_loss(y_hat, y)) == []


def test_the_second_door_warns_once_and_says_half_the_loss_and_half_the_gradient(no_door_used_yet):
    y_hat, y = _data()
    assert _run(lambda: torch_door.nn.MSELoss()(y_hat, y)) == []
    messages = _run(lambda: [nn.MSELoss()(y_hat, y), nn.MSELoss()(y_hat, y), torch_door.nn.MSELoss()(y_hat, y)])
    assert len(messages) == 1
    assert messages[0].startswith("MSELoss: this program uses both tinygrad_lr.nn.MSELoss, ½·mean((ŷ − y)²)")
    assert "half the loss and half the gradient" in messages[0] and "docs/porting.md" in messages[0]
    assert _run(lambda: [nn.MSELoss()(y_hat, y), torch_door.nn.functional.mse_loss(y_hat, y)]) == []


def test_the_facades_functional_mse_loss_counts_as_its_door(no_door_used_yet):
    y_hat, y = _data()
    nn.MSELoss()(y_hat, y)
    assert len(_run(lambda: torch_door.nn.functional.mse_loss(y_hat, y))) == 1


def test_the_values_are_unchanged(no_door_used_yet):
    y_hat, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nn.MSELoss()(y_hat, y).item() == 1.0            # ½ · (0 + 4) / 2
        assert torch_door.nn.MSELoss()(y_hat, y).item() == 2.0


def test_a_program_that_mixes_the_doors_sees_one_warning_naming_its_line(tmp_path):
    program = tmp_path / "mixed.py"
    program.write_text(textwrap.dedent("""
        import tinygrad_lr as tg
        from tinygrad_lr import nn
        import tinygrad_lr.torch as torch
        y_hat, y = tg.tensor([[1.0], [2.0]]), tg.tensor([[1.0], [4.0]])
        for _ in range(3):
            nn.MSELoss()(y_hat, y)
            torch.nn.MSELoss()(y_hat, y)
    """))
    result = subprocess.run([sys.executable, "-W", "always", str(program)], capture_output=True, text=True,
                            check=True)
    lines = [line for line in result.stderr.splitlines() if "UserWarning" in line]
    assert len(lines) == 1 and lines[0].startswith(f"{program}:8: UserWarning: MSELoss: this program uses both")
