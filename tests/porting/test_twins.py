"""Twin programs: small PyTorch programs, each written ONCE as a function of the module ``torch``, run
under ``tinygrad_lr.torch`` and under PyTorch on the same numbers, print the same losses and parameters.

PyTorch draws other random numbers than tinygrad_lr (PCG64), so the programs draw none: the data and
the initial weights come from NumPy (``Given``) and are copied into each framework; the batches come
from a DataLoader without shuffling, or from a NumPy permutation.  What a program prints goes through
``show``, which records the values; the two runs must print the same lines with the same numbers to
float32 rounding (1e-5 relative, measured against the size of the printed tensor).

Under plain ``tinygrad_lr`` the same programs print other numbers, and the cause is always
``MSELoss``'s ½ (the last tests).
"""
import numpy as np
import pytest

import tinygrad_lr
import tinygrad_lr.torch as facade
from conftest import optional

RTOL = 1e-5


class Given:
    """The numbers both runs share: data and initial weights, drawn by NumPy from one seed."""

    def __init__(self, seed=0, n=100):
        rng = np.random.default_rng(seed)
        f32 = lambda *shape, scale=1.0: (rng.standard_normal(shape) * scale).astype(np.float32)  # noqa: E731
        self.n = n
        self.X = f32(n, 2)                                                   # linear regression
        self.y = (self.X @ np.array([[2.0], [-3.4]], np.float32) + 4.2 + f32(n, 1, scale=0.01)).astype(np.float32)
        self.w = f32(1, 2, scale=0.01)
        self.perm = rng.permutation(n)
        self.x = rng.uniform(-1, 1, (n, 1)).astype(np.float32)               # polynomial fit
        self.poly_y = (5 + 1.2 * self.x - 3.4 * self.x ** 2 / 2 + 5.6 * self.x ** 3 / 6
                       + f32(n, 1, scale=0.1)).astype(np.float32)
        self.poly_w = f32(1, 4, scale=0.01)
        self.Xd = f32(n, 20)                                                 # weight decay: d = 20 > what n needs
        self.yd = (0.05 + self.Xd.sum(1, keepdims=True) * 0.01 + f32(n, 1, scale=0.01)).astype(np.float32)
        self.wd = f32(1, 20)
        self.images = f32(n, 4, 4)                                           # classification: 3 classes
        self.labels = rng.integers(0, 3, n)
        self.images[np.arange(n), self.labels, self.labels] += 2.0             # so the classes are learnable
        self.W1, self.W2 = f32(3, 16, scale=0.1), f32(32, 16, scale=0.1)
        self.W3, self.b3 = f32(3, 32, scale=0.1), f32(3, scale=0.1)


class Show:
    """``show(label, value)``: print a line and remember its numbers."""

    def __init__(self):
        self.lines = []

    def __call__(self, label, value):
        if hasattr(value, "detach"):
            value = value.detach().numpy()
        value = np.array(value, dtype=np.float64)
        print(label, value)
        self.lines.append((label, value))


def set_weight(torch, param, array):
    with torch.no_grad():
        param.copy_(torch.tensor(array))


def train_epoch(net, train_iter, loss, trainer):
    """One pass over the batches; ``.mean()`` makes a ``reduction='none'`` loss a scalar (as d2l's)."""
    for X, y in train_iter:
        trainer.zero_grad()
        loss(net(X), y).mean().backward()
        trainer.step()


# ---- the programs: PyTorch code, with `torch` a parameter --------------------------------------------
def linear_regression_concise(torch, given, show):
    nn, data = torch.nn, torch.utils.data
    features, labels = torch.tensor(given.X), torch.tensor(given.y)
    data_iter = data.DataLoader(data.TensorDataset(features, labels), batch_size=10, shuffle=False)
    net = nn.Sequential(nn.Linear(2, 1))
    set_weight(torch, net[0].weight, given.w)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.03)
    show("initial loss", loss(net(features), labels))
    for epoch in range(3):
        for X, y in data_iter:
            l = loss(net(X), y)  # noqa: E741
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with torch.no_grad():
            show(f"epoch {epoch + 1}, loss", loss(net(features), labels))
    show("w", net[0].weight.data)
    show("b", net[0].bias.data)


def linear_regression_scratch(torch, given, show):
    features, labels = torch.tensor(given.X), torch.tensor(given.y)
    w = torch.tensor(given.w.T.copy(), requires_grad=True)
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

    batch_size, lr = 10, 0.03
    for epoch in range(3):
        for i in range(0, given.n, batch_size):
            j = torch.tensor(given.perm[i:i + batch_size])
            X, y = features[j], labels[j]
            l = squared_loss(linreg(X, w, b), y)  # noqa: E741
            l.sum().backward()
            sgd([w, b], lr, batch_size)
        with torch.no_grad():
            show(f"epoch {epoch + 1}, loss", squared_loss(linreg(features, w, b), labels).mean())
    show("w", w)
    show("b", b)


def polynomial_fit(torch, given, show):
    nn, data = torch.nn, torch.utils.data
    x = torch.tensor(given.x)
    features = torch.cat([x ** i for i in range(4)], dim=1)
    labels = torch.tensor(given.poly_y)
    net = nn.Sequential(nn.Linear(4, 1, bias=False))
    set_weight(torch, net[0].weight, given.poly_w)
    loss = nn.MSELoss(reduction="sum")
    trainer = torch.optim.SGD(net.parameters(), lr=0.002)
    data_iter = data.DataLoader(data.TensorDataset(features, labels), batch_size=10)
    for epoch in range(5):
        train_epoch(net, data_iter, loss, trainer)
        with torch.no_grad():
            show(f"epoch {epoch + 1}, loss per sample", loss(net(features), labels) / given.n)
    show("weight", net[0].weight.data)


def weight_decay(torch, given, show):
    nn, data = torch.nn, torch.utils.data
    features, labels = torch.tensor(given.Xd), torch.tensor(given.yd)
    train_iter = data.DataLoader(data.TensorDataset(features, labels), batch_size=5)
    net = nn.Sequential(nn.Linear(20, 1))
    set_weight(torch, net[0].weight, given.wd)
    nn.init.zeros_(net[0].bias)
    loss = nn.MSELoss(reduction="none")
    trainer = torch.optim.SGD([{"params": net[0].weight, "weight_decay": 3},
                               {"params": net[0].bias}], lr=0.003)
    for epoch in range(4):
        train_epoch(net, train_iter, loss, trainer)
        with torch.no_grad():
            show(f"epoch {epoch + 1}, loss", loss(net(features), labels).mean())
            show("L2 norm of w", torch.sqrt((net[0].weight ** 2).sum()))
    show("b", net[0].bias.data)


def softmax_regression(torch, given, show):
    nn, F, data = torch.nn, torch.nn.functional, torch.utils.data
    images, labels = torch.tensor(given.images), torch.tensor(given.labels)
    train_iter = data.DataLoader(data.TensorDataset(images, labels), batch_size=20)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    set_weight(torch, net[1].weight, given.W1)
    net[1].bias.data.fill_(0)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    one_hot = torch.tensor(np.eye(3, dtype=np.float32)[given.labels])
    for epoch in range(3):
        train_epoch(net, train_iter, loss, trainer)
        with torch.no_grad():
            y_hat = net(images)
            show(f"epoch {epoch + 1}, loss", loss(y_hat, labels).mean())
            show("  by log_softmax", -(F.log_softmax(y_hat, dim=1) * one_hot).sum(1).mean())
            show("  train accuracy", (y_hat.argmax(axis=1) == labels).float().mean())
    show("W", net[1].weight.data)
    show("b", net[1].bias.data)


def mlp(torch, given, show):
    nn, data = torch.nn, torch.utils.data
    images, labels = torch.tensor(given.images), torch.tensor(given.labels)
    train_iter = data.DataLoader(data.TensorDataset(images, labels), batch_size=20)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 3))
    set_weight(torch, net[1].weight, given.W2)
    set_weight(torch, net[3].weight, given.W3)
    set_weight(torch, net[3].bias, given.b3)
    nn.init.zeros_(net[1].bias)
    loss = nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(3):
        train_epoch(net, train_iter, loss, trainer)
        with torch.no_grad():
            show(f"epoch {epoch + 1}, loss", loss(net(images), labels))
    for name, p in net.named_parameters():
        show(name, p)


def my_relu(torch):
    """PyTorch's custom-Function tutorial ReLU (tests/porting/test_facade.py uses it too)."""
    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * (input > 0) if ctx.needs_input_grad[0] else None
    return MyReLU


def scaled_cube(torch):
    """x³·scale with a number argument (gets None); twice differentiable: its backward is Tensor ops."""
    class ScaledCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x ** 3 * scale

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * 3 * x ** 2 * ctx.scale, None
    return ScaledCube


def custom_function(torch, given, show):
    MyReLU, Cube = my_relu(torch), scaled_cube(torch)
    features, labels = torch.tensor(given.X), torch.tensor(given.y)
    W1 = torch.tensor(given.W2[:8, :2].copy(), requires_grad=True)
    W2 = torch.tensor(given.W3[:1, :8].copy(), requires_grad=True)
    b2 = torch.zeros(1, requires_grad=True)
    loss = torch.nn.MSELoss()
    for step in range(20):
        H = MyReLU.apply(features @ W1.T)
        l = loss(H @ W2.T + b2, labels)  # noqa: E741
        l.backward()
        with torch.no_grad():
            for p in (W1, W2, b2):
                p -= 0.05 * p.grad
                p.grad.zero_()
        if step % 5 == 4:
            show(f"step {step + 1}, loss", l)
    show("W1", W1)
    x = torch.tensor(given.X[:4, 0].astype(np.float64), requires_grad=True)
    g, = torch.autograd.grad(Cube.apply(x, 0.5).sum(), x, create_graph=True)
    show("d/dx of x³/2", g)
    (g ** 2).sum().backward()
    show("d/dx of Σ(3x²/2)²", x.grad)


def logistic_regression(torch, given, show):
    """A logistic-regression tutorial: nn.Linear + sigmoid + BCELoss, then BCEWithLogitsLoss with Adam."""
    nn, data = torch.nn, torch.utils.data
    X = torch.tensor(given.X)
    y = (X[:, 0:1] - X[:, 1:2] > 0).float()
    model = nn.Linear(2, 1)
    set_weight(torch, model.weight, given.w * 100)
    model.bias.data.fill_(0)
    criterion = nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for epoch in range(20):
        y_pred = torch.sigmoid(model(X))
        loss = criterion(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (epoch + 1) % 5 == 0:
            show(f"epoch {epoch + 1}, BCE loss", loss.item())
    with torch.no_grad():
        show("accuracy", ((model(X) > 0).float() == y).float().mean())
    model = nn.Linear(2, 1)
    set_weight(torch, model.weight, given.w * 100)
    model.bias.data.fill_(0)
    criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for epoch in range(3):
        for xb, yb in data.DataLoader(data.TensorDataset(X, y), batch_size=25):
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
        show(f"Adam epoch {epoch + 1}, loss", criterion(model(X), y).item())
    show("w", model.weight)
    show("b", model.bias)


def autograd_walkthrough(torch, given, show):
    """An autograd tutorial: y = 2xᵀx, gradients of non-scalars, detach, control flow, retain_grad."""
    x = torch.arange(4.0)
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward()
    show("dy/dx of 2xᵀx", x.grad)
    x.grad.zero_()
    y = x.sum()
    y.backward()
    show("dy/dx of Σx", x.grad)
    x.grad.zero_()
    y = x * x
    y.backward(torch.ones(len(x)))
    show("d/dx of x·x, summed", x.grad)
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    show("d/dx of u·x with u detached", x.grad)

    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        return b if b.sum() > 0 else 100 * b

    a = torch.tensor(given.w[0, 0] * 100, requires_grad=True)
    d = f(a)
    d.backward()
    show("d/da of f(a) = k·a", a.grad)
    show("equals f(a)/a", d / a)
    h = torch.tensor(given.X[:3], requires_grad=True)
    m = (h ** 2).tanh()
    m.retain_grad()
    m.mean().backward()
    show("∂/∂m of mean(m)", m.grad)
    show("∂/∂h of mean(tanh(h²))", h.grad)


def dropout_mlp(torch, given, show):
    """Dropout from scratch and concise: the masks are random (other numbers in each library), so what
    is compared is what does not depend on them: p = 0 and p = 1, eval mode, and training with p = 0."""
    nn = torch.nn

    def dropout_layer(X, dropout):
        assert 0 <= dropout <= 1
        if dropout == 1:
            return torch.zeros_like(X)
        mask = (torch.rand(X.shape) > dropout).float()
        return mask * X / (1.0 - dropout)

    X = torch.tensor(given.X[:4])
    show("dropout 0", dropout_layer(X, 0.0))
    show("dropout 1", dropout_layer(X, 1.0))
    kept = dropout_layer(torch.ones(2000), 0.5)
    show("dropout 0.5 keeps about half, scaled by 2", ((kept == 2).float().mean() - 0.5).abs() < 0.05)
    images, labels = torch.tensor(given.images), torch.tensor(given.labels)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.0), nn.Linear(32, 3))
    set_weight(torch, net[1].weight, given.W2)
    set_weight(torch, net[4].weight, given.W3)
    set_weight(torch, net[4].bias, given.b3)
    nn.init.zeros_(net[1].bias)
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    for epoch in range(3):
        net.train()
        trainer.zero_grad()
        loss(net(images), labels).backward()
        trainer.step()
        net.eval()
        with torch.no_grad():
            show(f"epoch {epoch + 1}, loss", loss(net(images), labels))
    net[3].p = 0.9
    net.eval()
    with torch.no_grad():
        show("eval mode ignores p", net(images[:2]))


PROGRAMS = [linear_regression_concise, linear_regression_scratch, polynomial_fit, weight_decay,
            softmax_regression, mlp, custom_function, logistic_regression, autograd_walkthrough, dropout_mlp]


def run(program, torch):
    show = Show()
    program(torch, Given(), show)
    return show.lines


@pytest.fixture(scope="module")
def torch():
    return optional("torch")


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_the_facade_prints_pytorchs_numbers(torch, program):
    ours, theirs = run(program, facade), run(program, torch)
    assert [label for label, _ in ours] == [label for label, _ in theirs]
    for (label, a), (_, b) in zip(ours, theirs):
        scale = np.abs(b).max() if b.size else 0.0
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale, err_msg=f"{program.__name__}: {label}")


def test_under_tinygrad_lr_itself_the_first_loss_is_half_of_pytorchs_and_training_differs(torch):
    """The main door keeps the notes' ½: the same program prints half the loss, then takes half steps."""
    ours, theirs = run(linear_regression_concise, tinygrad_lr), run(linear_regression_concise, torch)
    (_, first), (_, torch_first) = ours[0], theirs[0]
    np.testing.assert_allclose(first, torch_first / 2, rtol=RTOL)
    final_w, torch_final_w = ours[-2][1], theirs[-2][1]
    assert not np.allclose(final_w, torch_final_w, rtol=1e-3)


def test_doubling_the_learning_rate_under_tinygrad_lr_gives_pytorchs_trajectory(torch):
    """½-MSE with lr 2η takes PyTorch's MSE steps with lr η: the only difference is the ½."""
    def concise(torch, given, show, lr):
        nn = torch.nn
        X, y = torch.tensor(given.X), torch.tensor(given.y)
        net = nn.Linear(2, 1)
        set_weight(torch, net.weight, given.w)
        nn.init.zeros_(net.bias)
        trainer = torch.optim.SGD(net.parameters(), lr=lr)
        for _ in range(10):
            trainer.zero_grad()
            nn.MSELoss()(net(X), y).backward()
            trainer.step()
        show("w", net.weight)

    ours, theirs = Show(), Show()
    concise(tinygrad_lr, Given(), ours, lr=0.2)
    concise(torch, Given(), theirs, lr=0.1)
    np.testing.assert_allclose(ours.lines[0][1], theirs.lines[0][1], rtol=RTOL)
