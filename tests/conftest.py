"""Shared test helpers: optional dependencies that must really be there in CI; skips summed up by reason."""
import importlib
import os
import warnings
from collections import Counter

import pytest

REQUIRE_OPTIONAL = os.environ.get("TINYGRAD_LR_REQUIRE_OPTIONAL") == "1"


def optional(module):
    """Import an optional dependency; skip without it locally, fail without it in CI."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if REQUIRE_OPTIONAL:
            pytest.fail(f"{module} is required in CI (TINYGRAD_LR_REQUIRE_OPTIONAL=1) but is not installed")
        pytest.skip(f"{module} is not installed")


def pytest_addoption(parser):
    parser.addoption("--fuzz-long", action="store_true",
                     help="fuzz tests (tests/core/test_fuzz*.py, tests/func/test_vmap_fuzz.py) draw tens of thousands "
                          "of graphs instead of a few hundred")


def pytest_configure(config):
    if config.getoption("--fuzz-long"):
        os.environ["TINYGRAD_LR_FUZZ_LONG"] = "1"   # read by tests/_fuzz_graphs.py when the fuzz tests import it
    # Both doors' MSELoss (tinygrad_lr.nn's ½ and tinygrad_lr.torch's) are used all over the suite: note both now,
    # or their once-per-process warning lands on whichever test happens to use the second one first
    # (tests/porting/test_two_doors.py tests that warning, starting from no door used).
    from tinygrad_lr.nn import loss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss.squared_error_used("tinygrad_lr.nn")
        loss.squared_error_used("tinygrad_lr.torch.nn")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The skipped tests, one line per reason with its count.

    pyproject's ``-rfE`` lists failures and errors one by one; ``-ra`` would list every skipped test location
    too (without PyTorch, 150 lines of 'torch is not installed' above the result).  Asked for with ``-rs``
    or ``-ra``, pytest's own list is printed instead of this one.
    """
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped or set(config.option.reportchars or "") & set("saA"):
        return
    reasons = Counter(_skip_reason(report) for report in skipped)
    terminalreporter.write_sep("=", f"{len(skipped)} skipped, by reason (-rs lists them)")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:6d}  {reason}")


def _skip_reason(report):
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")
