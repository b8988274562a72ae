"""The character-model examples run as scripts, briefly, and print what their docstrings say.

- makemore_bigram.py: the counting model's negative log likelihood is the one computed here from the
  counts themselves; the neural bigram's loss falls towards it;
- makemore_mlp.py (and its --model wavenet): the losses fall well below ln 27;
- gpt.py: the first loss is ln(vocabulary size), as it must be for a fresh model, and falls;
- every sample is a string over the data's characters, and the same seed draws the same samples.

Each script runs once as ``python examples/<name>.py`` with few steps; the seed checks call the
examples' functions in-process, which is quicker.  Last, each script runs under PyTorch with PyTorch's
imports in place of ours: they are PyTorch programs.
"""
import contextlib
import importlib.util
import io
import math
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import optional

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
WORDS = (EXAMPLES / "data" / "names.txt").read_text().split()
STORY = (EXAMPLES / "data" / "tiny_story.txt").read_text()


def run_script(name, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def numbers(pattern, out):
    found = [float(x) for x in re.findall(pattern, out, re.M)]
    assert found, (pattern, out)
    return found


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main_output(module, *argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        module.main(list(argv))
    return out.getvalue()


def samples(line_start, out):
    line = next(line for line in out.splitlines() if line.startswith(line_start))
    return line[len(line_start):].split()


# ---- the data ------------------------------------------------------------------------------------------
def test_names_txt_is_what_its_generator_writes():
    done = subprocess.run([sys.executable, str(EXAMPLES / "data" / "make_names.py"), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(WORDS) == len(set(WORDS)) == 4000 and all(re.fullmatch("[a-z]{3,12}", w) for w in WORDS)
    assert set("".join(WORDS)) == set("abcdefghijklmnopqrstuvwxyz")


def test_the_story_is_plain_ascii_prose_of_10_to_20_kb():
    assert 10_000 <= len(STORY.encode()) <= 20_000 and STORY.isascii()
    assert len(set(STORY)) < 64 and len(STORY.split()) > 2000


# ---- the bigram model ------------------------------------------------------------------------------
def counting_nll():
    """−mean log P[x, y] over every bigram of names.txt, with P = (N + 1) / row sums, from NumPy counts."""
    stoi = {s: i + 1 for i, s in enumerate(sorted(set("".join(WORDS))))}
    stoi["."] = 0
    pairs = [(stoi[a], stoi[b]) for w in WORDS for a, b in zip("." + w, w + ".")]
    xs, ys = np.array(pairs).T
    N = np.zeros((27, 27))
    np.add.at(N, (xs, ys), 1)
    P = (N + 1) / (N + 1).sum(1, keepdims=True)
    return -np.log(P[xs, ys]).mean()


@pytest.fixture(scope="module")
def bigram_out():
    return run_script("makemore_bigram.py", "--steps", "40", "--samples", "4")


def test_bigram_nll_is_the_one_computed_from_the_counts(bigram_out):
    (printed,) = numbers(r"^counting model: nll (\S+)", bigram_out)
    assert printed == pytest.approx(counting_nll(), abs=1e-4)
    assert printed < math.log(27) - 0.5                     # far below uniform guessing


def test_neural_bigram_losses_fall_towards_the_counting_model(bigram_out):
    losses = numbers(r"^step +\d+: loss (\S+)", bigram_out)
    assert len(losses) == 5 and all(a > b for a, b in zip(losses, losses[1:]))
    (net,) = numbers(r"^neural bigram: nll (\S+),", bigram_out)
    (count,) = numbers(r"^neural bigram: nll \S+, counting model (\S+),", bigram_out)
    assert count == pytest.approx(counting_nll(), abs=1e-4)
    assert 0 < net - count < 0.1 and losses[0] - count > 1.0  # from > 1 nat above it to within 0.1


def test_bigram_samples_are_names_over_the_alphabet(bigram_out):
    for start in ("samples from the counts:", "samples from the net:"):
        names = samples(start, bigram_out)
        assert len(names) >= 3 and all(re.fullmatch("[a-z]+", name) for name in names), names


def test_bigram_sampling_repeats_with_the_same_seed():
    bigram = load("makemore_bigram")
    torch = bigram.torch
    stoi, itos = bigram.vocabulary(WORDS[:300])
    N = bigram.count_bigrams(WORDS[:300], stoi)
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    draw = lambda seed: bigram.sample(P, itos, torch.Generator().manual_seed(seed), 6)  # noqa: E731
    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


# ---- the MLP and its WaveNet-style sibling ---------------------------------------------------------
def test_mlp_script_losses_fall_and_it_samples_names():
    out = run_script("makemore_mlp.py", "--steps", "300", "--every", "100", "--samples", "5")
    (before,) = numbers(r"^before training: train loss (\S+)", out)
    assert before == pytest.approx(math.log(27), abs=0.1)  # the small W2 makes the first guess uniform
    running = numbers(r"train loss \(mean of the last \d+ batches\) (\S+)", out)
    assert running[-1] < running[0] - 0.5
    (train,) = numbers(r"^train loss (\S+)$", out)
    (val,) = numbers(r"^val loss (\S+)$", out)
    assert train < before - 0.5 and val < before - 0.5
    names = samples("samples:", out)
    assert len(names) >= 3 and all(re.fullmatch("[a-z]+", name) for name in names), names


@pytest.mark.parametrize("model", ["mlp", "wavenet"])
def test_mlp_runs_repeat_with_the_same_seed(model):
    mlp = load("makemore_mlp")
    args = ["--model", model, "--steps", "60", "--every", "30", "--samples", "4"]
    first, second = main_output(mlp, *args), main_output(mlp, *args)
    assert first == second
    (before,) = numbers(r"^before training: train loss (\S+)", first)
    (after,) = numbers(r"^train loss (\S+)$", first)
    assert after < before
    assert main_output(mlp, *args, "--seed", "1") != first


# ---- the GPT -----------------------------------------------------------------------------------------
def test_gpt_script_starts_at_uniform_and_learns():
    out = run_script("gpt.py", "--steps", "60", "--eval-interval", "30", "--eval-iters", "4", "--tokens", "60")
    vocab = len(set(STORY))
    train = numbers(r"^step \d+: train loss (\S+),", out)
    val = numbers(r"^step \d+: train loss \S+, val loss (\S+)$", out)
    assert len(train) == 3
    assert train[0] == pytest.approx(math.log(vocab), abs=0.1)   # std-0.02 weights: near-uniform logits
    assert train[-1] < train[0] - 1.0 and val[-1] < val[0] - 1.0
    text = out.split("sample:\n", 1)[1].rstrip("\n")
    assert text.startswith("The ") and len(text) == 4 + 60 and set(text) <= set(STORY)


def test_gpt_repeats_with_the_same_seed(monkeypatch):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):   # gpt.py sets them when unset: undo that after
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    gpt = load("gpt")
    args = ["--steps", "4", "--eval-interval", "4", "--eval-iters", "2", "--tokens", "30"]
    first = main_output(gpt, *args)
    assert main_output(gpt, *args) == first
    assert main_output(gpt, *args, "--seed", "7") != first


# ---- only the imports differ from PyTorch -----------------------------------------------------------
PYTORCH_IMPORTS = {"import tinygrad_lr.torch as torch": "import torch",
                   "import tinygrad_lr.torch.nn as nn": "import torch.nn as nn",
                   "import tinygrad_lr.torch.nn.functional as F": "import torch.nn.functional as F",
                   "from tinygrad_lr.torch.nn import functional as F": "from torch.nn import functional as F"}
RUN_UNDER_PYTORCH = """
import sys
path = sys.argv[1]
source = open(path).read()
for ours, theirs in {imports!r}.items():
    source = source.replace(ours, theirs)
assert "tinygrad_lr" not in source.split('\"\"\"', 2)[2], "an import of tinygrad_lr is left"
sys.argv = sys.argv[1:]
exec(compile(source, path, "exec"), {{"__name__": "__main__", "__file__": path}})
"""


@pytest.mark.parametrize("script, args", [
    ("makemore_bigram.py", ["--steps", "5", "--samples", "2"]),
    ("makemore_mlp.py", ["--steps", "20", "--every", "10", "--samples", "2"]),
    ("makemore_mlp.py", ["--model", "wavenet", "--steps", "20", "--every", "10", "--samples", "2"]),
    ("gpt.py", ["--steps", "4", "--eval-interval", "2", "--eval-iters", "2", "--tokens", "20"]),
], ids=["bigram", "mlp", "wavenet", "gpt"])
def test_the_examples_run_under_pytorch_with_only_the_imports_changed(script, args):
    """The scripts are PyTorch programs: with PyTorch's imports in place of ours they run and print the same lines."""
    optional("torch")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", RUN_UNDER_PYTORCH.format(imports=PYTORCH_IMPORTS),
                           str(EXAMPLES / script), *args], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    ours = run_script(script, *args)
    label = lambda line: re.sub(r"[-+]?\d[\d.]*(e[-+]?\d+)?", "#", line.split(":")[0])  # noqa: E731
    assert [label(line) for line in done.stdout.splitlines()[:3]] == [label(line) for line in ours.splitlines()[:3]]
