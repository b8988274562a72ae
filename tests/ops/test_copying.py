"""copy.copy, copy.deepcopy, NumPy's __array__, matplotlib and pickle on tensors, modules and state_dicts.

PyTorch's rules (each checked against PyTorch itself when it is installed):

- deepcopy of a leaf: a new leaf, copied values, a deep copy of .grad, the same requires_grad;
- deepcopy of a Parameter: a Parameter with copied values and *no* .grad;
- copy.copy of a leaf: a new tensor over the same memory, the same requires_grad, no .grad;
- deepcopy of a non-leaf: RuntimeError.  Ours also refuses copy.copy of a non-leaf (PyTorch returns
  a leaf cut off from the graph, which silently stops the gradients); both say detach() or clone();
- np.asarray(t) of a tensor that requires grad: RuntimeError, saying to detach().
Pickling stays refused (tinygrad_lr.load never unpickles), with a message that says how to save.
"""
import copy
import pickle

import numpy as np
import pytest

import tinygrad_lr
from conftest import optional
from tinygrad_lr import nn, optim

NON_LEAF = (r"^copy\.(deep)?copy: only leaf tensors \(made by the user, not computed by an op\) can be copied, "
            r"and this one was computed by MulBackward; use t\.detach\(\) for its values without the graph .*"
            r"or t\.clone\(\) for a copy that gradients flow back through")


def leaf_with_grad(lib):
    """w = [1, 2] requiring grad, after backward of Σ w² (so w.grad = 2w = [2, 4])."""
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    return w


def facts(t):
    """What a copy must get right, comparable between tinygrad_lr and PyTorch."""
    grad = None if t.grad is None else t.grad.tolist()
    return t.tolist(), t.requires_grad, t.is_leaf, grad, t.grad_fn is None


# ---- deepcopy ---------------------------------------------------------------------------------
def test_deepcopy_of_a_leaf_copies_values_and_grad():
    w = leaf_with_grad(tinygrad_lr)
    d = copy.deepcopy(w)
    assert type(d) is tinygrad_lr.Tensor and d is not w
    assert facts(d) == ([1.0, 2.0], True, True, [2.0, 4.0], True)
    assert d.dtype == w.dtype == np.float32
    assert d.grad is not w.grad
    with tinygrad_lr.no_grad():
        d.add_(10.0)
        d.grad.add_(10.0)
    assert w.tolist() == [1.0, 2.0] and w.grad.tolist() == [2.0, 4.0]  # nothing is shared


def test_deepcopy_of_a_leaf_matches_pytorch():
    torch = optional("torch")
    for lib in (tinygrad_lr, torch):
        assert facts(copy.deepcopy(leaf_with_grad(lib))) == ([1.0, 2.0], True, True, [2.0, 4.0], True)
        assert facts(copy.deepcopy(lib.tensor([3.0]))) == ([3.0], False, True, None, True)


def test_the_deep_copy_of_a_leaf_is_a_leaf_a_backward_reaches():
    d = copy.deepcopy(leaf_with_grad(tinygrad_lr))
    (3 * d).sum().backward()   # accumulates into the copied grad
    assert d.grad.tolist() == [5.0, 7.0]


def test_deepcopy_keeps_requires_grad_under_no_grad_and_integer_tensors():
    w = tinygrad_lr.tensor([1.0], requires_grad=True)
    with tinygrad_lr.no_grad():
        assert copy.deepcopy(w).requires_grad
    i = copy.deepcopy(tinygrad_lr.tensor([1, 2]))
    assert i.dtype == np.int64 and i.tolist() == [1, 2]


def test_deepcopy_keeps_sharing_and_identity_within_one_copy():
    a = tinygrad_lr.zeros(3)
    b = a.detach()                      # shares a's memory
    da, db, da_again = copy.deepcopy([a, b, a])
    assert da_again is da
    da.add_(1.0)
    assert db.tolist() == [1.0, 1.0, 1.0] and a.tolist() == [0.0, 0.0, 0.0]


def test_deepcopy_keeps_sharing_like_pytorch():
    torch = optional("torch")
    for lib in (tinygrad_lr, torch):
        a = lib.zeros(3)
        da, db = copy.deepcopy([a, a.detach()])
        da.add_(1.0)
        assert db.tolist() == [1.0, 1.0, 1.0], lib.__name__


def test_deepcopy_copies_instance_attributes():
    t = tinygrad_lr.tensor([1.0])
    t.note = ["a list"]
    d = copy.deepcopy(t)
    assert d.note == ["a list"] and d.note is not t.note
    assert copy.copy(t).note is t.note


def test_deepcopy_of_a_non_leaf_is_refused_as_in_pytorch():
    w = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=NON_LEAF.replace("(deep)?", "deep")):
        copy.deepcopy(w * 2)
    with pytest.raises(RuntimeError, match="copy.deepcopy: only leaf tensors"):
        copy.deepcopy({"loss": (w * 2).sum()})          # also inside a container
    assert copy.deepcopy((w * 2).detach()).tolist() == [2.0, 4.0]   # the fixes it names work
    assert copy.deepcopy(w.detach() * 2).is_leaf


def test_pytorch_refuses_the_deepcopy_of_a_non_leaf_too():
    torch = optional("torch")
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(w * 2)


# ---- copy.copy --------------------------------------------------------------------------------
def test_copy_of_a_leaf_shares_memory_and_has_no_grad():
    w = leaf_with_grad(tinygrad_lr)
    c = copy.copy(w)
    assert c is not w and type(c) is tinygrad_lr.Tensor
    assert facts(c) == ([1.0, 2.0], True, True, None, True)
    with tinygrad_lr.no_grad():
        c.mul_(10.0)
    assert w.tolist() == [10.0, 20.0]   # the same memory


def test_copy_of_a_leaf_matches_pytorch():
    torch = optional("torch")
    for lib in (tinygrad_lr, torch):
        w = leaf_with_grad(lib)
        c = copy.copy(w)
        assert facts(c) == ([1.0, 2.0], True, True, None, True), lib.__name__
        with lib.no_grad():
            c.mul_(10.0)
        assert w.tolist() == [10.0, 20.0], lib.__name__


def test_an_in_place_change_through_a_shallow_copy_is_seen_by_the_graph():
    w = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()                 # saves w for backward
    with tinygrad_lr.no_grad():
        copy.copy(w).add_(1.0)
    with pytest.raises(RuntimeError, match="saved for backward was modified by an in-place operation"):
        loss.backward()


def test_copy_of_a_non_leaf_is_refused():
    w = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=NON_LEAF.replace("(deep)?", "")):
        copy.copy(w * 2)


# ---- Parameters, modules, state_dicts, optimizers ------------------------------------------------
def test_a_parameter_stays_a_parameter_and_its_deep_copy_has_no_grad_as_in_pytorch():
    libs = [(tinygrad_lr, nn)]
    try:
        import torch
        libs.append((torch, torch.nn))
    except ImportError:
        pass
    for lib, lib_nn in libs:
        p = lib_nn.Parameter(lib.ones(2))
        (p * p).sum().backward()
        d = copy.deepcopy(p)
        assert type(d) is lib_nn.Parameter and facts(d) == ([1.0, 1.0], True, True, None, True), lib.__name__
        c = copy.copy(p)
        assert type(c) is lib_nn.Parameter and c.grad is None, lib.__name__
        frozen = copy.deepcopy(lib_nn.Parameter(lib.ones(2), requires_grad=False))
        assert type(frozen) is lib_nn.Parameter and not frozen.requires_grad, lib.__name__


def test_deepcopy_of_a_module_gives_an_independent_model():
    tinygrad_lr.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    twin = copy.deepcopy(net)
    assert [type(p) for p in twin.parameters()] == [nn.Parameter] * 4
    X = tinygrad_lr.randn(5, 2)
    np.testing.assert_array_equal(twin(X).detach().numpy(), net(X).detach().numpy())
    twin(X).sum().backward()
    assert all(p.grad is not None for p in twin.parameters()) and all(p.grad is None for p in net.parameters())
    with tinygrad_lr.no_grad():
        twin[0].weight.fill_(7.0)
    assert not (net[0].weight.detach().numpy() == 7.0).any()


def test_a_parameter_shared_by_two_layers_stays_shared_in_the_copy():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight                 # tied weights
    twin = copy.deepcopy(nn.Sequential(a, b))
    assert twin[0].weight is twin[1].weight and twin[0].weight is not a.weight


def test_deepcopy_of_a_state_dict_is_a_snapshot_for_early_stopping():
    tinygrad_lr.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    X, y = tinygrad_lr.randn(20, 2), tinygrad_lr.randn(20, 1)

    def step():
        opt.zero_grad()
        loss = nn.MSELoss()(model(X), y)
        loss.backward()
        opt.step()
        return loss.item()
    step()
    best = copy.deepcopy(model.state_dict())
    snapshot = {k: v.numpy().copy() for k, v in best.items()}
    for _ in range(5):
        step()
    assert not np.array_equal(model.weight.detach().numpy(), snapshot["weight"])   # training moved on ...
    for k, v in best.items():
        np.testing.assert_array_equal(v.numpy(), snapshot[k])                     # ... the snapshot did not
    model.load_state_dict(best)
    np.testing.assert_array_equal(model.weight.detach().numpy(), snapshot["weight"])


def test_deepcopy_of_an_optimizer_state_dict_copies_the_momentum_buffers():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(tinygrad_lr.ones(1, 2)).sum().backward()
    opt.step()
    saved = copy.deepcopy(opt.state_dict())
    buffer = saved["state"][0]["momentum_buffer"]
    assert buffer.tolist() == [[1.0, 1.0]] and saved["param_groups"][0]["momentum"] == 0.9
    opt.step()                           # changes the live buffers in place
    assert buffer.tolist() == [[1.0, 1.0]]
    opt.load_state_dict(saved)
    assert opt.state_dict()["state"][0]["momentum_buffer"].tolist() == [[1.0, 1.0]]


def test_deepcopy_of_an_optimizer_state_dict_matches_pytorch():
    torch = optional("torch")
    results = []
    for lib, lib_nn, lib_optim in ((tinygrad_lr, nn, optim), (torch, torch.nn, torch.optim)):
        model = lib_nn.Linear(2, 1)
        opt = lib_optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        model(lib.ones(1, 2)).sum().backward()
        opt.step()
        saved = copy.deepcopy(opt.state_dict())
        opt.step()
        results.append({k: v["momentum_buffer"].tolist() for k, v in saved["state"].items()})
    assert results[0] == results[1]


# ---- pickle stays refused -------------------------------------------------------------------------
def test_pickle_is_refused_with_how_to_save_instead():
    with pytest.raises(TypeError, match=r"^pickle: a Tensor is not pickled, because tinygrad_lr\.load never "
                                        r"unpickles \(unpickling can run arbitrary code\); save with "
                                        r"tinygrad_lr\.save\(model\.state_dict\(\), 'model\.npz'\) .*"
                                        r"copy\.deepcopy\(t\) or t\.clone\(\)"):
        pickle.dumps(tinygrad_lr.ones(2))
    with pytest.raises(TypeError, match=r"^pickle: a Parameter is not pickled"):
        pickle.dumps(nn.Linear(2, 1).state_dict(keep_vars=True))


def test_the_save_the_message_names_works(tmp_path):
    model = nn.Linear(2, 1)
    tinygrad_lr.save(model.state_dict(), tmp_path / "model.npz")
    other = nn.Linear(2, 1)
    other.load_state_dict(tinygrad_lr.load(tmp_path / "model.npz"))
    np.testing.assert_array_equal(other.weight.detach().numpy(), model.weight.detach().numpy())


# ---- NumPy and matplotlib -------------------------------------------------------------------------
def test_asarray_shares_memory_and_array_copies():
    t = tinygrad_lr.tensor([1.0, 2.0])
    a = np.asarray(t)
    a[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    b = np.array(t)
    b[1] = 9.0
    assert t.tolist() == [5.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t, dtype=np.float64).tolist() == [5.0, 2.0]


def test_asarray_of_a_tensor_requiring_grad_says_detach():
    w = tinygrad_lr.tensor([1.0], requires_grad=True)
    for convert in (np.asarray, np.array):
        with pytest.raises(RuntimeError, match=r"^numpy: can't call numpy\(\) on a tensor that requires grad; "
                                               r"use tensor\.detach\(\)\.numpy\(\)"):
            convert(w)
    assert np.asarray(w.detach()).tolist() == [1.0]


def test_pytorch_refuses_asarray_of_a_tensor_requiring_grad_too():
    torch = optional("torch")
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(torch.tensor([1.0], requires_grad=True))


def test_matplotlib_plots_tensors():
    matplotlib = optional("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = tinygrad_lr.arange(4.0)
    fig, ax = plt.subplots()
    try:
        line, = ax.plot(x, x * x)
        np.testing.assert_array_equal(line.get_ydata(), [0.0, 1.0, 4.0, 9.0])
        points = ax.scatter(x, tinygrad_lr.ones(4))
        assert points.get_offsets().shape == (4, 2)
        w = tinygrad_lr.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"use t\.detach\(\) .* plt\.plot\(t\.detach\(\)\)"):
            ax.plot(w)                   # what PyTorch refuses too (matplotlib copies a slice of w first)
        line, = ax.plot(w.detach())
        np.testing.assert_array_equal(line.get_ydata(), [1.0, 2.0])
    finally:
        plt.close(fig)
