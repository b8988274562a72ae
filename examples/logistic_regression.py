"""Logistic regression, the PyTorch way: nn.Linear, nn.BCEWithLogitsLoss, optim.SGD, a DataLoader — then Newton.

Two classes of 2-d points: class 0 around (−1, −1), class 1 around (1, 1), unit
variance, 500 each.  The model and the loss (n samples, z = Xw + b)::

    p = σ(z) = 1/(1 + e⁻ᶻ)                                  the probability of class 1
    ℓ = −(1/n)·Σ[y·log p + (1 − y)·log(1 − p)]              mean binary cross-entropy
    ∂ℓ/∂w = Xᵀ(σ(Xw + b) − y)/n,  ∂ℓ/∂b = Σ(σ − y)/n         linear regression's form

nn.BCEWithLogitsLoss takes the logits z, not p: log σ(z) computed from z stays
finite where σ(z) rounds to 0 or 1.  The best possible accuracy on this data is
Φ(√2) ≈ 0.92 (the classes overlap); on a fresh test set the model gets about that.

Then the lecture notes' Newton iteration θ ← θ − H⁻¹∇ℓ with optim.Newton: the
loss is not quadratic any more (H = Aᵀdiag(p(1 − p))A/n changes with θ), so it
takes a few steps instead of one, each one squaring the error (IRLS).

To run the SGD part on PyTorch, change the three imports below (PyTorch has no
optim.Newton: the last part needs tinygrad_lr).

    python examples/logistic_regression.py
"""
import tinygrad_lr as torch  # import torch
from tinygrad_lr import nn  # from torch import nn
from tinygrad_lr.utils import data  # from torch.utils import data


def two_blobs(num_examples):
    """X: class 0 around (−1, −1), class 1 around (1, 1); y: 0/1 labels as floats, shape (n, 1)."""
    half = num_examples // 2
    X = torch.cat([torch.normal(-1, 1, (half, 2)), torch.normal(1, 1, (half, 2))])
    y = torch.cat([torch.zeros(half, 1), torch.ones(half, 1)])
    return X, y


def accuracy(logits, y):
    """The share of rows where the predicted class (p ≥ ½, i.e. z ≥ 0) is the label."""
    return ((logits >= 0).float() == y).float().mean().item()


def newton_steps(net, loss, features, labels, max_steps=20, tol=1e-10):
    """Newton's method from θ = 0 until ‖∇ℓ‖ ≤ tol; returns the number of steps and the last ‖∇ℓ‖."""
    newton = torch.optim.Newton(net.parameters())

    def closure():
        newton.zero_grad()
        return loss(net(features), labels)          # no backward(): Newton differentiates the loss twice itself

    for step in range(1, max_steps + 1):
        newton.step(closure)
        grads = torch.autograd.grad(closure(), list(net.parameters()))
        norm = sum((g ** 2).sum() for g in grads).sqrt().item()
        if norm <= tol:
            break
    return step, norm


def main(seed=0, lr=0.5, num_epochs=5, batch_size=10, verbose=True):
    """Train; return the test accuracy of SGD and of Newton, and Newton's number of steps."""
    torch.manual_seed(seed)
    features, labels = two_blobs(1000)
    test_features, test_labels = two_blobs(1000)
    data_iter = data.DataLoader(data.TensorDataset(features, labels), batch_size, shuffle=True)

    net = nn.Linear(2, 1)
    net.weight.data.normal_(0, 0.01)
    net.bias.data.fill_(0)
    loss = nn.BCEWithLogitsLoss()           # mean BCE of σ(z), from the logits z
    trainer = torch.optim.SGD(net.parameters(), lr=lr)

    for epoch in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y)  # noqa: E741
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with torch.no_grad():
            l = loss(net(features), labels)  # noqa: E741
        if verbose:
            print(f"epoch {epoch + 1}, loss {l:f}, train accuracy {accuracy(net(features), labels):.3f}")
    with torch.no_grad():
        sgd_accuracy = accuracy(net(test_features), test_labels)
    if verbose:
        print(f"w: {net.weight.data.reshape(2).tolist()}, b: {net.bias.data.item():.4f}")
        print(f"SGD test accuracy: {sgd_accuracy:.3f}")

    # the same model by Newton's method (IRLS), in float64 from θ = 0
    newton_net = nn.Linear(2, 1, dtype=torch.float64)
    nn.init.zeros_(newton_net.weight)
    nn.init.zeros_(newton_net.bias)
    steps, norm = newton_steps(newton_net, loss, features.double(), labels.double())
    with torch.no_grad():
        newton_accuracy = accuracy(newton_net(test_features.double()), test_labels.double())
        newton_loss = loss(newton_net(features.double()), labels.double()).item()
    if verbose:
        print(f"Newton: {steps} steps to ‖∇ℓ‖ = {norm:.1e}, loss {newton_loss:f}, "
              f"w: {newton_net.weight.data.reshape(2).tolist()}, b: {newton_net.bias.data.item():.4f}")
        print(f"Newton test accuracy: {newton_accuracy:.3f}")
    return sgd_accuracy, newton_accuracy, steps


if __name__ == "__main__":
    main()
