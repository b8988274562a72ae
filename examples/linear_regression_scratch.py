"""Linear regression from scratch: raw tensors, a hand-written data iterator and SGD step.

The lecture notes' setting: y = Xw + b + ε with w = [2, −3.4], b = 4.2,
ε ~ N(0, 0.01²), 1000 samples; mini-batch SGD with batch 10, lr 0.03, 3 epochs,
on the loss ℓ = 1/(2k)·Σ(ŷ − y)² of each batch of k samples.

    python examples/linear_regression_scratch.py
"""
import tinygrad_lr as torch  # the same loop runs on PyTorch with `import torch`


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    """Yield mini-batches in a random order; one pass over the data is an epoch."""
    num_examples = len(features)
    indices = torch.randperm(num_examples)
    for i in range(0, num_examples, batch_size):
        batch_indices = indices[i: min(i + batch_size, num_examples)]
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    """ŷ = Xw + b."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    """½(ŷ − y)² per sample: the ½ cancels the 2 of the derivative."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """θ ← θ − η/|B| · Σ_{i∈B} ∇θ ℓ⁽ⁱ⁾(θ)."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def main(seed=0, lr=0.03, num_epochs=3, batch_size=10, verbose=True):
    torch.manual_seed(seed)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)

    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            l = squared_loss(linreg(X, w, b), y)  # noqa: E741
            l.sum().backward()  # ∂/∂w Σᵢ ½(ŷᵢ − yᵢ)² = Xᵀ(ŷ − y); sgd divides by the batch size
            sgd([w, b], lr, batch_size)
        with torch.no_grad():
            train_l = squared_loss(linreg(features, w, b), labels)
            if verbose:
                print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
    if verbose:
        print(f"w: {w.reshape(true_w.shape).tolist()} (true {true_w.tolist()})")
        print(f"b: {b.item():.4f} (true {true_b})")
        print(f"error in w: {(true_w - w.reshape(true_w.shape)).tolist()}")
        print(f"error in b: {true_b - b.item():.6f}")
    return w, b, float(train_l.mean())


if __name__ == "__main__":
    main()
