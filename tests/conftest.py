"""Shared test helpers: optional dependencies that must really be there in CI."""
import importlib
import os

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
                     help="fuzz tests (tests/core/test_fuzz*.py) draw tens of thousands of graphs instead of a few hundred")


def pytest_configure(config):
    if config.getoption("--fuzz-long"):
        os.environ["TINYGRAD_LR_FUZZ_LONG"] = "1"   # read by tests/_fuzz_graphs.py when the fuzz tests import it
