"""One program and how it is run: its names, its glue, its fast path, and the program beside the eager step.

``Variant(recording)`` turns a recording whose fingerprint repeated into a ``program.Program``: it names
the values learners look for (the step's arguments, ``weight``, ``weight_grad``, ``lr``), and
generates two small Python functions around the program (code generation, as ``program.py`` does
for the program itself):

- ``replay(tensors)``: fetch the program's inputs (the arguments' arrays, each ``p.grad``, each lr),
  run it, and leave behind what the eager step would (``p.grad`` set, version counters moved, the
  returned loss as a tensor);
- ``fast(args)``: the whole call in one function without loops — the signature, the guards
  (``guards.py``) and the replay — for the common case of a step called with tensors only.

``side_by_side`` runs the program on copies of everything it touches and the eager step on the real
thing, and compares: on every call with ``compile(fn, check=True)`` (``checked``), and on the safety
net's turns otherwise (the 2nd, 4th, 8th, ... replay: ``check_at``; the fast path leaves those calls to
the slow one).  Nothing is updated twice, and what stays behind is the eager step's.
"""
import numpy as np

from ..core import Tensor, internal
from .guards import Guards
from .program import Program, _refs
from .recording import tensor_args
from .world import ident

MISS = object()  # what a program's fast path returns when the call is not for it


def check_at(k):
    """The replay of a program at which the safety net takes its k-th turn: the 2nd, 4th, 8th, ... 1024th, then
    every 1,000th (2000th, 3000th, ...)."""
    return 2 ** k if k <= 10 else (k - 9) * 1000


def until_next_check(k):
    """Replays from the safety net's k-th turn (0: the program's start) to its next."""
    return check_at(k + 1) - (check_at(k) if k else 0)


class NotCompilable(Exception):
    """A recording that agreed with the one before but cannot become a program: the step stays eager."""


class Variant:
    """One program, its guards, and how to run it and leave behind what the eager step would."""

    def __init__(self, r, title, verify=True):
        rec, world = r.rec, r.world
        self.verify = verify
        self.left = [until_next_check(0)]  # replays until the safety net's next turn (see compiled.py)
        self.checks = 0                    # the safety net's turns so far
        names, used = {}, {"np", "Changed", "step", "operator"}

        def name(vid, base):
            base = ident(base)
            candidate, k = base, 1
            while candidate in used:
                k += 1
                candidate = f"{base}{k}"
            used.add(candidate)
            names[vid] = candidate

        referenced = set()
        for node in rec.nodes:
            referenced.update(_refs(node.args), _refs(node.kwargs))
            if node.writes is not None:
                referenced.add(node.writes)
        params, inputs = [], []   # program parameters (value ids) and how to fetch each at replay
        lrs = sum(1 for v in rec.values.values() if v.kind == "input")
        for vid, v in rec.values.items():
            if v.kind in ("arg", "grad", "input") and vid not in referenced:
                continue
            if v.kind == "arg":
                arg_name = r.arg_names[v.info] if v.info < len(r.arg_names) else f"arg{v.info}"
                name(vid, arg_name)
                params.append(vid)
                inputs.append(("arg", v.info))
            elif v.kind == "grad":
                name(vid, world.names.get(id(v.info), "p") + "_grad")
                params.append(vid)
                inputs.append(("grad", v.info))
            elif v.kind == "input":
                name(vid, "lr" if lrs == 1 else f"lr_{v.info}")
                params.append(vid)
                inputs.append(("lr", world.groups[v.info][1]))
            elif v.kind == "ext" and id(v.tensor) in world.names:
                name(vid, world.names[id(v.tensor)])
        outputs = []
        result_name = "loss" if r.result and r.result[0] == "tensor" else "out"
        for i, vid in enumerate(r.outputs):
            label = next((world.names.get(id(p), "p") + "_grad" if not isinstance(p, tuple) else
                          f"{r.arg_names[p[1]] if p[1] < len(r.arg_names) else 'arg' + str(p[1])}_grad"
                          for p, j in r.grads if j == i), None)
            if label is None:
                label = result_name if sum(1 for _ in r.outputs) - len(r.grads) == 1 else f"out{i}"
            if vid not in names:
                name(vid, label)
            outputs.append((vid, names[vid]))
        shapes = ", ".join(f"{names.get(vid, '?')} {tuple(rec.values[vid].array.shape)}"
                           for vid in params if rec.values[vid].kind == "arg")
        program = Program(rec, names, params, outputs, title=f"compiled {title}({shapes})")
        inputs = [inputs[params.index(v)] for v in program.params]
        self._check_guard_order(program)
        self.program, self.inputs, self.r = program, inputs, r
        self._guards = Guards(r, program)
        self._positional = r.positional  # the call's arguments are its tensors, in order
        self._replay = self._glue()

    @staticmethod
    def _check_guard_order(program):
        first_write = None
        for i, node in enumerate(program.nodes):
            if node.writes is not None and program.values[program._root(node.writes)].kind != "op" \
                    and first_write is None:
                first_write = i
            if node.kind == "guard" and first_write is not None:
                raise NotCompilable(f"the step branches on a value ({node.where or 'a branch of the step'}) after it has "
                                     "updated a parameter, so a program could not fall back to eager safely")

    def guards_fail(self):
        return self._guards.fail()

    def _gather(self, args, kwargs):
        tensors = tensor_args(args, kwargs)
        out = []
        for kind, info in self.inputs:
            if kind == "arg":
                out.append(internal.values(tensors[info]))
            elif kind == "grad":
                out.append(internal.values(info.grad))
            else:
                out.append(info["lr"])
        return tensors, out

    def replay(self, args, kwargs):
        return self._replay(args if not kwargs and self._positional else tensor_args(args, kwargs))

    def _glue(self):
        """``replay(tensors)``, generated: fetch the inputs, run the program, leave behind what eager would."""
        ns = {"run": self.program.run, "values": internal.values, "set_grad": internal.set_grad,
              "mark_changed": internal.mark_changed, "wrap": internal.wrap, "asarray": np.asarray, "ndarray": np.ndarray}

        def obj(x):
            name = f"q{len(ns)}"
            ns[name] = x
            return name
        fetch = []
        for kind, info in self.inputs:
            fetch.append(f"values(tensors[{info}])" if kind == "arg" else f"values({obj(info)}.grad)" if kind == "grad"
                         else f"{obj(info)}['lr']")
        lines = [f"    r = run({', '.join(fetch)})"]
        r = self.r
        def target(p):
            return f"tensors[{p[1]}]" if isinstance(p, tuple) else obj(p)
        lines += [f"    {target(p)}.grad = None" for p in r.cleared]
        for p, i in r.grads:
            lines.append(f"    g = r[{i}]")
            lines.append(f"    set_grad({target(p)}, g if type(g) is ndarray else asarray(g))")
        for (kind, x), times in r.bumps:
            t = f"tensors[{x}]" if kind == "arg" else f"{obj(x)}.grad" if kind == "grad" else obj(x)
            lines += [f"    mark_changed({t})"] * times

        def rebuild(spec):
            if spec is None:
                return "None"
            kind, x = spec
            if kind == "tensor":
                return f"wrap(r[{x}] if type(r[{x}]) is ndarray else asarray(r[{x}]))"
            if kind == "same":
                return obj(x)
            if kind == "const":
                return repr(x)
            if kind == "dict":
                return "{" + ", ".join(f"{k!r}: {rebuild(v)}" for k, v in x.items()) + "}"
            items = "".join(rebuild(i) + ", " for i in x)
            return f"({items})" if kind == "tuple" else f"[{items}]"
        lines.append(f"    return {rebuild(r.result)}")
        self.glue_source = "def replay(tensors):\n" + "\n".join(lines) + "\n"
        exec(self.glue_source, ns)
        self.fast = self._fast(ns, lines) if r.positional and r.key is not None else None
        return ns["replay"]

    def _fast(self, glue_ns, lines):
        """``fast(args)``, generated: the whole call for this program — the signature, the guards and the replay
        in one function, without loops (a small step's time is mostly Python around its kernels).  It returns
        ``MISS`` when anything does not hold; the caller then takes the slow path, which says what."""
        key = self.r.key
        ns = dict(self._guards.ns, **glue_ns)
        ns.update(MISS=MISS, Tensor=Tensor, inspected=internal.backward_inspected)
        n = len(key) - 1
        names = [f"a{i}" for i in range(n)]
        conds = [f"isinstance({a}, Tensor)" for a in names]
        checks = []
        for i, (shape, dtype, requires_grad) in enumerate(key[1:]):
            ns[f"D{i}"] = dtype
            # (dtype by identity: NumPy's dtypes are singletons; another equal one only means the slow path)
            checks.append(f"d{i}.shape == {shape!r} and d{i}.dtype is D{i} and a{i}.requires_grad is {requires_grad!r}")
        body = ["def fast(args):",
                f"    if len(args) != {n} or inspected() or is_grad_enabled() is not {key[0]!r}:",
                "        return MISS"]
        if n:
            body.append(f"    {', '.join(names)}, = args")
            body.append(f"    if not ({' and '.join(conds)}):")
            body.append("        return MISS")
            body.append(f"    {', '.join(f'd{i}' for i in range(n))}, = {', '.join(f'values(a{i})' for i in range(n))},")
            body.append(f"    if not ({' and '.join(checks)}):")
            body.append("        return MISS")
        body.append("    try:")
        body.append("        if not (" + " and ".join(self._guards.conds or ["True"]) + "):")
        body.append("            return MISS")
        body.append("    except (LookupError, AttributeError, TypeError, ValueError):  # a key, entry or name is gone")
        body.append("        return MISS")
        if self.verify:
            ns["left"] = self.left
            body.append("    if left[0] <= 1:  # the safety net's turn: the slow path runs this call beside eager")
            body.append("        return MISS")
            body.append("    left[0] -= 1")
        body.append("    tensors = args")
        body += lines
        source = "\n".join(body) + "\n"
        for i in range(n):
            source = source.replace(f"values(tensors[{i}])", f"d{i}")
        self.fast_source = source
        exec(source, ns)
        return ns["fast"]

    def checked(self, fn, args, kwargs):
        """check=True: the program beside the eager step (``side_by_side``); a difference raises."""
        eager, difference = self.side_by_side(fn, args, kwargs)
        if difference is not None:
            raise RuntimeError(f"compile(check=True): the program and the eager step disagree on {difference}")
        return eager

    def side_by_side(self, fn, args, kwargs):
        """The program on copies of everything it touches, the eager step on the real thing (so nothing is updated
        twice, and what stays behind is eager's): (what eager returned, None or what differs and by how much)."""
        tensors, inputs = self._gather(args, kwargs)
        ns = self.program.namespace
        saved = {k: v for k, v in ns.items() if isinstance(v, np.ndarray)}
        copies = {k: v.copy() for k, v in saved.items()}
        ns.update(copies)
        try:
            results = self.program.run(*[a.copy() if isinstance(a, np.ndarray) else a for a in inputs])
        finally:
            ns.update(saved)
        eager = fn(*args, **kwargs)
        for k, v in saved.items():
            if not np.array_equal(copies[k], v, equal_nan=True):
                return eager, f"{k} ({_difference(copies[k], v)})"
        for p, i in self.r.grads:
            p = tensors[p[1]] if isinstance(p, tuple) else p
            name = self.program.names.get(self.r.outputs[i], "?")
            if p.grad is None:
                return eager, f"the gradient {name} (eager left None)"
            got = _array(results[i])
            if not np.array_equal(got, internal.values(p.grad), equal_nan=True):
                return eager, f"the gradient {name} ({_difference(got, internal.values(p.grad))})"
        return eager, _compare_results(self.r.result, results, eager)


def _array(x):
    return x if type(x) is np.ndarray else np.asarray(x)


def _difference(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return f"shapes {a.shape} and {b.shape}"
    with np.errstate(all="ignore"):
        return f"max difference {np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0):.3g}"


def _compare_results(spec, results, eager):
    """None if the program's results are eager's, else what differs."""
    if spec is None:
        return None
    kind, x = spec
    if kind == "tensor":
        got, want = _array(results[x]), internal.values(eager)
        if not np.array_equal(got, want, equal_nan=True):
            return f"the value returned ({_difference(got, want)})"
    elif kind in ("tuple", "list"):
        for s, e in zip(x, eager):
            found = _compare_results(s, results, e)
            if found:
                return found
    elif kind == "dict":
        for k, s in x.items():
            found = _compare_results(s, results, eager[k])
            if found:
                return found
    return None
