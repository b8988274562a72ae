"""The guards of a program: what must still hold for a recorded program to stand in for the step.

A program reads its parameters, buffers and optimizer state by reference and bakes in everything
else the recording saw, so before it runs, ``Guards.ok()`` checks (one generated function, about a
microsecond) that everything the step reads (``world.py``: a closure variable, a global, a key of a
dict, an attribute of ``self`` or of a module) still gives the same module, optimizer, tensor or other
object, or the same number, string or boolean, and that dicts and lists have the same length; that
each tensor still holds the same array; that requires_grad, ``.grad`` being None or not,
train()/eval() and the param groups' settings other than lr are as recorded.  ``fail()`` says which
guard failed.  (Guards on values, a branch the library takes on one, are the program's own:
``program.py`` raises ``Changed`` for them before it writes anything.)
"""
from ..core import Tensor, internal
from ..core.grad_mode import is_grad_enabled


class Guards:
    """What must still hold for a program to be run, as one generated function (cheap to call)."""

    def __init__(self, r, program):
        ns, conds, labels = {"values": internal.values, "is_grad_enabled": is_grad_enabled}, [], []

        named = {}

        def obj(x):
            name = named.get(id(x))
            if name is None:
                name = named[id(x)] = f"o{len(ns)}"
                ns[name] = x
            return name

        world = r.world
        for read in world.reads:  # what the step reads (world.py): names, keys, attributes, settings, lengths
            conds.append(read.source(obj))
            labels.append(read.describe())
        for mname, m in world.modules:
            for sub in m.modules():
                conds.append(f"{obj(sub)}.training is {sub.training!r}")
                labels.append("train()/eval() was switched")
        for opt in world.optimizers:
            conds.append(f"len({obj(opt)}.param_groups) == {len(opt.param_groups)}")
            labels.append("the optimizer's param groups changed")
            for group in opt.param_groups:
                g = obj(group)
                conds.append(f"len({g}['params']) == {len(group['params'])}")
                labels.append("a param group's parameters changed")
                for i, p in enumerate(group["params"]):
                    conds.append(f"{g}['params'][{i}] is {obj(p)}")
                    labels.append("a param group's parameters changed")
                same = []   # the settings compared by value (one tuple)
                for k, v in group.items():
                    if k == "params":
                        continue
                    if k == "lr" and type(v) in (float, int):
                        conds.append(f"type({g}['lr']) in (float, int)")
                        labels.append("the learning rate is not a number any more")
                    elif v is None or isinstance(v, (bool, int, float, str, tuple)):
                        same.append((k, v))
                    else:
                        conds.append(f"{g}[{k!r}] is {obj(v)}")
                        labels.append(f"the optimizer's setting {k!r} changed")
                if same:
                    keys = "".join(f"{g}[{k!r}], " for k, _ in same)
                    conds.append(f"({keys}) == {obj(tuple(v for _, v in same))}")
                    labels.append("the optimizer's settings (" + ", ".join(k for k, _ in same) + ") changed")
            for p, state in opt.state.items():
                s = obj(state)
                conds.append(f"{obj(opt)}.state[{obj(p)}] is {s}")
                labels.append("the optimizer's state was replaced")
                for k, v in state.items():
                    if isinstance(v, Tensor):
                        conds.append(f"{s}[{k!r}] is {obj(v)}")
                        labels.append("the optimizer's state was replaced")
        seen = set()
        for vid, v in program.values.items():
            if v.kind == "ext" and v.tensor is not None and id(v.tensor) not in seen:
                seen.add(id(v.tensor))
                conds.append(f"values({obj(v.tensor)}) is {obj(v.array)}")
                labels.append("a tensor the program uses was given another array (resized or replaced)")
        for t, (grad_none, requires_grad) in zip(world.tensors, r.start):
            conds.append(f"{obj(t)}.requires_grad is {requires_grad!r}")
            labels.append("requires_grad was switched")
            if t.grad_fn is not None:  # computed by an op: no .grad of its own
                continue
            conds.append(f"({obj(t)}.grad is None) is {grad_none!r}")
            labels.append(".grad was None in the recording and is not now (or the other way)")
        known = {id(t) for t in world.tensors}
        for kind, info in [(k, i) for k, i in program_inputs(r)]:
            if kind == "grad" and id(info) not in known:   # (the others' .grad is guarded above)
                conds.append(f"{obj(info)}.grad is not None")
                labels.append("a gradient the program adds to is None")
        self.ns, self.conds, self.labels = ns, conds, labels
        source = ("def ok():\n    try:\n        return (" + " and\n                ".join(conds or ["True"]) + ")\n"
                  "    except (LookupError, AttributeError, TypeError, ValueError):  # a key, entry or name is gone\n"
                  "        return False\n")
        exec(source, ns)
        self.ok = ns["ok"]

    def fail(self):
        """None if every guard holds, else what changed."""
        if self.ok():
            return None
        for cond, label in zip(self.conds, self.labels):
            try:
                if not eval(cond, self.ns):
                    return label
            except (LookupError, AttributeError, TypeError, ValueError):
                return label
        return "a guard failed"


def program_inputs(r):
    return [(v.kind, v.info) for v in r.rec.values.values() if v.kind in ("grad",)]
