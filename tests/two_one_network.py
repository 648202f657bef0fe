"""The seed notebook's 2-1 network's gradients, computed independently in NumPy.

The tests build the network itself with the course's one builder,
`tinygrad_lite.seed.network.build_network` (``labels="text"``: only the text's
names, as the text's code labels them), and compare with these numbers.

The NumPy side follows the notebook's hand derivation (``dL_dy_pred = y_pred - y``,
``dL_dw3 = dL_dy_pred * sigmoid_derivative(z3) * dz3_dw3`` ...). One line of the
notebook, ``dL_da1 = dL_dw3 * dz3_da1 * sigmoid_derivative(z1)``, multiplies by
``dL_dw3`` where the chain rule needs ``dL/dz3`` (and the product is ``dL/dz1``);
the reference below uses the chain rule as the notebook's own step 4 states it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tinygrad_lite.seed.network import TEXT_VALUES


def _sigmoid(v: np.float64) -> np.float64:
    return np.float64(1 / (1 + np.exp(-v)))


def _sigmoid_derivative(v: np.float64) -> np.float64:
    return _sigmoid(v) * (1 - _sigmoid(v))


def numpy_reference(values: Mapping[str, float] = TEXT_VALUES) -> dict[str, float]:
    """Forward values (``"value:z1"``, ...) and dL/d(name) (``"z1"``, ...) for every
    labelled node, computed with NumPy by hand, for the text's values or any others."""
    p = {name: np.float64(value) for name, value in values.items()}
    x, y, w1, w2, b1, b2, w3, b3 = (p[k] for k in ("x", "y", "w1", "w2", "b1", "b2", "w3", "b3"))
    z1 = w1 * x + b1
    a1 = _sigmoid(z1)
    z2 = w2 * x + b2
    a2 = _sigmoid(z2)
    z3 = w3 * a1 + w3 * a2 + b3
    y_pred = _sigmoid(z3)
    loss = 0.5 * (y - y_pred) ** 2

    dL_dy_pred = y_pred - y
    dL_dz3 = dL_dy_pred * _sigmoid_derivative(z3)
    dL_dw3 = dL_dz3 * (a1 + a2)
    dL_db3 = dL_dz3 * 1
    dL_da1 = dL_dz3 * w3
    dL_da2 = dL_dz3 * w3
    dL_dz1 = dL_da1 * _sigmoid_derivative(z1)
    dL_dz2 = dL_da2 * _sigmoid_derivative(z2)
    reference = {
        "value:z1": z1,
        "value:a1": a1,
        "value:z2": z2,
        "value:a2": a2,
        "value:z3": z3,
        "value:y_pred": y_pred,
        "value:L": loss,
        "L": np.float64(1.0),
        "y_pred": dL_dy_pred,
        "z3": dL_dz3,
        "w3": dL_dw3,
        "b3": dL_db3,
        "a1": dL_da1,
        "a2": dL_da2,
        "z1": dL_dz1,
        "z2": dL_dz2,
        "w1": dL_dz1 * x,
        "b1": dL_dz1 * 1,
        "w2": dL_dz2 * x,
        "b2": dL_dz2 * 1,
        "x": dL_dz1 * w1 + dL_dz2 * w2,
        "y": y - y_pred,
    }
    return {name: float(value) for name, value in reference.items()}
