"""Gradient checks: autograd against finite differences and against the NumPy reference.

* `gradcheck(f, inputs)`: every d f / d input from autograd against a central
  difference, like ``torch.autograd.gradcheck``, with a per-input report.
* `gradgradcheck(f, inputs)`: every second derivative d2 f / d xi d xj from
  ``grad(..., create_graph=True)`` against central differences of the
  autograd first derivatives.
* `central_difference(f, x)`: a vectorised central difference *with an error
  bound*, for tests that want a tolerance derived from the numbers rather than
  chosen by hand.
* `assert_grads_close` and `assert_matches_reference`: comparisons whose
  failure message shows the expression, the inputs and both gradients.

Default tolerances (``eps=1e-6, atol=1e-5, rtol=1e-3``, PyTorch's): a central
difference with step h is off by about ``h**2 * |f'''| / 6`` (truncation) plus
``u * |f| / h`` (rounding, u = 1.1e-16), i.e. around 1e-10 for functions of
moderate size at h = 1e-6; a wrong derivative formula is typically off by
order one. The gap between the two is where the tolerances sit, so that a
check neither cries wolf nor lets a wrong formula through.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tinygrad_lite.autograd_machinery import GraphWarning
from tinygrad_lite.checks import finite_number, number_in
from tinygrad_lite.naming import input_name, leaf_name
from tinygrad_lite.testing.formula import formula
from tinygrad_lite.testing.numpy_graph import UNIT_ROUNDOFF, to_numpy
from tinygrad_lite.testing.reference import Array, numpy_errors_ignored
from tinygrad_lite.value import Value
from tinygrad_lite.value import grad as value_grad

DEFAULT_EPS = 1e-6
DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-3


class GradcheckError(AssertionError):
    """A gradient check failed; ``rows`` holds every compared derivative."""

    def __init__(self, message: str, rows: Sequence[DerivativeCheck]) -> None:
        super().__init__(message)
        self.rows = list(rows)


@dataclass(frozen=True)
class DerivativeCheck:
    """One compared derivative.

    Attributes:
        name: which derivative, e.g. ``"d f/d x0"``.
        analytic: the value from autograd.
        numeric: the value from central differences (or the reference).
        tolerance: the largest difference accepted.
    """

    name: str
    analytic: float
    numeric: float
    tolerance: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        scale = abs(self.numeric)
        return self.abs_error / scale if scale > 0 else (0.0 if self.abs_error == 0 else math.inf)

    @property
    def ok(self) -> bool:
        if math.isnan(self.analytic) or math.isnan(self.numeric):
            return False
        if self.analytic == self.numeric:  # equal infinities
            return True
        return self.abs_error <= self.tolerance


def _table(rows: Sequence[DerivativeCheck], analytic: str, numeric: str) -> str:
    width = max(len("derivative"), *(len(r.name) for r in rows))
    lines = [
        f"  {'derivative':<{width}}  {analytic:>24}  {numeric:>24}  {'abs error':>9}"
        f"  {'rel error':>9}  {'tolerance':>9}"
    ]
    for r in rows:
        mark = "" if r.ok else "  <-- mismatch"
        lines.append(
            f"  {r.name:<{width}}  {r.analytic!r:>24}  {r.numeric!r:>24}  {r.abs_error:9.2e}"
            f"  {r.rel_error:9.2e}  {r.tolerance:9.2e}{mark}"
        )
    return "\n".join(lines)


def _leaves(inputs: Sequence[float | Value], shift: int = -1, by: float = 0.0) -> list[Value]:
    values: list[Value] = []
    for i, x in enumerate(inputs):
        label = leaf_name(x, i) if isinstance(x, Value) else input_name(i)
        data = float(x.data if isinstance(x, Value) else x)
        values.append(Value(data + by if i == shift else data, label))
    return values


def _call(f: Callable[..., Value], leaves: Sequence[Value]) -> Value:
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"the checked function must return a Value, got {type(out).__qualname__}")
    return out


def _gradient(out: Value, leaves: Sequence[Value], *, create_graph: bool = False) -> list[Value]:
    """d out / d leaf for every leaf, also when ``out`` is a leaf or a constant itself
    (no graph to walk: 1 for the leaf it is, 0 for the others)."""
    if out.is_leaf:
        return [Value(1.0 if leaf is out else 0.0) for leaf in leaves]
    return value_grad(out, list(leaves), create_graph=create_graph)


def _first_derivatives(f: Callable[..., Value], leaves: Sequence[Value]) -> list[float]:
    return [g.data for g in _gradient(_call(f, leaves), leaves)]


def _compared(
    name: str,
    analytic: float,
    up: float,
    down: float,
    leaf: Value,
    eps: float,
    atol: float,
    rtol: float,
) -> DerivativeCheck:
    """``analytic`` against the central difference ``(up - down) / step``, where ``up`` and
    ``down`` were computed at ``leaf.data +- eps`` and ``step`` is the step actually taken
    after rounding ``leaf.data +- eps``; tolerance ``atol + rtol * |numeric|``."""
    step = (leaf.data + eps) - (leaf.data - eps)
    numeric = (up - down) / step
    return DerivativeCheck(name, analytic, numeric, atol + rtol * abs(numeric))


def _check_inputs(inputs: Sequence[float | Value], eps: float, atol: float, rtol: float) -> None:
    if len(inputs) == 0:
        raise ValueError("gradcheck needs at least one input")
    for i, x in enumerate(inputs):
        data = x.data if isinstance(x, Value) else x
        if not isinstance(data, (int, float)) or isinstance(data, bool):
            raise TypeError(f"input {i} must be a float or a Value, got {type(x).__qualname__}")
        if not math.isfinite(data):
            raise ValueError(f"input {i} is {data!r}: finite differences need finite inputs")
    finite_number("eps", eps, minimum=0.0, strict=True)
    number_in("atol", atol, 0.0, math.inf)
    number_in("rtol", rtol, 0.0, math.inf)


def _setup(
    f: Callable[..., Value], inputs: Sequence[float | Value], eps: float, atol: float, rtol: float
) -> tuple[list[Value], Value]:
    """What both checks start with: check the arguments, make one leaf per input at the
    point (labelled), and evaluate ``f`` there."""
    _check_inputs(inputs, eps, atol, rtol)
    leaves = _leaves(inputs)
    return leaves, _call(f, leaves)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float | Value],
    *,
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    raise_exception: bool = True,
) -> bool:
    """Check d f / d input for every input: autograd against central differences.

    ``f`` takes one `Value` per input and returns a `Value`. For input i the
    numeric derivative is ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``
    (the step actually taken, after rounding ``x +- eps``, is used). A
    derivative passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
    On failure raises `GradcheckError` listing every input (name, analytic,
    numeric, abs and relative error), or returns False if ``raise_exception``
    is false. Inputs are named by their label when they are labelled Values,
    else ``x0, x1, ...``.
    """
    leaves, out = _setup(f, inputs, eps, atol, rtol)
    analytic = [g.data for g in _gradient(out, leaves)]
    rows = []
    for i, leaf in enumerate(leaves):
        up = _call(f, _leaves(inputs, i, eps)).data
        down = _call(f, _leaves(inputs, i, -eps)).data
        rows.append(_compared(f"d f/d {leaf.label}", analytic[i], up, down, leaf, eps, atol, rtol))
    return _verdict(rows, "gradcheck", out, leaves, eps, atol, rtol, raise_exception)


def gradgradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float | Value],
    *,
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    raise_exception: bool = True,
) -> bool:
    """Check every second derivative d2 f / d xi d xj (the Hessian).

    The analytic value differentiates the graph of ``grad(f, inputs,
    create_graph=True)[i]`` again; the numeric one is a central difference of
    the autograd first derivative ``d f / d xi`` in the direction of xj.
    Passing rule, report and tolerances as in `gradcheck`.
    """
    leaves, out = _setup(f, inputs, eps, atol, rtol)
    first = _gradient(out, leaves, create_graph=True)
    rows = []
    # the whole gradient at x + eps e_j and x - eps e_j: column j of the numeric Hessian
    shifted_up = [_first_derivatives(f, _leaves(inputs, j, eps)) for j in range(len(leaves))]
    shifted_down = [_first_derivatives(f, _leaves(inputs, j, -eps)) for j in range(len(leaves))]
    for i, derivative in enumerate(first):
        second = [g.data for g in _gradient(derivative, leaves)]
        for j, leaf in enumerate(leaves):
            name = f"d2 f/d {leaves[i].label} d {leaf.label}"
            up, down = shifted_up[j][i], shifted_down[j][i]
            rows.append(_compared(name, second[j], up, down, leaf, eps, atol, rtol))
    return _verdict(rows, "gradgradcheck", out, leaves, eps, atol, rtol, raise_exception)


def _verdict(
    rows: list[DerivativeCheck],
    check: str,
    out: Value,
    leaves: Sequence[Value],
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
) -> bool:
    failed = [r for r in rows if not r.ok]
    if not failed:
        return True
    if not raise_exception:
        return False
    message = (
        f"{check} failed for {len(failed)} of {len(rows)} derivatives of\n"
        f"  f = {_indent(formula(out, leaves))}\n"
        f"at {_point(leaves)}\n"
        f"(central differences with eps={eps!r}; a derivative passes when "
        f"|analytic - numeric| <= atol + rtol*|numeric|, atol={atol!r}, rtol={rtol!r})\n"
        + _table(rows, "analytic (autograd)", "numeric (central diff)")
    )
    raise GradcheckError(message, rows)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


# ---------------------------------------------------------------- central differences with a bound


@dataclass(frozen=True)
class FiniteDifference:
    """A central-difference derivative estimate with a bound on its error.

    Attributes:
        estimate: ``(f(x + h) - f(x - h)) / 2h`` for each input direction.
        error_bound: bound on ``|estimate - f'(x)|`` (see `central_difference`).
        step: the step h used for each input.
    """

    estimate: Array
    error_bound: Array
    step: Array


def central_difference(
    f: Callable[..., Array],
    x: Sequence[float],
    *,
    evaluation_error: float | Callable[..., Array] = 0.0,
    step: float | None = None,
) -> FiniteDifference:
    """Central differences of a vectorised ``f`` at point ``x``, with an error bound.

    ``f`` takes one array per coordinate (one entry per sample) and returns one
    array; all 4n + 1 points are evaluated in one call. With
    ``h = u**(1/3) * max(1, |x_i|)`` (u = 2**-53; the step that balances the
    truncation and rounding errors below) and ``D(h) = (f(x+) - f(x-)) / (x+ - x-)``
    where ``x+-`` are the shifted coordinates as actually rounded:

    * truncation: ``D(h) - f' = h**2 f'''/6 + O(h**4)``, so
      ``D(2h) - D(h) = 3 * (h**2 f'''/6)`` and the truncation error is estimated
      from the data as ``|D(2h) - D(h)| / 3`` (Richardson);
    * rounding of f: ``evaluation_error`` bounds the error of each evaluation of f,
      either one number or, better, a vectorised function of the points like f
      (e.g. ``to_numpy(...).forward_error_bound``: the error can be much larger at
      the shifted points than at x). D(h) is then off by at most
      ``R(h) = (E(x+) + E(x-)) / (x+ - x-)``, the Richardson estimate by
      ``(R(h) + R(2h)) / 3``;
    * rounding of the shifted points: D(h) is centred on ``m = (x+ + x-) / 2``,
      not exactly on x (for ``|x| << h``, ``x + h`` rounds to ``h`` and m = 0), which
      moves it by ``f'' * (m - x)``; f'' is estimated by the second difference
      ``S = (f(x+) - 2 f(x) + f(x-)) / h**2``, itself off by at most
      ``(E(x+) + 2 E(x) + E(x-)) / h**2``.

    ``error_bound = 2 * (|D(2h) - D(h)| / 3 + R(h) + (R(h) + R(2h)) / 3 + |S| |m - x|)``
    (S with its error bound); the factor 2 covers the O(h**4) and second-order
    terms the estimates leave out.
    """
    point = np.asarray(x, dtype=np.float64)
    n = point.size
    base_steps = np.full(n, UNIT_ROUNDOFF ** (1.0 / 3.0)) if step is None else np.full(n, step)
    base_steps = base_steps * np.maximum(1.0, np.abs(point))
    shifts = np.concatenate([base_steps, -base_steps, 2 * base_steps, -2 * base_steps])
    directions = np.tile(np.arange(n), 4)
    samples = np.tile(point, (4 * n + 1, 1))  # the last row is x itself
    samples[np.arange(4 * n), directions] += shifts
    with numpy_errors_ignored():
        values = np.asarray(f(*samples.T), dtype=np.float64)
        if callable(evaluation_error):
            errors = np.abs(np.asarray(evaluation_error(*samples.T), dtype=np.float64))
        else:
            errors = np.full(4 * n + 1, abs(float(evaluation_error)))
        shifted = samples[np.arange(4 * n), directions]  # the coordinates after rounding
        plus, minus, plus2, minus2 = np.split(values[:-1], 4)
        e_plus, e_minus, e_plus2, e_minus2 = np.split(errors[:-1], 4)
        x_plus, x_minus, x_plus2, x_minus2 = np.split(shifted, 4)
        d_h = (plus - minus) / (x_plus - x_minus)
        d_2h = (plus2 - minus2) / (x_plus2 - x_minus2)
        rounding_h = (e_plus + e_minus) / (x_plus - x_minus)
        rounding_2h = (e_plus2 + e_minus2) / (x_plus2 - x_minus2)
        h = (x_plus - x_minus) / 2
        second = np.abs(plus - 2.0 * values[-1] + minus) + e_plus + 2 * errors[-1] + e_minus
        off_centre = np.abs((x_plus + x_minus) / 2 - point)
        bound = 2.0 * (
            np.abs(d_2h - d_h) / 3.0
            + rounding_h
            + (rounding_h + rounding_2h) / 3.0
            + second / (h * h) * off_centre
        )
    return FiniteDifference(d_h, bound, h)


# ---------------------------------------------------------------- readable assertions


def assert_grads_close(
    root: Value,
    leaves: Sequence[Value],
    expected: Sequence[float],
    *,
    rtol: float = 1e-7,
    atol: float = 0.0,
    scale: Sequence[float] | None = None,
    expected_name: str = "expected",
) -> None:
    """Assert ``d root / d leaf`` (autograd, via `grad`) is close to ``expected`` for each leaf.

    Passes when ``|autograd - expected| <= atol + rtol * |expected|`` for every
    leaf (NumPy's ``assert_allclose`` defaults). With ``scale`` (one number per
    leaf, e.g. `NumpyFunction.gradient_scale`), ``rtol`` is relative to it
    instead of to ``|expected|``. The failure message shows the
    expression, the leaf values and a table of both gradients. Does not touch
    any ``.grad``.
    """
    leaf_list = list(leaves)
    if len(expected) != len(leaf_list):
        raise ValueError(f"{len(leaf_list)} leaves but {len(expected)} expected gradients")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GraphWarning)  # a leaf root is fine here
        actual = [g.data for g in value_grad(root, leaf_list)]
    names = [leaf_name(leaf, i) for i, leaf in enumerate(leaf_list)]
    sizes = [abs(float(e)) for e in expected] if scale is None else [float(s) for s in scale]
    if len(sizes) != len(leaf_list):
        raise ValueError(f"{len(leaf_list)} leaves but {len(sizes)} scales")
    rows = [
        DerivativeCheck(f"d out/d {name}", a, float(e), atol + rtol * size)
        for name, a, e, size in zip(names, actual, expected, sizes, strict=True)
    ]
    failed = [r for r in rows if not r.ok]
    if failed:
        raise GradcheckError(
            f"gradients differ for {len(failed)} of {len(rows)} leaves of\n"
            f"  out = {_indent(formula(root, leaf_list))}\n"
            f"at {_point(leaf_list)} (out = {root.data!r})\n"
            f"(passes when |autograd - {expected_name}| <= atol + rtol*"
            f"{'|' + expected_name + '|' if scale is None else 'scale'}, "
            f"atol={atol!r}, rtol={rtol!r})\n" + _table(rows, "autograd", expected_name),
            rows,
        )


def assert_matches_reference(root: Value, leaves: Sequence[Value], *, rtol: float = 1e-12) -> None:
    """Assert autograd's value and gradients of ``root`` equal the NumPy reverse mode.

    The reference is `to_numpy(root, leaves)`, evaluated at the leaves' values.
    "Equal to ``rtol``" is measured against the rounding scale of each
    quantity: the value against `NumpyFunction.forward_scale` (and |value|), each
    gradient against `NumpyFunction.gradient_scale` (|gradient| when no
    contributions cancel). A nan gradient passes only where the reference is nan too
    and the derivative is undefined (`NumpyFunction.undefined_gradient`), not where the
    chain rule multiplies 0 by inf. Failure messages show the expression and the table.
    """
    reference = to_numpy(root, leaves)
    point = [leaf.data for leaf in leaves]
    value, reference_grads = reference.value_and_grad(*point)
    scales = reference.gradient_scale(*point)
    value_tolerance = rtol * max(abs(float(value)), float(reference.forward_scale(*point)))
    value_row = DerivativeCheck("out", root.data, float(value), value_tolerance)
    if not value_row.ok and not (math.isnan(root.data) and math.isnan(float(value))):
        raise GradcheckError(
            f"value differs from the NumPy reference for\n"
            f"  out = {_indent(formula(root, leaves))}\n"
            f"at {_point(leaves)}\n" + _table([value_row], "engine", "NumPy reference"),
            [value_row],
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GraphWarning)
        actual = [g.data for g in value_grad(root, list(leaves))]
    names = [leaf_name(leaf, i) for i, leaf in enumerate(leaves)]
    rows = [
        DerivativeCheck(f"d out/d {name}", a, float(e), rtol * float(s))
        for name, a, e, s in zip(names, actual, reference_grads, scales, strict=True)
    ]
    # nan agrees with nan only where the derivative is undefined, not where the chain
    # rule happens to multiply 0 by inf
    undefined = reference.undefined_gradient(*point)
    failed = [
        r
        for r, nan_allowed in zip(rows, undefined, strict=True)
        if not r.ok and not (nan_allowed and math.isnan(r.analytic) and math.isnan(r.numeric))
    ]
    if failed:
        raise GradcheckError(
            f"gradients differ from the NumPy reverse mode for {len(failed)} of {len(rows)} "
            f"leaves of\n  out = {_indent(formula(root, leaves))}\n"
            f"at {_point(leaves)} (out = {root.data!r})\n"
            f"(passes when |autograd - reference| <= rtol * gradient scale, rtol={rtol!r}; "
            "the tolerance column is that product)\n"
            + _table(rows, "autograd", "NumPy reverse mode"),
            rows,
        )


def _point(leaves: Sequence[Value]) -> str:
    """``a = 1.0, x1 = 2.0``: each leaf by `leaf_name`, with its value."""
    return ", ".join(f"{leaf_name(leaf, i)} = {leaf.data!r}" for i, leaf in enumerate(leaves))
