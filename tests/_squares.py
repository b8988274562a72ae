"""Two custom Functions the gradient checkers' tests share: y = x², with the right backward and without its 2."""
from tinygrad_lr.autograd import Function


class Square(Function):
    """out = x²        ∂L/∂x = g · 2x"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2 * x


class SquareNo2(Function):
    """out = x²        ∂L/∂x = g · x   (wrong: the 2 is missing)"""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x
