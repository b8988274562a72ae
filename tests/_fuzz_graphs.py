"""The differential fuzzer's generator: random computation graphs written as small programs.

A *program* is a list of Python statements over the names ``lib`` (the library:
``tinygrad_lr`` or ``torch``), ``F`` and ``nn`` (its ``nn.functional`` and
``nn``), leaves ``x0, x1, …``, constants ``c0, c1, …`` and values
``v0, v1, …``::

    x0 = <leaf of shape (3, 1), requires_grad=True>
    x1 = <leaf of shape (2, 3), requires_grad=True>
    v0 = (x0 * x1)                    # broadcasting
    v1 = v0.sum(dim=-1, keepdim=True)
    v2 = (2.5 - v1) / (v0 * v0 + 1)   # a Python number on the left, v0 used twice
    v3 = v2[[0, 0, 1]]                # repeated indices

The same text runs in tinygrad_lr and in PyTorch (``run``), so "a PyTorch loop
ports by changing its imports" is what the fuzzer checks, graph after graph.
Where PyTorch spells a thing differently the namespace hides it: ``F.mse_loss``
and ``nn.MSELoss`` are PyTorch's divided by 2 (ours keep the ½), and constant
arrays (``c0``) are NumPy arrays for tinygrad_lr and tensors for PyTorch.

Programs are drawn with hypothesis (``programs()``), one statement at a time,
and every statement is run in tinygrad_lr (float64, no graph) as it is drawn:
the generator knows each value, so it only writes ops whose inputs are in their
domain (log of positive values, division away from zero, no overflow), and
a failing graph shrinks to a short one.  ``Program.source()`` is the program
as a script that reproduces it.
"""
import math
import os

import numpy as np
from hypothesis import strategies as st

import tinygrad_lr

MAX_NUMEL = 64      # values stay small: many ops per graph, thousands of graphs
MAX_ABS = 1e4       # and moderate: float64 keeps ~12 digits to spare for rtol 1e-9
SCALARS = (0, 1, 2, 3, -1, 0.5, -1.5, 2.5, 1e-3)
POWERS = (2, 3, 0.5, -1, 0, 1, 2.5, -2, -0.5, 1.5)


class _Budget:
    """How many graphs a fuzz test draws: the CI number, or the long one with ``--fuzz-long``
    (tests/conftest.py sets TINYGRAD_LR_FUZZ_LONG=1); TINYGRAD_LR_FUZZ_SCALE multiplies either."""
    long = os.environ.get("TINYGRAD_LR_FUZZ_LONG") == "1"
    scale = float(os.environ.get("TINYGRAD_LR_FUZZ_SCALE", "1"))

    def __call__(self, ci, long):
        return max(1, int((long if self.long else ci) * self.scale))


budget = _Budget()


# ============================================================================
# the program
# ============================================================================
class Program:
    """Leaves, constants and statements; ``outputs`` feed the loss Σₖ Σ(vₖ · Wₖ)."""

    def __init__(self):
        self.leaves = {}        # name -> (float64 array, requires_grad)
        self.consts = {}        # name -> array (floats, or integer / bool indices)
        self.lines = []         # (value name, statement text)
        self.outputs = []       # the values the loss uses
        self.weights = {}       # output name -> its weights Wₖ
        self.backward = "loss.backward()"   # how the gradient is taken: one of BACKWARD_MODES
        self.retain = None      # a value whose .grad is kept with retain_grad()
        self._code = None

    @property
    def values(self):
        return [name for name, _ in self.lines]

    def code(self):
        if self._code is None:
            self._code = compile("\n".join(text for _, text in self.lines) or "pass", "<fuzz program>", "exec")
        return self._code

    def source(self):
        """The program as a tinygrad_lr script (what hypothesis prints for a failing graph)."""
        out = ["import numpy as np", "import tinygrad_lr as lib", "from tinygrad_lr import nn",
               "from tinygrad_lr.nn import functional as F", "np.set_printoptions(precision=17)"]
        for name, (a, rg) in self.leaves.items():
            out.append(f"{name} = lib.tensor(np.array({a.tolist()!r}), requires_grad={rg})")
        for name, c in self.consts.items():
            out.append(f"{name} = np.array({c.tolist()!r}, dtype=np.{c.dtype})")
        out += [text for _, text in self.lines]
        if self.outputs:
            out.append("loss = " + " + ".join(f"({o} * np.array({self.weights[o].tolist()!r})).sum()"
                                              for o in self.outputs))
            out.append(f"# gradient taken with: {self.backward}" + (f", {self.retain}.retain_grad()"
                                                                     if self.retain else ""))
        return "\n".join(out)

    def __repr__(self):
        return "\n" + self.source() + "\n"


# ============================================================================
# running a program in a library
# ============================================================================
class _HalfMSE:
    """PyTorch's MSELoss / 2: tinygrad_lr's loss keeps the ½ of the derivations."""
    def __init__(self, torch):
        self.torch = torch

    def mse_loss(self, input, target, reduction="mean"):
        return self.torch.nn.functional.mse_loss(input, target, reduction=reduction) / 2

    def MSELoss(self, reduction="mean"):
        return lambda input, target: self.mse_loss(input, target, reduction)

    def linear(self, *args):
        return self.torch.nn.functional.linear(*args)


def namespace(lib):
    """The names a program sees, for ``lib`` = tinygrad_lr or torch."""
    if lib is tinygrad_lr:
        return {"lib": lib, "F": lib.nn.functional, "nn": lib.nn, "np": np, "math": math}
    half = _HalfMSE(lib)
    return {"lib": lib, "F": half, "nn": half, "np": np, "math": math}


def run(program, lib, dtype="float64"):
    """Execute ``program`` in ``lib`` with leaves of ``dtype``; returns the namespace (every name's tensor)."""
    ns = namespace(lib)
    for name, (a, requires_grad) in program.leaves.items():
        ns[name] = lib.tensor(a.astype(dtype), requires_grad=requires_grad)
    for name, c in program.consts.items():
        c = c.astype(dtype) if c.dtype.kind == "f" else c
        ns[name] = c if lib is tinygrad_lr else lib.from_numpy(c.copy())
    exec(program.code(), ns)
    return ns


def _weight(program, name, lib, dtype):
    w = program.weights[name].astype(dtype)
    return w if lib is tinygrad_lr else lib.from_numpy(w)


def loss_of(program, ns, lib, dtype="float64"):
    """L = Σₖ Σ(vₖ · Wₖ): every output gets non-uniform weights, so every gradient entry matters."""
    terms = [(ns[o] * _weight(program, o, lib, dtype)).sum() for o in program.outputs]
    return sum(terms[1:], terms[0])


BACKWARD_MODES = ("loss.backward()", "autograd.grad(loss, leaves)", "out.backward(gradient=W)",
                  "loss.backward(retain_graph=True) twice", "loss.backward(inputs=some leaves)",
                  "autograd.grad(outputs, leaves, grad_outputs=W)")


def grad_leaves(program, ns):
    """The leaves that require grad, in order."""
    return [ns[name] for name, (_, requires_grad) in program.leaves.items() if requires_grad]


def gradients(program, ns, lib, dtype="float64", mode=None):
    """∂L/∂leaf for every leaf that requires grad (None where no gradient reached it), taken the way
    ``program.backward`` (or ``mode``) says; and the retained ``.grad`` of ``program.retain`` (or None)."""
    leaves = grad_leaves(program, ns)
    keep = ns[program.retain] if program.retain is not None else None
    if keep is not None and keep.requires_grad:
        keep.retain_grad()
    mode = mode or program.backward
    loss = loss_of(program, ns, lib, dtype)
    if not loss.requires_grad:   # every output is a constant (e.g. detached): nothing to differentiate
        return [None] * len(leaves), None
    if mode == "out.backward(gradient=W)" and len(program.outputs) == 1:
        ns[program.outputs[0]].backward(_weight(program, program.outputs[0], lib, dtype))
    elif mode == "autograd.grad(loss, leaves)":
        return list(lib.autograd.grad(loss, leaves, allow_unused=True)), None
    elif mode == "autograd.grad(outputs, leaves, grad_outputs=W)":
        outs = [ns[o] for o in program.outputs if ns[o].requires_grad]
        ws = [_weight(program, o, lib, dtype) for o in program.outputs if ns[o].requires_grad]
        return list(lib.autograd.grad(outs, leaves, grad_outputs=ws, allow_unused=True)), None
    elif mode == "loss.backward(inputs=some leaves)":  # the others keep .grad None
        loss.backward(inputs=leaves[::2])
    elif mode == "loss.backward(retain_graph=True) twice":
        loss.backward(retain_graph=True)
        loss.backward()
    else:
        loss.backward()
    return [t.grad for t in leaves], (keep.grad if keep is not None and keep.requires_grad else None)


def as_array(t):
    """A tinygrad_lr or torch tensor's values (None stays None)."""
    if t is None:
        return None
    if type(t).__module__.startswith("torch") and t._is_zerotensor():
        return np.zeros(tuple(t.shape))   # PyTorch's efficient zero gradient: no memory behind it
    return np.asarray(t.detach().numpy())


# ============================================================================
# drawing a program
# ============================================================================
class _Builder:
    """Draws a program statement by statement, running each one in tinygrad_lr to know its value."""

    def __init__(self, draw, fd_safe):
        self.draw = draw
        self.fd_safe = fd_safe   # finite differences are the oracle: keep away from kinks too
        self.p = Program()
        self.ns = namespace(tinygrad_lr)
        self.vals = {}           # name -> float64 array, for leaves and values

    # ---- names -------------------------------------------------------------
    def leaf(self, shape, requires_grad=None, away_from_zero=False):
        if requires_grad is None:
            requires_grad = self.draw(st.integers(0, 5)) > 0   # a few leaves are constants
        a = self.random_array(shape, away_from_zero)
        name = f"x{len(self.p.leaves)}"
        self.p.leaves[name] = (a, requires_grad)
        self.ns[name] = tinygrad_lr.tensor(a, requires_grad=requires_grad)
        self.vals[name] = a
        return name

    def random_array(self, shape, away_from_zero=False):
        """Values in [-2, 2] with 3 decimals (readable in a failing program), from a drawn seed."""
        a = np.round(np.random.default_rng(self.draw(st.integers(0, 2 ** 16))).uniform(-2, 2, size=shape), 3)
        a = np.asarray(a, dtype=np.float64)
        return np.where(np.abs(a) < 0.1, 1.0, a) if away_from_zero else a

    def const(self, array):
        name = f"c{len(self.p.consts)}"
        self.p.consts[name] = np.asarray(array)
        self.ns[name] = self.p.consts[name]
        return name

    def float_const(self, shape, away_from_zero=False):
        return self.const(self.random_array(shape, away_from_zero))

    def pick(self, pred=lambda name, v: True):
        """An existing leaf or value satisfying ``pred``, or None."""
        names = [n for n, v in self.vals.items() if pred(n, v)]
        return self.draw(st.sampled_from(names)) if names else None

    def choice(self, options):
        return self.draw(st.sampled_from(options))

    def coin(self, p_true=0.5):
        return self.draw(st.integers(0, 99)) < 100 * p_true

    # ---- statements --------------------------------------------------------
    def emit(self, expr, setup=None):
        """Add ``vK = expr`` (after the lines of ``setup``) if it runs and its value is sane; returns vK."""
        name = f"v{len(self.p.lines)}"
        text = f"{name} = {expr}" if setup is None else setup.format(name=name)
        with tinygrad_lr.no_grad():
            ns = dict(self.ns)
            exec(compile(text, "<fuzz statement>", "exec"), ns)
        value = ns[name]
        if not isinstance(value, tinygrad_lr.Tensor):
            raise AssertionError(f"the fuzzer wrote a statement that does not give a tensor: {text}")
        a = value.detach().numpy()
        if self.fd_safe and a.dtype == np.float32:
            return None  # finite differences with steps of 1e-6 cannot see through float32 rounding
        if a.dtype.kind == "f" and (a.size > MAX_NUMEL or not np.all(np.isfinite(a))
                                    or (a.size and np.abs(a).max() > MAX_ABS)):
            return None  # too big, or overflowing: leave it out
        self.p.lines.append((name, text))
        self.ns[name] = ns[name]
        self.vals[name] = a.copy()   # its dtype too: float32 values appear (a 0-d float64 does not promote)
        return name

    # ---- operands ----------------------------------------------------------
    def broadcast_partner_shape(self, shape, into=False):
        """A shape that broadcasts with ``shape`` (``into``: whose broadcast with it *is* ``shape``)."""
        out = [n if self.coin(0.6) else 1 for n in shape]
        if out and self.coin(0.4):
            out = out[self.draw(st.integers(0, len(out))):]      # fewer dims
        if not into:
            mine = shape[len(shape) - len(out):]                 # x's dims, aligned from the right
            out = [self.draw(st.integers(1, 3)) if m == 1 and self.coin(0.3) else n for n, m in zip(out, mine)]
            if len(out) == len(shape) < 3 and self.coin(0.2):
                out = [self.draw(st.integers(1, 3))] + out       # a new leading dim
        return tuple(out)

    def operand(self, x, into=False, avoid_zero=False, allow_mask=True):
        """The other operand of a broadcasting op: (source text, is a tensor of ours)."""
        shape = self.vals[x].shape
        kind = self.choice(["value", "value", "leaf", "scalar", "array", "typed"] + (["mask"] if allow_mask else []))
        if kind == "scalar":
            s = self.choice([v for v in SCALARS if not avoid_zero or abs(v) >= 0.5])
            return repr(s), False
        if kind == "typed":  # tensors of other dtypes: promotion must follow PyTorch's rule
            new = self.broadcast_partner_shape(shape, into)
            a = self.random_array(new, away_from_zero=avoid_zero)
            form = self.choice(["float32", "int64", "0-d float64", "numpy scalar"])
            if a.size == 0:       # a nested empty list loses its shape: lib.tensor([]) is (0,)
                form = "numpy scalar"
            if form == "float32":     # Python floats make a float32 tensor, in both libraries
                return f"lib.tensor({a.tolist()!r})", True
            if form == "int64":
                return f"lib.tensor({np.where(a < 0, np.floor(a), np.ceil(a)).astype(int).tolist()!r})", True
            if form == "0-d float64":  # a 0-d tensor does not decide the dtype of a dimensioned one
                return f"lib.tensor({float(a.flat[0]) if a.size else 1.5!r}, dtype=lib.float64)", True
            return f"np.float64({float(a.flat[0]) if a.size else 1.5!r})", False
        if kind == "mask":  # a comparison: a bool tensor promotes to x's float dtype
            y = self.pick(lambda n, v: v.dtype.kind == "f" and _broadcasts(v.shape, shape, into))
            if y is None:
                return repr(2), False
            return f"({y} > {self.choice([0, 0.5, -1])})", True
        if kind == "value":
            y = self.pick(lambda n, v: v.dtype.kind == "f" and _broadcasts(v.shape, shape, into)
                          and (not avoid_zero or (v.size and np.abs(v).min() >= 0.1)))
            if y is not None:
                return y, True
        new = self.broadcast_partner_shape(shape, into)
        if kind == "array":
            return self.float_const(new, avoid_zero), False
        return self.leaf(new, away_from_zero=avoid_zero), True


def _broadcasts(a, b, into=False):
    """Shapes a and b broadcast together (``into``: to b itself)."""
    for m, n in zip(reversed(a), reversed(b)):
        if m != n and m != 1 and (into or n != 1):
            return False
    return not into or len(a) <= len(b)


def _positive(v, margin=0.1):
    return v.size > 0 and v.min() >= margin


def _away_from_zero(v, margin=0.1):
    return v.size > 0 and np.abs(v).min() >= margin


# ============================================================================
# the ops: each writes one statement for a value x, or returns None when x does not fit
# ============================================================================
def op_arith(b, x):
    """x ⊙ y and y ⊙ x for + − × ÷, as operators, methods and functions; y a value, leaf, number or array."""
    sym = b.choice(["+", "-", "*", "/"])
    name = {"+": "add", "-": "sub", "*": "mul", "/": "div"}[sym]
    swap = b.coin()   # y ⊙ x: a Python number, an array or a mask on the left
    if sym == "/" and swap and not _away_from_zero(b.vals[x]):
        swap = False
    # (PyTorch refuses to subtract a bool tensor; x / mask divides by 0)
    y, _ = b.operand(x, avoid_zero=(sym == "/" and not swap), allow_mask=sym in "+*")
    if swap:
        return b.emit(f"({y} {sym} {x})")
    form = b.choice(["operator", "operator", "method", "function"])
    if form == "method":
        return b.emit(f"{x}.{name}({y})")
    if form == "function":
        return b.emit(f"lib.{name}({x}, {y})")
    return b.emit(f"({x} {sym} {y})")


def op_pow(b, x):
    """x ** p (also .pow, lib.pow, square, sqrt) for p in POWERS, where xᵖ is smooth and finite."""
    v = b.vals[x]
    ok = [p for p in POWERS
          if (isinstance(p, int) and p >= 0)
          or (isinstance(p, int) and _away_from_zero(v))
          or (not isinstance(p, int) and _positive(v))]
    p = b.choice(ok)
    form = b.choice(["op", "method", "function", "named", "0-d tensor"])
    # An exponent that is a 0-d tensor without grad acts as its number.  (Not 0: PyTorch's double backward
    # of x ** tensor(0.) at x = 0 is NaN, 0 · 0⁻²; tinygrad_lr gives the exact 0, as for x ** 0.)
    if form == "0-d tensor" and p != 0:
        return b.emit(f"({x} ** lib.tensor({float(p)!r}))")
    if form == "named" and p == 2:
        return b.emit(b.choice([f"{x}.square()", f"lib.square({x})"]))
    if form == "named" and p == 0.5:
        return b.emit(b.choice([f"{x}.sqrt()", f"lib.sqrt({x})"]))
    if form == "method":
        return b.emit(f"{x}.pow({p!r})")
    if form == "function":
        return b.emit(f"lib.pow({x}, {p!r})")
    return b.emit(f"({x} ** {p!r})")


def op_rpow(b, x):
    """base ** x for a number base > 0 (composed as exp(x · ln base))."""
    return b.emit(f"({b.choice([2, 0.5, 3.0, 1.5])} ** {x})")


def op_unary(b, x):
    """neg, exp, log, abs, relu, sigmoid, tanh, clone: as methods, functions and operators."""
    v = b.vals[x]
    names = ["neg", "exp", "sigmoid", "tanh", "clone", "abs", "relu", "log"]
    if b.fd_safe and not _away_from_zero(v, 1e-2):
        names.remove("abs"), names.remove("relu")      # a kink within reach of the finite differences
    if not _positive(v):
        names.remove("log")
    if v.size and v.max() > 5:
        names.remove("exp")
    f = b.choice(names)
    if f == "neg" and b.coin():
        return b.emit(f"(-{x})")
    if f == "abs" and b.coin(0.3):
        return b.emit(f"abs({x})")
    return b.emit(b.choice([f"{x}.{f}()", f"lib.{f}({x})"]))


def op_log_safe(b, x):
    """log(x·x + c): log on any value, safe by construction."""
    return b.emit(f"({x} * {x} + {b.choice([0.5, 1, 2.0])}).log()")


def op_inplace(b, x):
    """y = x.clone(); y ⊙= z — in place on a fresh tensor, recorded like out of place."""
    sym = b.choice(["+=", "-=", "*=", "/=", "add_", "sub_", "mul_", "div_", "add_ alpha"])
    z, _ = b.operand(x, into=True, avoid_zero=sym in ("/=", "div_"), allow_mask=sym in ("+=", "*=", "add_", "mul_"))
    if sym.endswith("="):
        stmt = f"{{name}} {sym} {z}"
    elif sym == "add_ alpha":
        stmt = f"{{name}}.add_({z}, alpha={b.choice([2, -0.5])})"
    else:
        stmt = f"{{name}}.{sym}({z})"
    return b.emit(None, setup="{name} = " + f"{x}.clone()\n" + stmt)


def op_cast(b, x):
    """Through float32 and back (the gradient is cast back too), or float32 and float64 mixed."""
    form = b.choice(["float().double()", "to", "mixed"])
    if form == "to":
        return b.emit(f"{x}.to(lib.float32).to(lib.float64)")
    if form == "mixed":   # float32 · 2 stays float32, + float64 promotes back
        return b.emit(f"({x}.float() * 2 + {x})")
    return b.emit(f"{x}.float().double()")


def op_detach(b, x):
    """A value used without its history: x.detach(), x.data, or computed under no_grad()."""
    form = b.choice(["detach", "data", "no_grad"])
    if form == "detach":
        return b.emit(f"{x}.detach()")
    if form == "data":
        return b.emit(f"{x}.data")
    return b.emit(None, setup="with lib.no_grad():\n    {name} = " + f"{x} * 2")


def op_matmul(b, x):
    """x @ y and y @ x for 1-d, 2-d and batched operands (matmul, mm, @)."""
    s = b.vals[x].shape
    if len(s) == 0 or b.vals[x].dtype != np.float64:
        return None   # (matmul of float32 and float64: PyTorch refuses, tinygrad_lr promotes, see docs/porting.md)
    m = b.draw(st.integers(1, 4))
    left = b.coin()
    if left:   # x @ y: y is (k,), (k, m) or batched (…, k, m) with batch dims that broadcast with x's
        k = s[-1]
        options = [(k,), (k, m), (1, k, m)] + ([(b.draw(st.integers(1, 2)), k, m)] if len(s) <= 2 else [])
        if len(s) >= 3:
            options.append((s[-3], k, m))
    else:      # y @ x: y is (k,), (m, k) or batched (…, m, k)
        k = s[0] if len(s) == 1 else s[-2]
        options = [(k,), (m, k), (1, m, k)] + ([(b.draw(st.integers(1, 2)), m, k)] if len(s) <= 2 else [])
        if len(s) >= 3:
            options.append((s[-3], m, k))
    shape = b.choice(options)
    y = b.pick(lambda n, v: v.dtype == np.float64 and v.shape == shape) if b.coin(0.3) else None
    y = y or b.leaf(shape)
    a, c = (x, y) if left else (y, x)
    if len(b.vals[a].shape) == 2 and len(b.vals[c].shape) == 2:
        form = b.choice(["@", "matmul", "mm", "method"])
    else:
        form = b.choice(["@", "matmul", "method"])
    if form == "@":
        return b.emit(f"({a} @ {c})")
    if form == "method":
        return b.emit(f"{a}.matmul({c})")
    return b.emit(f"lib.{form}({a}, {c})")


def op_linear(b, x):
    """F.linear(x, W, b): y = x Wᵀ + b, the layer of linear regression."""
    s = b.vals[x].shape
    if len(s) == 0 or b.vals[x].dtype != np.float64:
        return None
    n_out = b.draw(st.integers(1, 3))
    w = b.pick(lambda n, v: v.dtype == np.float64 and v.ndim == 2 and v.shape[1] == s[-1]) if b.coin(0.3) else None
    w = w or b.leaf((n_out, s[-1]))
    n_out = b.vals[w].shape[0]
    bias = b.choice(["leaf", "none", "value"])
    if bias == "none":
        return b.emit(f"F.linear({x}, {w})")
    bb = b.pick(lambda n, v: v.dtype == np.float64 and v.shape == (n_out,)) if bias == "value" else None
    bb = bb or b.leaf((n_out,))
    return b.emit(f"F.linear({x}, {w}, {bb})")


def op_mse(b, x):
    """Half the mean squared error against a target of the same shape (F.mse_loss and nn.MSELoss)."""
    s = b.vals[x].shape
    if b.vals[x].dtype != np.float64:
        return None   # float32 against a float64 target: PyTorch refuses (tinygrad_lr promotes, see docs/porting.md)
    y = b.pick(lambda n, v: v.dtype == np.float64 and v.shape == s and n != x) if b.coin() else None
    y = y or b.leaf(s)
    reduction = b.choice(["mean", "sum", "none"])
    if reduction == "mean" and not b.vals[x].size:
        return None
    if b.coin():
        return b.emit(f"F.mse_loss({x}, {y}, reduction={reduction!r})")
    return b.emit(f"nn.MSELoss(reduction={reduction!r})({x}, {y})")


def op_reduce(b, x):
    """sum / mean over None, one dim (±), or a tuple of dims, with and without keepdim."""
    v = b.vals[x]
    f = b.choice(["sum", "mean"])
    nd = v.ndim
    kind = b.choice(["all", "dim", "dims", "positional"])
    if kind == "all" or (kind == "dims" and nd < 2):
        if f == "mean" and v.size == 0:
            return None
        return b.emit(b.choice([f"{x}.{f}()", f"lib.{f}({x})"]))
    d = b.draw(st.integers(-max(nd, 1), max(nd, 1) - 1))
    if kind == "dims":
        dims = b.draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
        dims = tuple(dd - nd if b.coin(0.3) else dd for dd in dims)
        reduced = [v.shape[dd] for dd in dims]
        d = dims
    else:
        reduced = [v.shape[d]] if nd else [1]
    if f == "mean" and 0 in reduced:
        return None
    keep = b.coin()
    if kind == "positional":
        return b.emit(f"{x}.{f}({d!r}, {keep})")
    return b.emit(b.choice([f"{x}.{f}(dim={d!r}, keepdim={keep})", f"lib.{f}({x}, dim={d!r}, keepdim={keep})"]))


def op_reshape(b, x):
    """reshape / view / flatten / squeeze / unsqueeze to a shape with the same number of elements."""
    v = b.vals[x]
    nd = v.ndim
    kind = b.choice(["reshape", "reshape", "flatten", "squeeze", "unsqueeze", "view"])
    if kind == "flatten":
        if nd >= 2 and b.coin():
            s = b.draw(st.integers(0, nd - 1))
            e = b.draw(st.integers(s, nd - 1))
            return b.emit(f"{x}.flatten({s}, {e - nd if b.coin() else e})")
        return b.emit(b.choice([f"{x}.flatten()", f"lib.flatten({x})"]))
    if kind == "squeeze":
        if nd and b.coin():
            return b.emit(f"{x}.squeeze({b.draw(st.integers(-nd, nd - 1))})")
        return b.emit(b.choice([f"{x}.squeeze()", f"lib.squeeze({x})"]))
    if kind == "unsqueeze":
        d = b.draw(st.integers(-nd - 1, nd))
        return b.emit(b.choice([f"{x}.unsqueeze({d})", f"lib.unsqueeze({x}, {d})"]))
    shape = _random_shape(b, v.size)
    if v.size and b.coin(0.4) and shape:
        i = b.draw(st.integers(0, len(shape) - 1))
        shape = shape[:i] + (-1,) + shape[i + 1:]
    if kind == "view":
        if x not in b.p.leaves:   # PyTorch's view needs contiguous memory: a leaf is
            return None
        return b.emit(f"{x}.view({', '.join(map(str, shape))})" if shape else f"{x}.view(())")
    form = b.choice(["args", "tuple", "function"])
    if form == "tuple" or (form == "args" and len(shape) == 0):
        return b.emit(f"{x}.reshape({shape!r})")
    if form == "function":
        return b.emit(f"lib.reshape({x}, {shape!r})")
    return b.emit(f"{x}.reshape({', '.join(map(str, shape))})")


def _random_shape(b, n):
    """A random shape with n elements (up to 4 dims, with some 1s)."""
    factors = []
    m, p = n, 2
    while m > 1 and p * p <= m:
        while m % p == 0:
            factors.append(p)
            m //= p
        p += 1
    if m > 1:
        factors.append(m)
    if n == 0:
        return b.choice([(0,), (0, 2), (1, 0)])
    ndim = b.draw(st.integers(1 if factors else 0, 4))
    dims = [1] * ndim
    for f in factors:
        dims[b.draw(st.integers(0, ndim - 1))] *= f
    return tuple(dims)


def op_transpose(b, x):
    """transpose(d0, d1) (± dims, d0 == d1 too), .T and .t() of matrices, .mT."""
    nd = b.vals[x].ndim
    forms = ["transpose", "function"] + (["T"] if nd == 2 else []) + (["t"] if nd <= 2 else []) + \
        (["mT"] if nd >= 2 else [])
    form = b.choice(forms)
    if form == "T":
        return b.emit(f"{x}.T")
    if form == "t":
        return b.emit(f"{x}.t()")
    if form == "mT":
        return b.emit(f"{x}.mT")
    d0 = b.draw(st.integers(-max(nd, 1), max(nd, 1) - 1))
    d1 = b.draw(st.integers(-max(nd, 1), max(nd, 1) - 1))
    return b.emit(f"{x}.transpose({d0}, {d1})" if form == "transpose" else f"lib.transpose({x}, {d0}, {d1})")


def op_expand(b, x):
    """expand: size-1 dims grow, new leading dims appear, -1 keeps a size."""
    s = b.vals[x].shape
    lead = tuple(b.draw(st.integers(1, 3)) for _ in range(b.draw(st.integers(0, 1 if len(s) < 3 else 0))))
    new = tuple(b.draw(st.integers(1, 3)) if n == 1 else (-1 if b.coin(0.3) else n) for n in s)
    shape = lead + new
    if not shape:
        return None
    return b.emit(f"{x}.expand{shape!r}" if len(shape) > 1 and b.coin() else f"{x}.expand({shape!r})")


def op_index(b, x):
    """Basic and advanced indexing: ints, slices, None, ..., repeated index lists, arrays, tensors, masks."""
    v = b.vals[x]
    s = v.shape
    if len(s) == 0:
        return b.emit(f"{x}[{b.choice(['None', '...'])}]")
    n0 = s[0]
    kinds = ["int", "slice", "none", "ellipsis", "list", "array", "tensor", "mask", "value mask"]
    if len(s) >= 2:
        kinds += ["int int", "slice list", "pairs", "list slice int"]
    kind = b.choice(kinds)
    if n0 == 0 and kind not in ("none", "ellipsis", "slice", "mask"):
        return None
    i = b.draw(st.integers(-n0, n0 - 1)) if n0 else 0
    if kind == "int":
        return b.emit(f"{x}[{i}]")
    if kind == "slice":
        start = b.draw(st.integers(-n0 - 1, n0 + 1) | st.none())
        stop = b.draw(st.integers(-n0 - 1, n0 + 1) | st.none())
        step = b.choice([None, 1, 2, 3])
        text = ("" if start is None else str(start)) + ":" + ("" if stop is None else str(stop)) + \
            ("" if step is None else f":{step}")
        return b.emit(f"{x}[{text}]")
    if kind == "none":
        return b.emit(b.choice([f"{x}[None]", f"{x}[:, None]", f"{x}[..., None]"]))
    if kind == "ellipsis":
        return b.emit(b.choice([f"{x}[..., {i if len(s) == 1 else 0}]", f"{x}[{i}, ...]", f"{x}[...]"]))
    idx = b.draw(st.lists(st.integers(-n0, n0 - 1), min_size=1, max_size=5))
    if kind == "list":
        return b.emit(f"{x}[{idx!r}]")
    if kind == "array":
        shape2 = b.coin(0.3) and len(idx) >= 2
        arr = np.array(idx[:2] * 2 if shape2 else idx).reshape((2, 2) if shape2 else -1)
        return b.emit(f"{x}[{b.const(arr)}]")
    if kind == "tensor":
        return b.emit(f"{x}[lib.tensor({idx!r})]")
    if kind == "mask":
        mask = np.array(b.draw(st.lists(st.booleans(), min_size=n0, max_size=n0)), dtype=bool)
        return b.emit(f"{x}[{b.const(mask)}]")
    if kind == "value mask":  # x[x > t], with the mask fixed when the program is drawn
        return b.emit(f"{x}[{b.const(v > b.choice([0.0, 0.5, -0.5]))}]")
    n1 = s[1]
    j = b.draw(st.integers(-n1, n1 - 1))
    if kind == "int int":
        return b.emit(f"{x}[{i}, {j}]")
    idx1 = b.draw(st.lists(st.integers(-n1, n1 - 1), min_size=len(idx), max_size=len(idx)))
    if kind == "slice list":
        return b.emit(f"{x}[:, {idx1!r}]")
    if kind == "pairs":
        return b.emit(f"{x}[{idx!r}, {idx1!r}]")
    # advanced indices separated by a slice: the broadcast index dims go first (NumPy's and PyTorch's rule)
    if len(s) >= 3:
        k = b.draw(st.integers(-s[2], s[2] - 1))
        return b.emit(f"{x}[{idx!r}, :, {k}]")
    return b.emit(f"{x}[{idx!r}, 1:]")


def op_join(b, x):
    """stack and cat of x with values or new leaves of fitting shapes (x with itself too)."""
    s = b.vals[x].shape
    n = b.draw(st.integers(1, 3))
    if b.coin() or len(s) == 0:   # stack: equal shapes, a new dim
        parts = [x]
        for _ in range(n):
            y = b.pick(lambda nm, v: v.dtype.kind == "f" and v.shape == s) if b.coin() else None
            parts.append(y or b.leaf(s))
        d = b.draw(st.integers(-len(s) - 1, len(s)))
        return b.emit(f"lib.stack([{', '.join(parts)}], dim={d})" if b.coin() else
                      f"lib.stack(({', '.join(parts)}), {d})")
    d = b.draw(st.integers(-len(s), len(s) - 1))
    parts = [x]
    for _ in range(n):
        shape = s[:d % len(s)] + (b.draw(st.integers(1, 3)),) + s[d % len(s) + 1:]
        y = b.pick(lambda nm, v: v.dtype.kind == "f" and v.ndim == len(s) and
                   all(p == q for k, (p, q) in enumerate(zip(v.shape, s)) if k != d % len(s))) if b.coin() else None
        parts.append(y or b.leaf(shape))
    parts = b.draw(st.permutations(parts))
    return b.emit(f"lib.cat([{', '.join(parts)}], dim={d})" if b.coin() else f"lib.cat(({', '.join(parts)}), {d})")


OPS = {
    "arith": (op_arith, 6), "pow": (op_pow, 2), "rpow": (op_rpow, 1), "unary": (op_unary, 4),
    "log_safe": (op_log_safe, 1), "inplace": (op_inplace, 1), "detach": (op_detach, 1), "cast": (op_cast, 1),
    "matmul": (op_matmul, 2), "linear": (op_linear, 1), "mse": (op_mse, 1), "reduce": (op_reduce, 3),
    "reshape": (op_reshape, 2), "transpose": (op_transpose, 1), "expand": (op_expand, 1),
    "index": (op_index, 3), "join": (op_join, 1),
}

# The classification ops draw from files of their own, with the same (op function, weight) entries.
from _fuzz_ops_math import OPS_MATH  # noqa: E402
from _fuzz_ops_tensor import OPS_TENSOR  # noqa: E402
from _fuzz_ops_surface import OPS_SURFACE  # noqa: E402  (%, rounding, more math, masks, structure, in place)

OPS.update(OPS_MATH)
OPS.update(OPS_TENSOR)
OPS.update(OPS_SURFACE)


@st.composite
def programs(draw, ops=None, max_ops=10, fd_safe=False):
    """A random program: 1 to ``max_ops`` statements drawn from ``ops`` (default: all of OPS)."""
    b = _Builder(draw, fd_safe)
    # finite differences see neither through detach (a constant to autograd) nor through float32 rounding
    names = [n for n in (ops or OPS) if not (fd_safe and n in ("detach", "cast"))]
    weighted = [n for n in names for _ in range(OPS[n][1])]
    ndim = draw(st.sampled_from([2, 0, 1, 3]))
    b.leaf(tuple(draw(st.integers(1, 4)) for _ in range(ndim)), requires_grad=True)
    n_ops = draw(st.integers(max(1, max_ops // 2), max_ops))
    for _ in range(n_ops):
        op = draw(st.sampled_from(weighted))
        x = b.pick(lambda n, v: v.dtype.kind == "f")
        if b.vals[x].size == 0 and op not in ("reshape", "transpose", "reduce", "arith", "unary", "join"):
            continue
        OPS[op][0](b, x)
    if not b.p.lines:  # nothing was accepted: one op that always fits
        b.emit(f"({b.pick()} * 2)")
    # the loss uses the last value and a few others; each with its own weights
    p = b.p
    floats = [n for n, _ in p.lines if b.vals[n].dtype.kind == "f"]
    extra = draw(st.lists(st.sampled_from(floats), max_size=2, unique=True))
    p.outputs = list(dict.fromkeys([floats[-1]] + extra))
    for o in p.outputs:
        seed = draw(st.integers(0, 2 ** 16))
        p.weights[o] = np.asarray(np.round(np.random.default_rng(seed).uniform(-1, 1, size=b.vals[o].shape), 3))
    p.backward = draw(st.sampled_from(BACKWARD_MODES))
    if draw(st.booleans()):
        p.retain = draw(st.sampled_from(floats))
    return p
