"""PyTorch programs of the kinds a learner writes after linear regression, ported by changing only the imports.

Each program below is PyTorch source text of our own, in the style of the tutorials and textbook chapters
a learner meets next: parameter management, custom layers, reading and writing files, device checks,
numerical stability, a "what is torch.nn really" style refactoring. It prints only what does not depend
on random numbers (PyTorch and tinygrad_lr draw different ones). It runs twice, in an empty folder: as
written under PyTorch, and with its imports rewritten to ``tinygrad_lr.torch``. The two runs must print
the same text, character for character, but for the names of ``grad_fn`` (ours have no trailing digit
and composed ops show their last primitive: docs/porting.md, "Coming from PyTorch").
"""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import optional

ROOT = Path(__file__).resolve().parents[2]

IMPORTS = {
    "import torch": "import tinygrad_lr.torch as torch",
    "from torch import nn": "from tinygrad_lr.torch import nn",
    "from torch.nn import functional as F": "from tinygrad_lr.torch.nn import functional as F",
    "from torch.utils import data": "from tinygrad_lr.torch.utils import data",
}

PARAMETERS = '''
import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
X = torch.ones(size=(2, 4))
print(net(X).shape)
print(list(net[2].state_dict().keys()), net[2].bias.shape, net[2].weight.grad == None)
print(*[(name, param.shape) for name, param in net.named_parameters()])

def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())

def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f'block {i}', block1())
    return net

rgnet = nn.Sequential(block2(), nn.Linear(4, 1))
print(rgnet)
print(rgnet[0][1][0].bias.shape)

def init_constant(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)

net.apply(init_constant)
print(net[0].weight.data[0], net[0].bias.data[0])
print(net(X))

def init_xavier(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)

net[0].apply(init_xavier)
print(bool((net[0].weight.abs() <= (6 / (4 + 8)) ** 0.5).all()))
with torch.no_grad():
    net[0].weight.copy_(torch.arange(32.0).reshape(8, 4) - 16)
net[0].weight.data *= net[0].weight.data.abs() >= 5
print(net[0].weight[:2])
net[0].weight.data[:] += 1
net[0].weight.data[0, 0] = 42
print(net[0].weight.data[0])

shared = nn.Linear(8, 8)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))
net(X)
net[2].weight.data[0, 0] = 100
print(net[2].weight.data[0, 0] == net[4].weight.data[0, 0], len(list(net.parameters())))
y = net(X).sum()
y.backward()
print(net[2].weight.grad.shape, net[4].weight.grad is net[2].weight.grad)
'''

CUSTOM_LAYERS = '''
import torch
from torch import nn
from torch.nn import functional as F

class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()

layer = CenteredLayer()
print(layer(torch.tensor([1.0, 2, 3, 4, 5])))
net = nn.Sequential(nn.Linear(8, 128), CenteredLayer())
nn.init.constant_(net[0].weight, 0.5)
Y = net(torch.arange(32.0).reshape(4, 8))
print(Y.mean().abs() < 1e-4)

class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(in_units, units))
        self.bias = nn.Parameter(torch.zeros(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)

linear = MyLinear(5, 3)
print(linear.weight)
print(linear(torch.ones(2, 5) - 0.5))
print([name for name, _ in linear.named_parameters()])
net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.ones(2, 64) / 64))

class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.full((20, 20), 0.01, requires_grad=False)
        self.linear = nn.Linear(20, 20)
        nn.init.constant_(self.linear.weight, 0.02)
        nn.init.zeros_(self.linear.bias)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()

print(FixedHiddenMLP()(torch.ones(2, 20)))

class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self._modules[str(idx)] = module

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X

net = MySequential(nn.Linear(20, 4), nn.ReLU(), nn.Linear(4, 1))
for m in net.modules():
    if isinstance(m, nn.Linear):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
print(net(torch.ones(2, 20)), len(list(net.parameters())))
'''

FILES_AND_DEVICES = '''
import torch
from torch import nn
from torch.nn import functional as F

x = torch.arange(4)
torch.save(x, 'x-file')
x2 = torch.load('x-file')
print(x2)
y = torch.zeros(4)
torch.save([x, y], 'x-files')
x2, y2 = torch.load('x-files')
print(x2, y2)
mydict = {'x': x, 'y': y}
torch.save(mydict, 'mydict')
mydict2 = torch.load('mydict')
print(sorted(mydict2), mydict2['x'], mydict2['y'])

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.output = nn.Linear(256, 10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))

net = MLP()
X = torch.ones(size=(2, 20))
Y = net(X)
torch.save(net.state_dict(), 'mlp.params')
clone = MLP()
clone.load_state_dict(torch.load('mlp.params'))
print(clone.eval())
print(clone(X) == Y)

print(torch.device('cpu'), torch.device('cuda'), torch.device('cuda:1'))
print(torch.cuda.device_count(), torch.cuda.is_available())

def try_gpu(i=0):
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f'cuda:{i}')
    return torch.device('cpu')

def try_all_gpus():
    devices = [torch.device(f'cuda:{i}') for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device('cpu')]

print(try_gpu(), try_gpu(10), try_all_gpus())
x = torch.tensor([1, 2, 3])
print(x.device)
X = torch.ones(2, 3, device=try_gpu())
print(X)
net = nn.Sequential(nn.Linear(3, 1))
net = net.to(device=try_gpu())
nn.init.ones_(net[0].weight)
nn.init.zeros_(net[0].bias)
print(net(X))
print(net[0].weight.data.device)
'''

NUMERICAL_STABILITY = '''
import torch

x = torch.arange(-8.0, 8.0, 0.5, requires_grad=True)
y = torch.sigmoid(x)
y.backward(torch.ones_like(x))
print(x.grad.max(), x.grad[0] < 4e-4, x.grad.argmax())
M = torch.ones(4, 4) * 0.5
for i in range(100):
    M = torch.mm(M, torch.ones(4, 4))
print(M[0, 0] > 1e50, torch.isinf(M).any())
z = torch.tensor([1000.0, -1000.0])
print(torch.softmax(z, dim=0), torch.log_softmax(z, dim=0), torch.logsumexp(z, dim=0))
print(torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor([0.0, 1.0])))
print(torch.nn.functional.cross_entropy(torch.tensor([[1e4, -1e4, 0.0]]), torch.tensor([1])))
'''

NN_REALLY = '''
import math
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils import data

n, d, k = 60, 12, 3
x_train = (torch.arange(n * d, dtype=torch.float32).reshape(n, d) % 7) / 7
y_train = torch.arange(n) % k
weights = torch.ones(d, k) / math.sqrt(d)
weights.requires_grad_()
bias = torch.zeros(k, requires_grad=True)

def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)

def model(xb):
    return log_softmax(xb @ weights + bias)

def nll(input, target):
    return -input[range(target.shape[0]), target].mean()

def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()

bs, lr = 10, 0.5
xb, yb = x_train[0:bs], y_train[0:bs]
preds = model(xb)
print(preds[0], preds.shape)
print(nll(preds, yb), accuracy(preds, yb))
for epoch in range(2):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        loss = nll(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(nll(model(xb), yb), F.cross_entropy(xb @ weights + bias, yb))

class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(d, k)

    def forward(self, xb):
        return self.lin(xb)

def get_model():
    model = Mnist_Logistic()
    with torch.no_grad():
        model.lin.weight.fill_(0.1)
        model.lin.bias.zero_()
    return model, torch.optim.SGD(model.parameters(), lr=lr)

def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)

def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = sum(l * m for l, m in zip(losses, nums)) / sum(nums)
        print(epoch, round(val_loss, 5))

train_ds = data.TensorDataset(x_train, y_train)
train_dl = data.DataLoader(train_ds, batch_size=bs)
valid_dl = data.DataLoader(train_ds, batch_size=bs * 2)
model, opt = get_model()
fit(3, model, F.cross_entropy, opt, train_dl, valid_dl)
print(accuracy(model(x_train), y_train))
'''

CONVOLUTIONS = '''
import torch
from torch import nn
from torch.nn import functional as F

def xcorr(img, ker):                     # the cross-correlation a conv layer computes, by loops
    kh, kw = ker.shape
    out = torch.zeros((img.shape[0] - kh + 1, img.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = (img[r:r + kh, c:c + kw] * ker).sum()
    return out

img = torch.arange(12.0).reshape(3, 4)
print(xcorr(img, torch.tensor([[1.0, 0.0], [0.0, -1.0]])))
layer = nn.Conv2d(1, 1, kernel_size=2, bias=False)
with torch.no_grad():
    layer.weight.copy_(torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]]))
print(torch.allclose(layer(img[None, None])[0, 0], xcorr(img, layer.weight[0, 0])))

stripes = torch.ones((5, 7))
stripes[:, 3:5] = 0                       # learn the vertical-edge kernel [1, -1] from its output
edges = xcorr(stripes, torch.tensor([[1.0, -1.0]])).reshape(1, 1, 5, 6)
learner = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
with torch.no_grad():
    learner.weight.copy_(torch.tensor([[[[0.5, 0.1]]]]))
for step in range(8):
    err = ((learner(stripes.reshape(1, 1, 5, 7)) - edges) ** 2).sum()
    learner.zero_grad()
    err.backward()
    learner.weight.data[:] -= 0.01 * learner.weight.grad
    if step % 2 == 1:
        print(f'step {step + 1}: squared error {err:.2f}')
print(learner.weight.data.reshape(-1))

x = torch.rand(size=(1, 1, 9, 9))
for kw in [dict(kernel_size=3, padding=1), dict(kernel_size=(5, 3), padding=(2, 1)),
           dict(kernel_size=3, padding=1, stride=2), dict(kernel_size=(3, 4), padding=(0, 2), stride=(2, 3)),
           dict(kernel_size=3, padding='same', dilation=2)]:
    print(kw, nn.Conv2d(1, 2, **kw)(x).shape)

chans = torch.stack([img, img + 1, img * 2])              # 3 input channels
kers = torch.tensor([[[1.0, 2.0], [0.0, 1.0]]]).repeat(3, 1, 1)
by_hand = sum(xcorr(c, k) for c, k in zip(chans, kers))
print(torch.allclose(F.conv2d(chans[None], kers[None])[0, 0], by_hand), by_hand.shape)
pointwise = torch.arange(6.0).reshape(2, 3, 1, 1)          # a 1 x 1 conv mixes channels: a matmul
print(torch.allclose(F.conv2d(chans[None], pointwise)[0], (pointwise.reshape(2, 3) @ chans.reshape(3, -1)).reshape(2, 3, 4)))

grid = torch.arange(25, dtype=torch.float32).reshape(1, 1, 5, 5)
print(nn.MaxPool2d(2)(grid), nn.AvgPool2d(2, stride=1)(grid).shape)
print(nn.MaxPool2d(3, stride=2, padding=1)(torch.cat((grid, -grid), 1)))
print(nn.MaxPool2d((2, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True)(grid))
print(F.adaptive_avg_pool2d(grid, (2, 3)))

def norm_channels(x, eps=1e-5):          # batch norm by hand, training mode
    mu = x.mean(dim=(0, 2, 3), keepdim=True)
    var = ((x - mu) ** 2).mean(dim=(0, 2, 3), keepdim=True)
    return (x - mu) / torch.sqrt(var + eps)
feats = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2) ** 0.5
bn = nn.BatchNorm2d(3)
print(torch.allclose(bn(feats), norm_channels(feats), atol=1e-5))
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
bn.eval()
print(bn(feats)[1, 2])

class Block(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, padding=1, stride=stride, bias=False)
        self.na = nn.BatchNorm2d(cout)
        self.b = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.nb = nn.BatchNorm2d(cout)
        self.skip = nn.Conv2d(cin, cout, 1, stride=stride) if stride != 1 or cin != cout else nn.Identity()
    def forward(self, x):
        y = self.nb(self.b(F.relu(self.na(self.a(x)))))
        y += self.skip(x)
        return F.relu(y)

net = nn.Sequential(nn.Conv2d(1, 8, 5, stride=2, padding=2), nn.BatchNorm2d(8), nn.ReLU(),
                    nn.MaxPool2d(3, 2, 1), Block(8, 8), Block(8, 16, 2), nn.AdaptiveAvgPool2d(1),
                    nn.Flatten(), nn.Linear(16, 10))
print(net[4])
h = torch.rand(size=(2, 1, 40, 40))
for layer in net:
    h = layer(h)
    print(type(layer).__name__, tuple(h.shape))
print(sum(p.numel() for p in net.parameters()), [k for k in net.state_dict() if k.startswith('5.')][:4])
'''


PROGRAMS = {"parameters": PARAMETERS, "convolutions": CONVOLUTIONS, "custom_layers": CUSTOM_LAYERS, "files_and_devices": FILES_AND_DEVICES,
            "numerical_stability": NUMERICAL_STABILITY, "nn_really": NN_REALLY}


def port(source):
    """Rewrite the import lines, and nothing else."""
    lines = [IMPORTS.get(line, line) for line in source.split("\n")]
    assert all(a == b or a.startswith(("import ", "from ")) for a, b in zip(source.split("\n"), lines))
    return "\n".join(lines)


def run(source, folder):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    folder.mkdir()
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return re.sub(r"grad_fn=<\w+>", "grad_fn=<…>", done.stdout)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_ported_program_prints_what_it_prints_under_pytorch(name, tmp_path):
    optional("torch")
    theirs = run(PROGRAMS[name], tmp_path / "torch")
    ours = run(port(PROGRAMS[name]), tmp_path / "ours")
    assert ours == theirs
