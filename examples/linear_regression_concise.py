"""Linear regression, concisely: nn.Linear, nn.MSELoss, optim.SGD and a DataLoader.

The same problem as linear_regression_scratch.py (y = Xw + b + ε with
w = [2, −3.4], b = 4.2, ε ~ N(0, 0.01²), 1000 samples; batch 10, lr 0.03,
3 epochs), written the way PyTorch tutorials write it.  To run it on PyTorch,
change the three imports below and nothing else (PyTorch's MSELoss lacks the
½, so there each step is twice as long).

    python examples/linear_regression_concise.py
"""
import tinygrad_lr as torch  # import torch
from tinygrad_lr import nn  # from torch import nn
from tinygrad_lr.utils import data  # from torch.utils import data


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def load_array(data_arrays, batch_size, is_train=True):
    """A DataLoader over tensors; shuffled for training."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def main(seed=0, lr=0.03, num_epochs=3, batch_size=10, verbose=True):
    """Train; return the learned w (1, 2) and b (1,) and the final loss on all the data."""
    torch.manual_seed(seed)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    data_iter = load_array((features, labels), batch_size)

    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()  # ½·mean((ŷ − y)²): the lecture notes' loss
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
            print(f"epoch {epoch + 1}, loss {l:f}")

    w, b = net[0].weight.data, net[0].bias.data
    if verbose:
        print(f"w: {w.reshape(true_w.shape).tolist()} (true {true_w.tolist()})")
        print(f"b: {b.item():.4f} (true {true_b})")
        print(f"error in w: {(true_w - w.reshape(true_w.shape)).tolist()}")
        print(f"error in b: {true_b - b.item():.6f}")
    return w, b, float(l)


if __name__ == "__main__":
    main()
