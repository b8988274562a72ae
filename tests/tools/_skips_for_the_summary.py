"""Tests that skip, for ``test_the_run_summarises_skips_by_reason``: run alone, never collected by the suite
(the file name does not start with test_)."""
import pytest


@pytest.mark.parametrize("i", range(40))
def test_needs_a_missing_module(i):
    pytest.skip("nonexistent_module is not installed")


@pytest.mark.parametrize("i", range(3))
def test_needs_something_else(i):
    pytest.skip("a GPU is not available")


def test_that_fails():
    assert 1 + 1 == 3, "a failure is listed in full"


def test_that_passes():
    pass
