"""Optimizers: `SGD` (with momentum) and `Adam`, updating `Value` parameters in place.

As in PyTorch: build one from ``model.parameters()``, then per batch call
``zero_grad()``, compute the loss, ``loss.backward()``, ``step()``. ``step()``
changes each parameter's ``data`` only (the parameter stays the same leaf
object, label and all) and runs under `no_grad`, so an update never becomes
part of a graph.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from tinygrad_lite.checks import number_in
from tinygrad_lite.value import Value, no_grad


class Optimizer:
    """Holds the parameters; subclasses define ``_update(index, parameter)``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        parameters = list(params)
        if not parameters:
            raise ValueError("optimizer got an empty parameter list")
        seen: set[Value] = set()
        for position, parameter in enumerate(parameters):
            if not isinstance(parameter, Value):
                raise TypeError(
                    f"optimizer parameters must be Values, item {position} is "
                    f"{type(parameter).__qualname__}"
                )
            if parameter in seen:
                raise ValueError(f"parameter {position} ({parameter.label!r}) appears twice")
            seen.add(parameter)
        self.params = parameters
        self.lr = number_in("lr", lr, 0.0, math.inf, high_open=True)
        self.steps = 0
        """How many times ``step()`` has run."""

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (call before each backward pass)."""
        for parameter in self.params:
            parameter.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``grad``."""
        self.steps += 1
        # Updates read .data and .grad as floats; no_grad keeps any Value arithmetic
        # a subclass might use out of the next graph.
        with no_grad():
            for index, parameter in enumerate(self.params):
                self._update(index, parameter)

    def _update(self, index: int, parameter: Value) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (PyTorch's formulation)::

        v = momentum * v + grad      (v = grad on the first step)
        w = w - lr * v

    With ``momentum=0`` this is ``w = w - lr * grad``. On the seed's loss
    ``0.5 * sum((y - y_pred)**2)``, ``grad = -dW`` for the seed's ``dW``, so the
    step is the seed's ``W += lr * dW``.
    """

    def __init__(self, params: Iterable[Value], lr: float = 0.01, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = number_in("momentum", momentum, 0.0, 1.0, high_open=True)
        self.velocity: list[float | None] = [None] * len(self.params)

    def _update(self, index: int, parameter: Value) -> None:
        step = parameter.grad
        if self.momentum != 0.0:
            previous = self.velocity[index]
            step = step if previous is None else self.momentum * previous + step
            self.velocity[index] = step
        parameter.data -= self.lr * step


class Adam(Optimizer):
    """Adam (Kingma & Ba), with bias correction, as PyTorch computes it. At step t::

    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    w = w - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = number_in("betas[0]", betas[0], 0.0, 1.0, high_open=True)
        self.beta2 = number_in("betas[1]", betas[1], 0.0, 1.0, high_open=True)
        self.eps = number_in("eps", eps, 0.0, math.inf, high_open=True)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _update(self, index: int, parameter: Value) -> None:
        g = parameter.grad
        t = self.steps
        self.m[index] = m = self.beta1 * self.m[index] + (1.0 - self.beta1) * g
        self.v[index] = v = self.beta2 * self.v[index] + (1.0 - self.beta2) * g * g
        m_hat = m / (1.0 - self.beta1**t)
        v_hat = v / (1.0 - self.beta2**t)
        parameter.data -= self.lr * m_hat / (math.sqrt(v_hat) + self.eps)
