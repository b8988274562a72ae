"""Twin programs of convolutional networks (see tests/porting/test_twins.py for how twins work): each written
ONCE as a function of the module ``torch``, run under ``tinygrad_lr.torch`` and under PyTorch on the same
weights and batches, print the same losses and parameters to float32 rounding.

- d2l's LeNet (Conv2d, Sigmoid, AvgPool2d, Flatten, Linear) trained with SGD(lr=0.9), as in its chapter;
- the ``Net`` of PyTorch's "Training a classifier" tutorial (an ``nn.Module`` with ``F.max_pool2d``,
  ``F.relu`` and ``torch.flatten`` on 3 × 32 × 32 images), SGD with momentum 0.9;
- a ResNet basic block (Conv-BN-ReLU-Conv-BN, plus the input, ReLU; a 1 × 1 conv on the skip when
  the channels change), with a head (AdaptiveAvgPool2d, Linear), trained with Adam, then evaluated:
  BatchNorm2d in training and in evaluation, and its running statistics.  Its convs before a batch
  norm have no bias, as torchvision's: the norm subtracts it again, so its gradient is rounding noise,
  which Adam's g/√v would turn into full steps, different in each framework.

The weights come from NumPy (``Given``) and are loaded with ``load_state_dict``; nothing is drawn at random.
Last, the models' reprs and state_dicts against PyTorch's, and a state_dict saved by one loaded by the other.
"""
import numpy as np
import pytest

import tinygrad_lr.torch as facade
from conftest import optional
from test_twins import Show  # (tests/porting/test_twins.py: print a line and remember its numbers)

RTOL = 1e-5


# ---- the models: PyTorch code, with `torch` a parameter ----------------------------------------------
def d2l_lenet(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def tutorial_net(torch):
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = F.max_pool2d(F.relu(self.conv2(x)), (2, 2))
            x = torch.flatten(x, 1)   # every dim but the batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return Net()


def small_resnet(torch):
    nn, F = torch.nn, torch.nn.functional

    class Residual(nn.Module):
        """d2l's basic block: two 3 × 3 convs with batch norm; a 1 × 1 conv on the skip path if asked."""

        def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, num_channels, kernel_size=3, padding=1, stride=strides, bias=False)
            self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1, bias=False)
            self.conv3 = nn.Conv2d(in_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv \
                else None
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    return nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                         Residual(8, 8), Residual(8, 16, use_1x1conv=True, strides=2),
                         nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(16, 5))


MODELS = {"d2l_lenet": d2l_lenet, "tutorial_net": tutorial_net, "small_resnet": small_resnet}


class Given:
    """The numbers both runs share: each model's weights, and batches of images, drawn by NumPy."""

    def __init__(self, seed=0, batch=16, steps=4):
        rng = np.random.default_rng(seed)
        self.weights = {}
        for name, make in MODELS.items():
            state = {}
            for key, value in make(facade).state_dict().items():
                shape = tuple(value.shape)
                if key.endswith("num_batches_tracked"):
                    state[key] = np.array(0, np.int64)
                elif key.endswith(("running_mean", "running_var")):
                    state[key] = np.zeros(shape, np.float32) if key.endswith("mean") else np.ones(shape, np.float32)
                elif len(shape) > 1:   # a weight: U(−1/√fan_in, 1/√fan_in), PyTorch's default scale
                    bound = 1 / np.sqrt(np.prod(shape[1:]))
                    state[key] = rng.uniform(-bound, bound, shape).astype(np.float32)
                elif ".bn" in key or key.startswith("1."):   # batch norm's γ near 1, β near 0
                    state[key] = (float(key.endswith("weight")) + 0.1 * rng.standard_normal(shape)).astype(np.float32)
                else:
                    state[key] = rng.uniform(-0.1, 0.1, shape).astype(np.float32)
            self.weights[name] = state
        self.mnist = [(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, batch))
                      for _ in range(steps)]
        self.cifar = [(rng.standard_normal((batch, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, batch))
                      for _ in range(steps)]
        self.small = [(rng.standard_normal((batch, 3, 8, 8)).astype(np.float32), rng.integers(0, 5, batch))
                      for _ in range(steps + 1)]


def loaded(torch, given, name):
    net = MODELS[name](torch)
    net.load_state_dict({k: torch.tensor(v) for k, v in given.weights[name].items()})
    return net


def train(torch, net, optimizer, batches, show):
    loss = torch.nn.CrossEntropyLoss()
    for step, (X, y) in enumerate(batches):
        l = loss(net(torch.tensor(X)), torch.tensor(y))  # noqa: E741
        optimizer.zero_grad()
        l.backward()
        optimizer.step()
        show(f"step {step + 1}, loss", l)


# ---- the programs ---------------------------------------------------------------------------------
def lenet_d2l_sgd(torch, given, show):
    net = loaded(torch, given, "d2l_lenet")
    train(torch, net, torch.optim.SGD(net.parameters(), lr=0.9), given.mnist, show)
    show("conv1 weight", net[0].weight)
    show("conv2 bias", net[3].bias)
    show("output layer weight", net[-1].weight)


def tutorial_net_sgd_momentum(torch, given, show):
    net = loaded(torch, given, "tutorial_net")
    train(torch, net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9), given.cifar, show)
    show("conv1 weight", net.conv1.weight)
    show("fc3 bias", net.fc3.bias)
    with torch.no_grad():
        show("logits of the first batch", net(torch.tensor(given.cifar[0][0])))


def resnet_block_adam_then_eval(torch, given, show):
    net = loaded(torch, given, "small_resnet")
    train(torch, net, torch.optim.Adam(net.parameters(), lr=1e-2), given.small[:-1], show)
    block = net[4]
    show("block conv1 weight grad", block.conv1.weight.grad)
    show("block bn2 weight", block.bn2.weight)
    show("block bn1 running mean", block.bn1.running_mean)
    show("block bn2 running var", block.bn2.running_var)
    show("stem bn batches tracked", net[1].num_batches_tracked)
    net.eval()
    X = torch.tensor(given.small[-1][0])
    with torch.no_grad():
        show("eval logits", net(X))
        show("eval logits of one image", net(X[:1]))   # the running statistics: one image is no batch
    show("stem bn batches tracked after eval", net[1].num_batches_tracked)


PROGRAMS = [lenet_d2l_sgd, tutorial_net_sgd_momentum, resnet_block_adam_then_eval]


def run(program, torch):
    show = Show()
    program(torch, Given(), show)
    return show.lines


@pytest.fixture(scope="module")
def torch():
    module = optional("torch")
    module.set_num_threads(1)   # the sums in one order, as ours (and quicker on a shared machine)
    return module


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_the_facade_prints_pytorchs_numbers(torch, program):
    ours, theirs = run(program, facade), run(program, torch)
    assert [label for label, _ in ours] == [label for label, _ in theirs]
    for (label, a), (_, b) in zip(ours, theirs):
        scale = np.abs(b).max() if b.size else 0.0
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale, err_msg=f"{program.__name__}: {label}")
    losses = [float(a) for label, a in ours if label.endswith("loss")]
    assert len(set(losses)) == len(losses)    # each step changed the model: the twins do not agree by doing nothing


@pytest.mark.parametrize("name", MODELS)
def test_reprs_and_state_dicts_are_pytorchs_and_load_across(torch, name):
    ours, theirs = MODELS[name](facade), MODELS[name](torch)
    assert repr(ours) == repr(theirs)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert [(k, tuple(v.shape)) for k, v in ours_state.items()] == \
        [(k, tuple(v.shape)) for k, v in theirs_state.items()]
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours_state.items()})      # ours → PyTorch
    back = MODELS[name](facade)
    back.load_state_dict({k: facade.tensor(v.numpy()) for k, v in theirs.state_dict().items()})   # and back
    for k, v in back.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ours_state[k].numpy(), err_msg=k)
        assert v.dtype == ours_state[k].dtype, k
