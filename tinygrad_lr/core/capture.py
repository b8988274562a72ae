"""The recorder hook: how ``tinygrad_lr.compile`` watches one eager call of a training step.

``recorder`` is None, except while the compiler (``tinygrad_lr/jit``) records an eager call.
Then the core asks it for a tensor's array at the few places where one is read to be computed
with: ``Function.apply`` (an op's inputs), ``inplace`` (an optimizer's update), ``engine.accumulate``
and ``internal.values`` / ``internal.clear_grad``.  The recorder lends the tensor a *tracing view*
of the same memory (an ndarray subclass that notes every NumPy call made on it, see
``jit/trace.py``), and every later read of that tensor gets the view too.  Nothing of the math
changes: the same NumPy calls run on the same memory, in the same order.

Why here and not in each primitive: the primitives' forward and backward stay plain NumPy, read
by learners; the recorder needs only to see the arrays going in.  On the eager path the whole
cost of the hook is one test of a module global per op.
"""
recorder = None  # set by tinygrad_lr.jit for the length of one recorded call
_lent = []       # (tensor, its own array, the view lent to it), to give back at the end


def read(t, grad_of=None):
    """``t``'s array as the recorder wants it seen (``grad_of``: the tensor whose ``.grad`` t is)."""
    array = t._data
    view = recorder.lend(t, array, grad_of)
    if view is not array:
        _lent.append((t, array, view))
        t._data = view
    return view


def as_array(array):
    """``np.asarray`` of what plain NumPy would have as a NumPy scalar (a full sum), which the recorder holds
    as a 0-d tracing array: the core calls it where it turns a NumPy scalar into an array.  (The recorder
    may have stopped during the op's forward, on a call it cannot record: then the array stays plain.)"""
    return array if recorder is None else recorder.as_array(array)


def read_all(*tensors):
    """``read`` each of the tensors among the arguments (an in-place op's target and operands)."""
    for t in tensors:
        if hasattr(t, "_vc"):
            read(t)


def refuse(reason):
    """The core is about to do what the recorder cannot replay (a write into a tensor's memory that the graph
    records, see views.py): the rest of the call runs eagerly, and the step stays eager, saying why."""
    recorder.fail(reason)


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
