"""The parameter-label convention: how `tinygrad_lite.nn` names parameters and
how the drawing reads those names back.

A parameter's label is its dotted path, PyTorch's ``named_parameters()`` names:
``w.1`` and ``b`` in a neuron, ``neurons.3.w.1`` in a layer,
``layers.0.neurons.3.w.1`` in an MLP. Every part ending in an index is a module
(``layers.0`` a layer, ``layers.0.neurons.3`` a neuron), and the last name of a
parameter (``w.1``, ``b``) is the parameter within its module.

`nn` writes labels with `weight_name`, `BIAS` and `child_name`; the drawing
finds a parameter's neuron with `owner_of`, the nested modules around it with
`module_levels`, and shows a label inside its module with `relative_name`.
This module needs nothing else, so both can import it.
"""

from __future__ import annotations

__all__ = [
    "BIAS",
    "LAYERS",
    "NEURONS",
    "SEPARATOR",
    "WEIGHTS",
    "child_name",
    "module_levels",
    "owner_of",
    "relative_name",
    "weight_name",
]

SEPARATOR = "."
WEIGHTS = "w"
"""A neuron's weights: ``w.0``, ``w.1``, ... (see `weight_name`)."""
BIAS = "b"
"""A neuron's bias."""
NEURONS = "neurons"
"""A layer's neurons: ``neurons.3.w.1``."""
LAYERS = "layers"
"""An MLP's layers: ``layers.0.neurons.3.w.1``."""


def weight_name(index: int) -> str:
    """``w.<index>``: a neuron's weight for its input ``index``."""
    return f"{WEIGHTS}{SEPARATOR}{index}"


def child_name(group: str, index: int, name: str) -> str:
    """``<group>.<index>.<name>``: the parameter ``name`` of child ``index`` of ``group``."""
    return SEPARATOR.join((group, str(index), name))


def owner_of(label: str) -> str | None:
    """The module owning a parameter label: ``layers.0.neurons.3.w.1`` and
    ``layers.0.neurons.3.b`` give ``layers.0.neurons.3``; None for labels that
    are not parameter paths (``x``, ``w.1`` alone, ``a..b``)."""
    parts = label.split(SEPARATOR)
    while parts and parts[-1].isdigit():
        parts.pop()
    if len(parts) < 2 or not all(parts):
        return None
    return SEPARATOR.join(parts[:-1])


def module_levels(owner: str) -> list[str]:
    """``layers.0.neurons.3`` -> ``["layers.0", "layers.0.neurons.3"]``: each prefix
    ending in an index is a module (a layer, a neuron), outermost first."""
    parts = owner.split(SEPARATOR)
    levels = [SEPARATOR.join(parts[: k + 1]) for k, part in enumerate(parts) if part.isdigit()]
    if not levels or levels[-1] != owner:
        levels.append(owner)
    return levels


def relative_name(label: str, module: str) -> str:
    """``label`` inside ``module``: ``layers.0.neurons.3.w.1`` in ``layers.0.neurons.3``
    is ``w.1``; a label outside the module stays whole."""
    prefix = module + SEPARATOR
    return label[len(prefix) :] if module and label.startswith(prefix) else label
