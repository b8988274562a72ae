"""Softmax regression, the PyTorch way: nn.Sequential(nn.Linear), nn.CrossEntropyLoss, optim.SGD, a DataLoader.

Three classes of 2-d points around (2, 0), (−1, 1.7) and (−1, −1.7) (the corners
of a triangle), unit variance, 400 each; integer labels 0, 1, 2.  The model and
the loss (n samples, K = 3 classes)::

    Z = XWᵀ + b                                   the logits, one column per class (n × K)
    P = softmax(Z),  P[i, k] = exp Z[i, k] / Σⱼ exp Z[i, j]
    ℓ = −(1/n)·Σᵢ log P[i, yᵢ]                    mean cross-entropy
    ∂ℓ/∂Z = (P − onehot(y))/n                     ∂ℓ/∂W = (P − onehot(y))ᵀX/n

nn.CrossEntropyLoss takes the logits Z and the class indices y, and computes
log softmax stably (log Σ exp with the largest logit taken out), so the model
has no softmax layer.  The best possible accuracy here is about 0.92 (the
classes overlap); the model gets about that on a fresh test set.

To run it on PyTorch, change the three imports below and nothing else.

    python examples/softmax_regression.py
"""
import tinygrad_lr as torch  # import torch
from tinygrad_lr import nn  # from torch import nn
from tinygrad_lr.utils import data  # from torch.utils import data

CENTERS = [[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]]


def three_blobs(per_class):
    """X: points around the three centers; y: the class index of each, int64 of shape (n,)."""
    X = torch.cat([torch.normal(0, 1, (per_class, 2)) + torch.tensor(c) for c in CENTERS])
    y = torch.cat([torch.full((per_class,), k, dtype=torch.int64) for k in range(len(CENTERS))])
    return X, y


def accuracy(logits, y):
    """The share of rows whose largest logit (= largest probability) is at their class."""
    return (logits.argmax(dim=1) == y).float().mean().item()


def main(seed=0, lr=0.1, num_epochs=10, batch_size=32, verbose=True):
    """Train; return the test accuracy and the final loss on the training data."""
    torch.manual_seed(seed)
    features, labels = three_blobs(400)
    test_features, test_labels = three_blobs(400)
    data_iter = data.DataLoader(data.TensorDataset(features, labels), batch_size, shuffle=True)

    net = nn.Sequential(nn.Linear(2, 3))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.CrossEntropyLoss()        # mean −log softmax(Z)[i, yᵢ], from the logits Z
    trainer = torch.optim.SGD(net.parameters(), lr=lr)

    for epoch in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y)  # noqa: E741
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with torch.no_grad():
            l = loss(net(features), labels)  # noqa: E741
            train_accuracy = accuracy(net(features), labels)
        if verbose:
            print(f"epoch {epoch + 1}, loss {l:f}, train accuracy {train_accuracy:.3f}")
    with torch.no_grad():
        test_accuracy = accuracy(net(test_features), test_labels)
        one_of_each = [0, 400, 800]                            # a test point of each class
        probabilities = net(test_features[one_of_each]).softmax(dim=1)
    if verbose:
        print(f"a test point of each class: classes {test_labels[one_of_each].tolist()}, probabilities "
              f"{[[round(p, 3) for p in row] for row in probabilities.tolist()]}")
        print(f"test accuracy: {test_accuracy:.3f}")
    return test_accuracy, float(l)


if __name__ == "__main__":
    main()
