"""Argument checks shared by every public function, each with one wording.

A function that takes a size, a count, a rate or a tolerance checks it here,
so the same mistake reads the same everywhere::

    n_in must be a positive integer, got 0
    limit must be a non-negative integer or None, got -1
    max_nodes must be an integer >= 10, got 3
    lr must be in [0, inf), got -0.1
    lr must be a real number, got str: '0.1'
    noise must be a finite number >= 0, got -1.0

Rules shared by all checks:

* ``bool`` is never a number here (``True`` is an int to Python, but
  ``epochs=True`` is a mistake); NumPy integers count as integers.
* A value of the wrong kind and a value out of range both raise
  ``ValueError`` for integers (they are one mistake: "not a count");
  for real numbers a wrong kind is a ``TypeError`` and a bad value a
  ``ValueError``, as the optimizers have always done.

This module is at the bottom of the core layer: it imports nothing from the
package, so any module may use it.
"""

from __future__ import annotations

import math
import numbers
import sys

import numpy as np

__all__ = [
    "finite_number",
    "integer",
    "non_negative_integer",
    "number_in",
    "optional_integer",
    "positive_integer",
    "real_number",
    "too_large_error",
]


def _integer_phrase(minimum: int) -> str:
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    return f"an integer >= {minimum}"


def _is_integer(value: object) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer))


def integer(name: str, value: object, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``, or ValueError naming ``name``."""
    if not _is_integer(value) or value < minimum:  # type: ignore[operator]
        raise ValueError(f"{name} must be {_integer_phrase(minimum)}, got {value!r}")
    return int(value)  # type: ignore[call-overload,no-any-return]


def positive_integer(name: str, value: object) -> int:
    """``value`` as an int >= 1 (a size, a batch size), or ValueError naming ``name``."""
    return integer(name, value, 1)


def non_negative_integer(name: str, value: object) -> int:
    """``value`` as an int >= 0 (a count of epochs), or ValueError naming ``name``."""
    return integer(name, value, 0)


def optional_integer(name: str, value: object, minimum: int) -> int | None:
    """None, or ``value`` as an int of at least ``minimum``; the message mentions None."""
    if value is None:
        return None
    if not _is_integer(value) or value < minimum:  # type: ignore[operator]
        raise ValueError(f"{name} must be {_integer_phrase(minimum)} or None, got {value!r}")
    return int(value)  # type: ignore[call-overload,no-any-return]


def too_large_error(name: str, number: object) -> ValueError:
    """The one error for a number no float can hold, such as ``10**400`` (Python,
    NumPy and PyTorch refuse it too): "<name> needs a number a float can hold ..."."""
    if isinstance(number, numbers.Integral):  # str() of a huge int is slow, and refused
        size = f"an int of about {math.floor(math.log10(abs(int(number)))) + 1} digits"
    else:
        size = f"{type(number).__qualname__} {number!r:.40}"
    return ValueError(
        f"{name} needs a number a float can hold (at most about {sys.float_info.max:.3g}), "
        f"got {size}; write math.inf if infinity is meant"
    )


def real_number(name: str, value: object) -> float:
    """``value`` as a float (any real number, nan and inf included), or TypeError;
    a number beyond the largest float (``10**400``) is `too_large_error`'s ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__qualname__}: {value!r:.40}"
        )
    try:
        return float(value)
    except OverflowError:
        raise too_large_error(name, value) from None


def number_in(
    name: str,
    value: object,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float in the interval from ``low`` to ``high``, each end
    included unless ``low_open`` / ``high_open``.

    A learning rate is ``number_in("lr", lr, 0, inf, high_open=True)``, a
    momentum ``number_in("momentum", m, 0, 1, high_open=True)``. nan is in no
    interval. TypeError for a non-number, ValueError outside."""
    number = real_number(name, value)
    above = low < number if low_open else low <= number
    below = number < high if high_open else number <= high
    if not (above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return number


def finite_number(
    name: str, value: object, *, minimum: float = -math.inf, strict: bool = False
) -> float:
    """``value`` as a finite float ``>= minimum`` (``> minimum`` if ``strict``).

    ``finite_number("noise", noise, minimum=0)`` reads "noise must be a finite
    number >= 0". TypeError for a non-number, ValueError for nan, inf or too small."""
    number = real_number(name, value)
    too_small = number <= minimum if strict else number < minimum
    if not math.isfinite(number) or too_small:
        bound = "" if minimum == -math.inf else f" {'>' if strict else '>='} {minimum:g}"
        raise ValueError(f"{name} must be a finite number{bound}, got {value!r}")
    return number
