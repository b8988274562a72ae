"""The seam between the core and ``tinygrad_lr.compile``: the few points at which the core tells a watching
recorder what it is doing.

``recorder`` is None, except while ``tinygrad_lr.compile`` (``tinygrad_lr/jit``) records one eager call of a
training step.  At each named point below, the core tests that one module global — on the eager path the
whole cost of the seam is that test — and, when a recorder watches, calls the function of this module
named for the point:

==========================  ============================  ===================================================
point                       called by                     what the recorder is told
==========================  ============================  ===================================================
``apply(cls, args, raw)``   ``Function.apply``            an op of class ``cls`` is applied to ``args``: the
                                                          forward it returns runs ``cls.forward`` as that op
``backward(node, g)``       ``engine.step``               a backward step: ``type(node).backward`` runs
``accumulate(t)``           ``engine.accumulate``         a gradient is about to be put into ``t.grad``
``clear(grad, t)``          ``internal.clear_grad``       ``t.grad`` is zeroed in place (``zero_grad``)
``inplace(op, x)``          ``ops/inplace.py``            the in-place op ``op`` (``'add_'`` ...) changes x
``values(t)``               ``internal.values``           a layer above the core reads t's array
``hand_out(t)``             ``Tensor.numpy``              t's array leaves for code nobody watches: the
                                                          recorder stops, and the step stays eager
==========================  ============================  ===================================================

What the recorder does with them: it *lends* each tensor the core computes with a tracing view of the
same memory (an ndarray subclass that notes every NumPy call made on it, ``jit/trace.py``), so the same
NumPy calls run on the same memory in the same order, and nothing of the math changes; and it labels the
calls it notes with the point they come from (``Linear.forward``, ``Linear.backward``, ``zero_grad``).  It
never looks at the call stack, at file names or at docstrings: what an op is, it learns from the class
passed here.

Why here and not in each primitive: the primitives' forward and backward stay plain NumPy, read by
learners; the recorder needs only to see the arrays go in, and to be told which op they go into.

A recorder is any object with the methods these functions call: ``lend(t, array, grad_of, library)``,
``handed_on(x)``, ``op(cls)``, ``enter(kind, label)``, ``leave()``, ``point(kind, what)`` and
``fail(reason)`` (``jit/trace.py``'s ``Recorder`` documents each).
"""
recorder = None  # set by tinygrad_lr.jit for the length of one recorded call
_lent = []       # (tensor, its own array, the view lent to it), to give back at the end


# ---- the points the core calls (only while a recorder watches) ------------------------------------------------
def apply(cls, args, raw):
    """``Function.apply``: an op of class ``cls`` runs on ``args``.  Each tensor among them is lent a view (in
    ``raw`` too, which holds forward's arguments); returns the forward to call: ``cls.forward``, run as this op."""
    rec = recorder
    if not rec.op(cls):  # the recorder cannot replay this op: it stopped, and the op runs eagerly
        return cls.forward
    for i, a in enumerate(args):
        if hasattr(a, "_vc"):  # a Tensor (this module imports nothing of the core)
            raw[i] = lend(a)

    def forward(ctx, *arrays, **kwargs):
        rec.enter("forward", cls.__name__ + ".forward")
        try:
            result = out = cls.forward(ctx, *arrays, **kwargs)
            if recorder is rec:  # (unless it stopped inside forward)
                out = rec.handed_on(result)  # a NumPy scalar's stand-in becomes a 0-d array, as apply makes it
        finally:
            rec.leave()
        if out is not result and ctx._to_save:  # ... and what forward saved of it is that array, as in eager
            ctx._to_save = tuple(out if s is result else s for s in ctx._to_save)
        return out
    return forward


def backward(node, g):
    """``engine.step``: node's backward runs on g = ∂L/∂output; returns what it returns, as the engine takes it."""
    rec = recorder
    rec.enter("backward", type(node).__name__ + ".backward")
    try:
        returned = node.backward(node, g)
        if recorder is rec:  # (unless it stopped inside backward) a NumPy scalar's stand-in: a 0-d array
            returned = tuple(map(rec.handed_on, returned)) if type(returned) is tuple else rec.handed_on(returned)
    finally:
        rec.leave()
    if recorder is rec:
        rec.point("backward", type(node).__name__ + ".backward")  # the engine's share: summing back to a shape
    return returned


def accumulate(t):
    """``engine.accumulate``: a gradient goes into ``t.grad``; returns ``t.grad`` (lent a view) or None."""
    recorder.point("grad")
    if t._grad is not None:
        lend(t._grad, t)
    return t._grad


def clear(grad, t):
    """``internal.clear_grad``: ``grad`` (t's ``.grad``) is zeroed in place; returns its array, lent."""
    recorder.point("clear")
    return lend(grad, t)


def inplace(op, x):
    """``ops/inplace.py``: the in-place op ``op`` changes x's values; x is lent a view."""
    recorder.point("inplace", op)
    lend(x)


def values(t):
    """``internal.values``: a layer above the core (a loss checking its targets ...) reads t's array.  It gets a
    *library* view: what the library reads from it is the library's (a guard), not your step's."""
    lend(t)
    return recorder.lend(t, t._data, None, True)


def hand_out(t):
    """``Tensor.numpy``: t's array leaves for code the recorder cannot watch, so it stops."""
    recorder.fail("the step reads a tensor's values (.numpy())")
    return t._data


# ---- lending, and giving back (for the recorder) ----------------------------------------------------------------
def lend(t, grad_of=None):
    """Put the view the recorder lends ``t`` behind it, and return it (``grad_of``: the tensor whose ``.grad`` t is)."""
    array = t._data
    view = recorder.lend(t, array, grad_of, False)
    if view is not array:
        _lent.append((t, array, view))
        t._data = view
    return view


def give_back():
    """End of a recording: every tensor that was lent a view gets its own array back.

    Returns the tensors whose array was replaced meanwhile (``p.data = ...`` inside the step).
    """
    replaced = []
    for t, array, view in reversed(_lent):
        if t._data is view:
            t._data = array
        else:
            replaced.append(t)
    _lent.clear()
    return replaced


def settle(t, array):
    """Put ``array`` (the same memory as a tracing array made in the recorded call) behind ``t``."""
    t._data = array
