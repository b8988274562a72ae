"""From a recording to a program: readable NumPy source, the same kernels in the same order.

A recording (``trace.Recorder``) is the list of NumPy calls one eager call made.  The program is
that list written out as a Python function, after four rewrites that change no value:

- a guard on values nothing in the step writes (−lr; the targets a loss checks), with the calls it
  reads, comes first: a guard that fails must stop the program before it has written anything;
- the same pure call on the same values twice, with no write in between, is computed once
  (the ½-MSE's backward recomputes ŷ − y, which its forward already had);
- a copy of a temporary nobody else uses is the temporary itself (``.grad`` is a copy of what
  backward sent, because that array could reach two leaves);
- a call whose result nobody uses is dropped (the loss, when the step does not return it).

and one that changes how a value is written, not the value: an update written out of place,
``np.copyto(m, m + 0.1 * (g - m))``, is the same last ufunc with ``out=m``: ``m += 0.1 * (g - m)``
(or ``np.maximum(v_max, v, out=v_max)``).  The same operations in the same order, without the
full-size temporary and the copy — the optimizers' updates (Adam's moments, RMSprop's and
Adagrad's sums) are mostly such copies.

A value used once is written inside the expression that uses it, so ``t1 = X @ W.T; t2 = t1 + b``
reads ``t2 = X @ W.T + b``: Python evaluates it in the same order, with the same NumPy calls.  A large
temporary is deleted (``del t7``) after the last statement that reads it, so the program holds no
more memory at once than the eager step, which lets go of what its graph no longer needs.
A power is always written ``np.power``/``np.square``/``np.sqrt`` as recorded, never ``**``: on
arrays ``x ** 0.5`` is ``np.sqrt``, whose last bit may differ from ``np.power(x, 0.5)``.
"""
import re

import numpy as np

from .trace import Ref
from .tracing import _VIEWS

_BINARY = {"add": ("+", 11), "subtract": ("-", 11), "multiply": ("*", 12), "divide": ("/", 12),
           "matmul": ("@", 12), "floor_divide": ("//", 12), "remainder": ("%", 12),
           "less": ("<", 6), "less_equal": ("<=", 6), "greater": (">", 6), "greater_equal": (">=", 6),
           "equal": ("==", 6), "not_equal": ("!=", 6), "bitwise_and": ("&", 9), "bitwise_or": ("|", 7),
           "bitwise_xor": ("^", 8)}
_UNARY = {"negative": ("-", 13), "positive": ("+", 13), "invert": ("~", 13)}
_PY_BINARY = {"add": ("+", 11), "sub": ("-", 11), "mul": ("*", 12), "truediv": ("/", 12), "pow": ("**", 14),
              "floordiv": ("//", 12), "mod": ("%", 12),
              "eq": ("==", 6), "ne": ("!=", 6), "lt": ("<", 6), "le": ("<=", 6), "gt": (">", 6), "ge": (">=", 6)}
_PY_REVERSED = {"radd": "add", "rsub": "sub", "rmul": "mul", "rtruediv": "truediv", "rpow": "pow",
                "rfloordiv": "floordiv", "rmod": "mod"}
_ATOM = 100
# names from the lecture notes for a few values learners look for: the residual r = ŷ − y of the ½-MSE
_HINTS = {("HalfSquaredError.forward", "subtract"): "r", ("HalfSquaredError.backward", "multiply"): "g"}
_PURE_FUNCS = {"where", "broadcast_to", "concatenate", "stack", "expand_dims", "clip", "zeros_like", "ones_like",
               "full_like", "cumsum", "round", "sign", "take_along_axis", "logaddexp"}
_VIEW_FUNCS = {"broadcast_to", "expand_dims", "sliding_window_view"}  # (writes through them land in their array)
_IN_PLACE = {"add", "subtract", "multiply", "divide"}   # written ``dst += x`` when dst is the left operand


class Changed(Exception):
    """Raised by a program's guard before it writes anything: this call must run eagerly."""


def _key(x):
    """A hashable form of a recorded argument, for finding the same call twice."""
    if isinstance(x, Ref):
        return ("ref", x.id)
    if isinstance(x, float):
        return ("float", repr(x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__,) + tuple(_key(i) for i in x)
    if isinstance(x, dict):
        return ("dict",) + tuple(sorted((k, _key(v)) for k, v in x.items()))
    if isinstance(x, slice):
        return ("slice", _key(x.start), _key(x.stop), _key(x.step))
    if isinstance(x, np.generic):
        return ("generic", x.dtype.str, x.tobytes())
    return (type(x).__name__, x)


def _natural(name):
    """t2 before t10."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _refs(x):
    if isinstance(x, Ref):
        yield x.id
    elif isinstance(x, (list, tuple)):
        for i in x:
            yield from _refs(i)
    elif isinstance(x, dict):
        for i in x.values():
            yield from _refs(i)
    elif isinstance(x, slice):
        yield from _refs((x.start, x.stop, x.step))


def _map_refs(x, alias):
    if isinstance(x, Ref):
        return Ref(alias.get(x.id, x.id))
    if isinstance(x, tuple):
        return tuple(_map_refs(i, alias) for i in x)
    if isinstance(x, list):
        return [_map_refs(i, alias) for i in x]
    if isinstance(x, dict):
        return {k: _map_refs(v, alias) for k, v in x.items()}
    if isinstance(x, slice):
        return slice(*(_map_refs(i, alias) for i in (x.start, x.stop, x.step)))
    return x


def _pure(node):
    if node.writes is not None:
        return False
    if node.kind == "ufunc":
        return node.fn[1] in ("__call__", "reduce", "accumulate", "outer")
    if node.kind == "method":
        return node.fn not in ("copy", "astype", "fill", "flatten", "view")
    if node.kind == "func":
        return node.fn.__name__ in _PURE_FUNCS and node.fn.__name__ not in ("zeros_like", "ones_like", "full_like")
    return node.kind in ("getitem", "scalar", "read")


def _is_view(node):
    return (node.kind == "method" and node.fn in _VIEWS + ("T", "mT") or node.kind == "getitem"
            or node.kind == "func" and node.fn.__name__ in _VIEW_FUNCS)


class Program:
    """The program of one recording: ``source`` (a Python function of NumPy calls) and ``run``.

    Args:
        rec: the recording.
        names: {value id: name} for the values that have one (arguments, parameters, their grads, lr).
        params: the value ids of the program's parameters, in order.
        outputs: [(value id, name)] the program returns, in order.
        title: the first line of the source (a comment).
    """

    def __init__(self, rec, names, params, outputs, title=""):
        self.rec, self.values = rec, rec.values
        self.names = dict(names)
        self.namespace = {"np": np, "Changed": Changed}
        self.params, self.outputs = params, outputs
        self.alias = {}
        nodes = self._hoist(list(rec.nodes))
        nodes = self._common(nodes)
        nodes = self._copies(nodes)
        nodes = self._live(nodes)
        self.nodes = nodes
        used = set()
        for node in nodes:
            used.update(_refs(node.args), _refs(node.kwargs))
            if node.writes is not None:
                used.add(node.writes)
        self.params = [v for v in params if v in used]
        self.source = self._emit(title)
        code = compile(self.source, "<tinygrad_lr.compile program>", "exec")
        exec(code, self.namespace)
        self.run = self.namespace["step"]

    # ---- rewrites -----------------------------------------------------------------------------
    def _root(self, vid):
        """The value whose memory ``vid`` is (itself, or the array it is a view of)."""
        while True:
            v = self.values[vid]
            if v.kind != "op":
                return vid
            node = self.rec.nodes[v.info]
            if not _is_view(node):
                return vid
            base = node.args[0]
            if not isinstance(base, Ref):
                return vid
            vid = self.alias.get(base.id, base.id)

    def _written_roots(self, nodes):
        return {self._root(n.writes) for n in nodes if n.writes is not None}

    def _hoist(self, nodes):
        """A guard on values nothing in the step writes (−lr; the targets a loss checks: the step's argument y),
        with the calls it reads, moves to the top: there it is checked before anything is written, so a
        guard that fails leaves the call to eager untouched (a BatchNorm updates its running statistics in
        its forward, before the loss's guards).  The calls moved read only such values: they compute the
        same numbers earlier."""
        written = self._written_roots(nodes)
        free = {vid for vid, v in self.values.items() if v.kind != "op" and vid not in written}
        made_by = {}  # value id → the index of the call that made it, for the calls that read only free values
        for i, node in enumerate(nodes):
            refs = set(_refs(node.args)) | set(_refs(node.kwargs))
            if node.writes is None and node.kind != "setitem" and refs <= free and node.out is not None:
                made_by[node.out] = i
                if self._root(node.out) not in written:
                    free.add(node.out)
        top = set()
        for i, node in enumerate(nodes):
            if node.kind == "guard" and set(_refs(node.args)) <= free:
                todo = [i]
                while todo:
                    j = todo.pop()
                    if j not in top:
                        top.add(j)
                        todo += [made_by[r] for r in set(_refs(nodes[j].args)) | set(_refs(nodes[j].kwargs))
                                 if r in made_by]
        return [n for i, n in enumerate(nodes) if i in top] + [n for i, n in enumerate(nodes) if i not in top]

    def _common(self, nodes):
        """The same pure call on the same values, with no write in between, is made once."""
        written = self._written_roots(nodes)
        seen, kept = {}, []
        for node in nodes:
            node.args, node.kwargs = _map_refs(node.args, self.alias), _map_refs(node.kwargs, self.alias)
            if node.writes is not None:
                seen = {}
                kept.append(node)
                continue
            if _pure(node) and node.out is not None or node.kind == "guard":
                fn = node.fn if node.kind != "ufunc" else (node.fn[0].__name__, node.fn[1])
                fn = fn.__name__ if callable(fn) and not isinstance(fn, str) else fn
                key = (node.kind, fn, _key(node.args), _key(node.kwargs))
                first = seen.get(key)
                if first is not None and node.kind == "guard":
                    continue
                if first is not None and self._root(node.out) not in written and self._root(first) not in written:
                    self.alias[node.out] = first
                    continue
                seen[key] = node.out if node.out is not None else True
            kept.append(node)
        return kept

    def _uses(self, nodes):
        uses = {}
        for node in nodes:
            for r in list(_refs(node.args)) + list(_refs(node.kwargs)):
                uses[r] = uses.get(r, 0) + 1
            if node.writes is not None and node.writes != node.out:
                uses[node.writes] = uses.get(node.writes, 0) + 1
        for vid in self.params:
            uses[vid] = uses.get(vid, 0) + 1
        for vid, _ in self.outputs:
            vid = self.alias.get(vid, vid)
            uses[vid] = uses.get(vid, 0) + 1
        return uses

    def _copies(self, nodes):
        """A copy (``astype`` to the same dtype) of a temporary used nowhere else is the temporary."""
        uses, written = self._uses(nodes), self._written_roots(nodes)
        kept = []
        for node in nodes:
            node.args, node.kwargs = _map_refs(node.args, self.alias), _map_refs(node.kwargs, self.alias)
            if (node.kind == "method" and node.fn == "astype" and node.writes is None and len(node.args) == 2
                    and not node.kwargs and isinstance(node.args[0], Ref)):
                src = node.args[0].id
                v = self.values[src]
                if (v.kind == "op" and uses.get(src) == 1 and np.dtype(node.args[1]) == node.dtype
                        and self.rec.nodes[v.info].dtype == node.dtype and not _is_view(self.rec.nodes[v.info])
                        and self._root(src) not in written and node.out not in written):
                    self.alias[node.out] = src
                    continue
            kept.append(node)
        for vid, name in self.outputs:
            if vid in self.alias and self.alias[vid] not in self.names:
                self.names[self.alias[vid]] = name
        return kept

    def _live(self, nodes):
        """Drop the calls whose results nobody uses (writes and guards always stay)."""
        live = {self.alias.get(v, v) for v, _ in self.outputs}
        kept = []
        for node in reversed(nodes):
            if node.writes is None and node.kind != "guard" and node.out not in live:
                continue
            kept.append(node)
            live.update(_refs(node.args))
            live.update(_refs(node.kwargs))
            if node.writes is not None:
                live.add(node.writes)
        return kept[::-1]

    # ---- the source ---------------------------------------------------------------------------
    def _emit(self, title):
        nodes, uses = self.nodes, self._uses(self.nodes)
        outputs = {self.alias.get(v, v) for v, _ in self.outputs}
        # a value used once, by a later call with no write in between, is written inside that call
        targets = {n.writes for n in nodes if n.writes is not None}
        inline, last_write, pending = set(), -1, {}
        for i, node in enumerate(nodes):
            for r in set(_refs(node.args)) | set(_refs(node.kwargs)):
                j = pending.get(r)
                if j is not None and j > last_write and uses.get(r) == 1 and r not in outputs:
                    if not (node.writes is not None and node.args and isinstance(node.args[0], Ref)
                            and node.args[0].id == r):
                        inline.add(r)
            if node.writes is not None:
                last_write = i
            if node.out is not None and node.writes is None and node.out not in targets:
                pending[node.out] = i
        self.inline, self.exprs, self.temps = inline, {}, 0
        self.operands = {}   # value id → (ufunc name, texts of its operands), for writing it with out=
        self.scalars, self.scalar_lines = {}, []   # NumPy scalar constants, named once above the function
        lines, where = [], ""
        waiting = []  # where the calls written inside the next statement come from
        for node in nodes:
            if node.out in inline:
                self.exprs[node.out] = self._expr(node)
                waiting.append(node.where)
                continue
            for w in waiting + [node.where]:
                if w != where:  # a block of calls from one op, backward step or update, or from between ops
                    lines.append(f"# {w or 'between ops'}")
                    where = w
            waiting = []
            lines.append(self._statement(node))
        lines = self._freed(lines, {self._name(self.alias.get(v, v)) for v, _ in self.outputs})
        params = ", ".join(self._name(v) for v in self.params)
        updated = sorted({self._name(self._root(n.writes)) for n in nodes if n.writes is not None
                          and self.values[self._root(n.writes)].kind == "ext"})
        body = [f"def step({params}):"]
        if updated:
            body.append(f"    global {', '.join(updated)}  # arrays of the parameters and state, updated in place")
        body += ["    " + line for line in lines]
        body.append("    return (" + "".join(self._name(self.alias.get(v, v)) + ", " for v, _ in self.outputs) + ")")
        head = [f"# {title}"] if title else []
        consts = [f"# {name}: {desc}" for name, desc in self._described()]
        return "\n".join(head + consts + self.scalar_lines + body) + "\n"

    def _freed(self, lines, outputs):
        """``del`` each large temporary (64 KiB or more) after the last statement that reads it: its memory goes
        back then, as eager's does when the graph lets go of it (a function's locals would otherwise all live
        until it returns, and a convolutional step would need several times its activations)."""
        temps = {name for vid, name in self.names.items() if self._large(vid)} - outputs
        last = {}
        for i, line in enumerate(lines):
            if not line.startswith("#"):
                for word in re.findall(r"[A-Za-z_]\w*", line):
                    if word in temps:
                        last[word] = i
        after = {}
        for name, i in last.items():
            after.setdefault(i, []).append(name)
        out = []
        for i, line in enumerate(lines):
            out.append(line)
            if i in after:
                out.append("del " + ", ".join(sorted(after[i], key=_natural)))
        return out

    def _large(self, vid):
        """Whether ``vid`` is a temporary (or a view of one) of 64 KiB or more."""
        root = self._root(vid)
        if self.values[vid].kind != "op" or self.values[root].kind != "op":
            return False
        node = self.rec.nodes[self.values[root].info]
        return node.shape is not None and node.dtype is not None and \
            int(np.prod(node.shape)) * np.dtype(node.dtype).itemsize >= 1 << 16

    def _described(self):
        for vid, v in self.values.items():
            if v.kind in ("ext", "const") and vid in self.names and isinstance(v.array, np.ndarray) and v.array.ndim:
                what = "a constant" if v.kind == "const" else "used in place"
                yield self.names[vid], f"{what}, shape {tuple(v.array.shape)} {v.array.dtype}"

    def _name(self, vid):
        name = self.names.get(vid)
        if name is None:
            v = self.values[vid]
            if v.kind == "const":
                self.temps += 1
                name = f"c{self.temps}"
                self.namespace[name] = v.array
            elif v.kind == "ext":
                self.temps += 1
                name = f"a{self.temps}"
            else:  # g for what a backward computes (a gradient on its way back, as in the ops' docstrings)
                self.temps += 1
                node = self.rec.nodes[v.info] if v.kind == "op" else None
                where = node.where if node is not None else ""
                hint = _HINTS.get((where, node.fn[0].__name__ if node is not None and node.kind == "ufunc" else None))
                name = hint if hint and hint not in self.names.values() else \
                    f"{'g' if '.backward' in where else 't'}{self.temps}"
            self.names[vid] = name
        v = self.values[vid]
        if v.kind in ("ext",) and name not in self.namespace:
            self.namespace[name] = np.ndarray.view(v.array, np.ndarray)
        if v.kind == "const" and name not in self.namespace:
            self.namespace[name] = v.array
        return name

    def _statement(self, node):
        if node.kind == "guard":
            return self._guard(node)
        if node.writes is not None:
            return self._write(node)
        text, _ = self._expr(node)
        name = self._name(node.out)
        if node.shape == () and node.dtype is not None and self._root(node.out) in self._written_roots(self.nodes):
            text = f"np.asarray({text})"  # an in-place target must be an array, not a NumPy scalar
        return f"{name} = {text}"

    def _guard(self, node):
        x, _ = self._arg(node.args[0], 0)
        expected = node.kwargs["expected"]
        label = node.where or "a branch of the step"
        if node.fn == "bool":
            cond = f"not ({x})" if expected else x
            if self.values[node.args[0].id].kind == "op" and self.rec.nodes[self.values[node.args[0].id].info].kind \
                    in ("ufunc", "method", "func", "getitem"):
                cond = f"bool({x}) is not {expected!r}"
        else:
            call = {"int": "int", "index": "operator.index", "item": None, "float": "float"}[node.fn]
            item_args = ", ".join(self._arg(a, 0)[0] for a in node.args[1:])
            value = f"{x}.item({item_args})" if call is None else f"{call}({x})"
            if call == "operator.index":
                self.namespace["operator"] = __import__("operator")
            cond = f"{value} != {expected!r}"
        return f"if {cond}: raise Changed({label!r})"

    def _write(self, node):
        if node.kind == "ufunc" and node.fn[1] == "__call__" and "out" in node.kwargs and len(node.kwargs) == 1:
            name = node.fn[0].__name__
            target = node.kwargs["out"][0]
            if name in _BINARY and len(node.args) == 2 and isinstance(node.args[0], Ref) \
                    and isinstance(target, Ref) and node.args[0].id == target.id:
                op, prec = _BINARY[name]
                right, _ = self._arg(node.args[1], prec + 1)
                return f"{self._arg(target, _ATOM)[0]} {op}= {right}"
        if node.kind == "setitem":
            return f"{self._arg(node.args[0], _ATOM)[0]}[{self._index(node.args[1])}] = {self._arg(node.args[2], 0)[0]}"
        in_place = self._copy_in_place(node)
        if in_place is not None:
            return in_place
        return self._expr(node)[0]

    def _copy_in_place(self, node):
        """``np.copyto(dst, f(a, b))`` as ``np.f(a, b, out=dst)`` (``dst += b`` when f is + and a is dst), or None.

        The same ufunc on the same operands: only where its result goes changes.  It holds when f's
        result, used nowhere else, has dst's shape and dtype (so copyto neither broadcasts nor casts),
        and f is the last operation: its operands are all computed before it writes into dst."""
        if not (node.kind == "func" and node.fn is np.copyto and len(node.args) == 2
                and set(node.kwargs) <= {"casting"} and all(isinstance(a, Ref) for a in node.args)):
            return None
        dst, value = node.args
        if value.id not in self.operands or value.id not in self.exprs:
            return None
        source = self.rec.nodes[self.values[value.id].info]
        if source.fn[0].signature is not None:   # a generalized ufunc (matmul): its out= may not alias an input
            return None
        if source.dtype is None or (source.shape, np.dtype(source.dtype)) != self._meta(dst.id):
            return None
        del self.exprs[value.id]
        name, texts = self.operands.pop(value.id)
        target = self._arg(dst, _ATOM)[0]
        if name in _IN_PLACE and isinstance(source.args[0], Ref) and source.args[0].id == dst.id:
            return f"{target} {_BINARY[name][0]}= {texts[1]}"
        return f"np.{name}({', '.join(texts)}, out={target})"

    def _meta(self, vid):
        """(shape, dtype) of a value."""
        v = self.values[vid]
        if v.kind == "op":
            node = self.rec.nodes[v.info]
            return node.shape, np.dtype(node.dtype)
        return np.shape(v.array), np.asarray(v.array).dtype

    def _arg(self, x, prec):
        """The text of an argument, in parentheses if its precedence is below ``prec``."""
        if isinstance(x, Ref):
            if x.id in self.exprs:
                text, p = self.exprs.pop(x.id)
                return (f"({text})", _ATOM) if p < prec else (text, p)
            return self._name(x.id), _ATOM
        if isinstance(x, tuple):
            inner = ", ".join(self._arg(i, 0)[0] for i in x)
            return (f"({inner},)" if len(x) == 1 else f"({inner})"), _ATOM
        if isinstance(x, list):
            return "[" + ", ".join(self._arg(i, 0)[0] for i in x) + "]", _ATOM
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k!r}: {self._arg(v, 0)[0]}" for k, v in x.items()) + "}", _ATOM
        if isinstance(x, np.dtype):
            return (f"np.{x.name}" if getattr(np, x.name, None) is not None and np.dtype(getattr(np, x.name)) == x
                    else f"np.dtype({x.str!r})"), _ATOM
        if isinstance(x, type) and x.__module__ == "numpy":
            return f"np.{x.__name__}", _ATOM
        if isinstance(x, slice):
            return f"slice({self._arg(x.start, 0)[0]}, {self._arg(x.stop, 0)[0]}, {self._arg(x.step, 0)[0]})", _ATOM
        if isinstance(x, float) and not np.isfinite(x):
            return f"float({str(x)!r})", _ATOM
        if isinstance(x, (float, int)) and not isinstance(x, bool) and x < 0:
            return repr(x), 13
        if isinstance(x, np.generic):  # made once, above the function: a call to np.float32 costs each time
            key = (x.dtype.str, x.tobytes())
            if key not in self.scalars:
                text = (f"np.{x.dtype.name}({str(x)!r})" if isinstance(x, np.floating) and not np.isfinite(x)
                        else repr(x))
                self.temps += 1
                self.scalars[key] = f"c{self.temps}"
                self.scalar_lines.append(f"{self.scalars[key]} = {text}")
            return self.scalars[key], _ATOM
        return repr(x), _ATOM

    def _index(self, index):
        parts = index if isinstance(index, tuple) else (index,)
        texts = []
        for p in parts:
            if isinstance(p, slice):
                bits = ["" if b is None else self._arg(b, 0)[0] for b in (p.start, p.stop, p.step)]
                texts.append(":".join(bits[:2]) + (f":{bits[2]}" if bits[2] else ""))
            elif p is Ellipsis:
                texts.append("...")
            else:
                texts.append(self._arg(p, 0)[0])
        if isinstance(index, tuple) and len(index) == 1:
            return texts[0] + ","
        return ", ".join(texts) if texts else "()"

    def _call(self, prefix, args, kwargs):
        parts = [self._arg(a, 0)[0] for a in args]
        parts += [f"{k}={self._arg(v, 0)[0]}" for k, v in kwargs.items()]
        return f"{prefix}({', '.join(parts)})", _ATOM

    def _expr(self, node):
        """(text, precedence) of the call ``node`` makes."""
        kind, args, kwargs = node.kind, node.args, node.kwargs
        if kind == "ufunc":
            ufunc, method = node.fn
            name = ufunc.__name__
            if method == "__call__" and not kwargs and len(args) == ufunc.nin:
                if name in _BINARY and len(args) == 2:
                    op, prec = _BINARY[name]
                    left, right = self._arg(args[0], prec)[0], self._arg(args[1], prec + 1)[0]
                    if getattr(np, name, None) is ufunc and node.out is not None:
                        self.operands[node.out] = (name, [left, right])
                    return f"{left} {op} {right}", prec
                if name in _UNARY:
                    op, prec = _UNARY[name]
                    return f"{op}{self._arg(args[0], prec)[0]}", prec
            prefix = f"np.{name}" if getattr(np, name, None) is ufunc else self._fn(ufunc)
            if method == "__call__" and not kwargs and prefix == f"np.{name}" and node.out is not None:
                texts = [self._arg(a, 0)[0] for a in args]
                self.operands[node.out] = (name, texts)
                return f"{prefix}({', '.join(texts)})", _ATOM
            return self._call(prefix if method == "__call__" else f"{prefix}.{method}", args, kwargs)
        if kind == "func":
            return self._call(f"np.{node.fn.__name__}" if getattr(np, node.fn.__name__, None) is node.fn
                              else self._fn(node.fn), args, kwargs)
        if kind == "method":
            obj, _ = self._arg(args[0], _ATOM)
            if node.fn in ("T", "mT"):
                return f"{obj}.{node.fn}", _ATOM
            return self._call(f"{obj}.{node.fn}", args[1:], kwargs)
        if kind == "getitem":
            return f"{self._arg(args[0], _ATOM)[0]}[{self._index(args[1])}]", _ATOM
        if kind == "read":
            x = self._arg(args[0], _ATOM)[0]
            return (f"{x}.item()" if node.fn == "item" else f"float({x})"), _ATOM
        if kind == "scalar":
            name = node.fn
            if name in ("neg", "pos"):
                return f"{'-' if name == 'neg' else '+'}{self._arg(args[0], 13)[0]}", 13
            if name == "abs":
                return f"abs({self._arg(args[0], 0)[0]})", _ATOM
            a, b = args
            if name in _PY_REVERSED:
                name, a, b = _PY_REVERSED[name], b, a
            op, prec = _PY_BINARY[name]
            if op == "**":  # right-associative, and binds tighter than a unary minus on its left
                return f"{self._arg(a, prec + 1)[0]} ** {self._arg(b, prec)[0]}", prec
            return f"{self._arg(a, prec)[0]} {op} {self._arg(b, prec + 1)[0]}", prec
        raise AssertionError(f"unknown node kind {kind}")

    def _fn(self, fn):
        """The program's name for a function NumPy does not export (a ``np.frompyfunc`` ufunc, a user's function):
        an identifier made from its ``__name__`` ('erf (vectorized)' → _erf_vectorized), unique in the program."""
        base = "_" + ("_".join(re.findall(r"\w+", getattr(fn, "__name__", "")) or ["fn"]))
        name, k = base, 1
        while self.namespace.get(name, fn) is not fn:
            k += 1
            name = f"{base}{k}"
        self.namespace[name] = fn
        return name
