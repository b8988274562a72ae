"""PyTorch idioms that tutorials use: each works on tinygrad_lr, and whole tutorial loops port by imports alone."""
import io
import random
import re
import textwrap
from contextlib import redirect_stdout

import numpy as np
import pytest
from conftest import optional

import tinygrad_lr as torch   # the point of the file: tutorial code, unchanged
from tinygrad_lr import nn


# ---- one idiom at a time ---------------------------------------------------------------
def test_weight_data_normal_and_bias_data_fill_initialise_in_place():
    net = nn.Sequential(nn.Linear(200, 50))
    weight = net[0].weight
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    assert net[0].weight is weight and weight.is_leaf and weight.requires_grad and weight.grad_fn is None
    np.testing.assert_allclose(weight.detach().numpy().std(), 0.01, rtol=0.05)
    assert not net[0].bias.detach().numpy().any()


def test_manual_sgd_step_under_no_grad():
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    X, y = torch.randn(10, 2), torch.randn(10, 1)
    ((torch.matmul(X, w) + b - y) ** 2 / 2).sum().backward()
    w0, gw = w.detach().numpy().copy(), w.grad.numpy().copy()
    lr, batch_size = 0.03, 10
    with torch.no_grad():
        for param in [w, b]:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
    np.testing.assert_allclose(w.detach().numpy(), w0 - lr * gw / batch_size, rtol=1e-6)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None and not w.grad.numpy().any()


def test_in_place_update_outside_no_grad_explains_the_fix():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape("sub_: a leaf tensor that requires grad (shape (2,)) cannot be "
                                                     "changed in place while operations are recorded")):
        w -= 0.1


def test_y_plus_equals_noise():
    X = torch.normal(0, 1, (100, 2))
    y = torch.matmul(X, torch.tensor([2, -3.4])) + 4.2
    clean, same = y.numpy().copy(), y
    y += torch.normal(0, 0.01, y.shape)
    assert y is same and 0 < np.abs(y.numpy() - clean).max() < 0.1


def test_indexing_with_an_index_tensor_built_from_a_python_list():
    features, labels = torch.arange(20).reshape(10, 2).float(), torch.arange(10).float().reshape(-1, 1)
    indices = list(range(len(features)))
    random.Random(0).shuffle(indices)
    batch_indices = torch.tensor(indices[0: min(3, 10)])
    X, y = features[batch_indices], labels[batch_indices]
    assert X.shape == (3, 2) and y.shape == (3, 1)
    assert y.reshape(-1).tolist() == [float(i) for i in indices[:3]]
    assert X[:, 0].tolist() == [2.0 * i for i in indices[:3]]


def test_float_of_a_loss_and_f_strings():
    loss = ((torch.tensor([1.0, 2.0], requires_grad=True) - 1.5) ** 2).mean()
    assert float(loss) == 0.25 and loss.item() == 0.25
    assert f"loss {loss:f}" == "loss 0.250000" and f"{loss:.3f}" == "0.250"


def test_len_of_features():
    features = torch.normal(0, 1, (1000, 2))
    assert len(features) == 1000 and len(torch.utils.data.TensorDataset(features)) == 1000


def test_apply_with_an_init_function():
    def init_weights(m):
        if type(m) == nn.Linear:  # noqa: E721  (the tutorials' spelling)
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(100, 300), nn.Linear(300, 1))
    net.apply(init_weights)
    np.testing.assert_allclose(net[0].weight.detach().numpy().std(), 0.01, rtol=0.05)
    assert not net[1].bias.detach().numpy().any()


def test_save_the_parameters_and_load_them_into_a_clone(tmp_path):
    net = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    X = torch.randn(2, 4)
    Y = net(X)
    torch.save(net.state_dict(), tmp_path / "mlp.params")
    clone = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1))
    clone.load_state_dict(torch.load(tmp_path / "mlp.params"))
    clone.eval()
    Y_clone = clone(X)
    assert (Y_clone == Y).all()


def test_named_parameters_and_printing():
    net = nn.Sequential(nn.Linear(2, 1))
    assert [(name, tuple(p.shape)) for name, p in net.named_parameters()] == [("0.weight", (1, 2)), ("0.bias", (1,))]
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        print(net)
        print(net[0].bias)
    assert buffer.getvalue().startswith("Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=True)\n)\n"
                                        "Parameter containing:\ntensor([")


# ---- whole tutorial loops: PyTorch source, only the imports changed ---------------------------------
SCRATCH = '''
import random
import torch

torch.manual_seed(0)
random.seed(0)


def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


batch_size = 10
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr = 0.03
num_epochs = 3
net = linreg
loss = squared_loss
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
print(f'error in w: {true_w - w.reshape(true_w.shape)}')
print(f'error in b: {true_b - b}')
w_hat, b_hat, final = w.detach().reshape(-1).tolist(), b.item(), float(train_l.mean())
'''

CONCISE = '''
import torch
from torch import nn
from torch.utils import data

torch.manual_seed(0)


def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


batch_size = 10
data_iter = load_array((features, labels), batch_size)
next(iter(data_iter))

net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)

num_epochs = 3
for epoch in range(num_epochs):
    for X, y in data_iter:
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f'epoch {epoch + 1}, loss {l:f}')

w = net[0].weight.data
print('error in w:', true_w - w.reshape(true_w.shape))
b = net[0].bias.data
print('error in b:', true_b - b)
w_hat, b_hat, final = w.reshape(-1).tolist(), b.item(), l.item()
'''

PORTED_IMPORTS = {
    "import torch": "import tinygrad_lr as torch",
    "from torch import nn": "from tinygrad_lr import nn",
    "from torch.utils import data": "from tinygrad_lr.utils import data",
}


def _port(source):
    """Rewrite the import lines, and nothing else."""
    lines = [PORTED_IMPORTS.get(line, line) for line in source.split("\n")]
    changed = [(a, b) for a, b in zip(source.split("\n"), lines) if a != b]
    assert changed and all(a.startswith(("import ", "from ")) for a, _ in changed)
    return "\n".join(lines)


def _run(source):
    namespace = {"__name__": "tutorial"}
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(textwrap.dedent(source), "<tutorial>", "exec"), namespace)
    return namespace, out.getvalue()


@pytest.mark.parametrize("source", [SCRATCH, CONCISE], ids=["scratch", "concise"])
def test_a_pytorch_tutorial_loop_runs_after_changing_only_its_imports(source):
    namespace, printed = _run(_port(source))
    np.testing.assert_allclose(namespace["w_hat"], [2, -3.4], atol=0.01)
    np.testing.assert_allclose(namespace["b_hat"], 4.2, atol=0.01)
    assert abs(namespace["final"] - 5e-5) < 0.2 * 5e-5        # the noise floor σ²/2
    assert re.search(r"^epoch 3, loss 0\.0000\d\d$", printed, re.M)
    assert "error in w: tensor([" in printed and "error in b: tensor([" in printed


@pytest.mark.parametrize("source", [SCRATCH, CONCISE], ids=["scratch", "concise"])
def test_the_same_loop_on_pytorch_lands_in_the_same_place(source):
    optional("torch")
    ours, _ = _run(_port(source))
    theirs, _ = _run(source)
    # different random streams and (concise) PyTorch's MSELoss without the ½: the same optimum, not the same path
    np.testing.assert_allclose(ours["w_hat"], theirs["w_hat"], atol=2e-3)
    np.testing.assert_allclose(ours["b_hat"], theirs["b_hat"], atol=2e-3)


def test_the_facade_mse_loss_is_one_node_whose_next_functions_lead_to_the_model():
    """PyTorch's "Neural Networks" tutorial prints loss.grad_fn, then its next_functions' first node twice."""
    import tinygrad_lr.torch as tt
    net = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.ReLU(), tt.nn.Linear(4, 2))
    x, target = tt.randn(5, 3), tt.randn(5, 2)
    loss = tt.nn.MSELoss()(net(x), target)
    assert loss.grad_fn.name() == "MseLossBackward"
    linear = loss.grad_fn.next_functions[0][0]
    assert linear.name() == "LinearBackward" and linear.next_functions[0][0].name() == "ReLUBackward"
    assert loss.item() == pytest.approx(((net(x) - target) ** 2).mean().item(), rel=1e-6)
    for reduction in ("sum", "none"):
        ours = tt.nn.functional.mse_loss(net(x), target, reduction=reduction)
        np.testing.assert_array_equal(ours.detach().numpy(), 2 * nn.functional.mse_loss(
            net(x), target, reduction=reduction).detach().numpy())   # bit for bit 2 × the notes' ½
