"""A newcomer's test run: skips summed up by reason, failures and errors in full (issue 23).

Without PyTorch, ``-ra`` printed one ``SKIPPED [n] file:line: torch is not installed`` line per test location
(~150 lines) above the result.  pyproject's ``-rfE`` lists failures and errors; tests/conftest.py prints
the skips as one line per reason with its count.  This runs pytest, with the project's own configuration,
on a file of tests that skip for two reasons, fail once and pass once.
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = "tests/tools/_skips_for_the_summary.py"


def _pytest(*options):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, EXAMPLE],
                            cwd=ROOT, capture_output=True, text=True)
    return result.stdout.splitlines()


def test_skips_are_summed_up_by_reason_and_the_failure_is_shown_in_full():
    lines = _pytest()
    assert "43 skipped, by reason (-rs lists them)" in "\n".join(lines)
    reasons = [line.split(None, 1) for line in lines if line.startswith("    ")]
    assert ["40", "nonexistent_module is not installed"] in reasons and ["3", "a GPU is not available"] in reasons
    assert not any(line.startswith("SKIPPED") for line in lines)
    assert any(line.startswith("E       AssertionError: a failure is listed in full") for line in lines)
    assert any(line.startswith("FAILED tests/tools/_skips_for_the_summary.py::test_that_fails") for line in lines)
    assert lines[-1].startswith("1 failed, 1 passed, 43 skipped")
    assert len(lines) < 30


def test_asking_for_the_skips_lists_them_as_pytest_does():
    lines = _pytest("-rs")
    assert any(line.startswith("SKIPPED [40] ") and line.endswith("nonexistent_module is not installed")
               for line in lines)
    assert not any("by reason" in line for line in lines)
