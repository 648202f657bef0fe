"""Text and JSON views of the 2-1 network's report (what ``tinygrad-lite seed`` prints)."""

from __future__ import annotations

import textwrap
from typing import Any

from tinygrad_lite.seed.network import (
    FINITE_DIFFERENCE_STEP,
    FORWARD_NAMES,
    LEAF_NAMES,
    PARAMETER_NAMES,
    SeedNetworkReport,
)


def _num(x: float) -> str:
    return f"{x:+.15e}"


def format_report(report: SeedNetworkReport, files: dict[str, str] | None = None) -> str:
    """The report as the plain-text tables the command prints."""
    nodes = report.nodes
    lines = [
        "The seed notebook's 2-1 network, built with tinygrad_lite Values",
        "  " + ", ".join(f"{name}={nodes[name].data:g}" for name in LEAF_NAMES),
        "",
        "Forward pass: tinygrad_lite vs the text's NumPy cells",
        f"  {'node':<8}{'tinygrad_lite':<24}{'text (NumPy)':<24}bit for bit",
    ]
    for name in FORWARD_NAMES:
        ours, theirs = report.forward[name], report.text_forward[name]
        same = "yes" if ours == theirs else "NO"
        lines.append(f"  {name:<8}{ours!r:<24}{theirs!r:<24}{same}")

    lines += [
        "",
        "Local derivatives the text uses, against tinygrad_lite's grad(output, [input])",
        f"  {'derivative':<24}{'text':<24}{'grad()':<24}verdict",
    ]
    for local in report.local_derivatives:
        lines.append(
            f"  {local.name:<24}{_num(local.text):<24}{_num(local.autograd):<24}"
            f"{'agrees' if local.agrees else 'TEXT IS WRONG'}"
        )
    if all(local.agrees for local in report.local_derivatives):
        lines.append("  Every local derivative is right: the mistakes below are in the chaining.")
    lines += [
        "",
        "Gradients: the text's hand derivation, autograd (L.backward()), "
        f"central finite difference (h={FINITE_DIFFERENCE_STEP:g})",
        f"  {'gradient':<12}{'text':<24}{'autograd':<24}{'finite difference':<24}verdict",
    ]
    for row in report.gradients:
        verdict = "agrees" if row.agrees else "TEXT IS WRONG"
        lines.append(
            f"  {row.name:<12}{_num(row.text):<24}{_num(row.autograd):<24}"
            f"{_num(row.finite_difference):<24}{verdict}"
        )
    wrong = [row for row in report.gradients if not row.agrees]
    if wrong:
        lines += ["", "Where the text's derivation goes wrong:"]
        for row in wrong:
            wrapped = textwrap.wrap(row.explanation, width=92)
            lines.append(f"  {row.name}: {wrapped[0]}")
            lines += [" " * (4 + len(row.name)) + part for part in wrapped[1:]]

    update = report.update
    lines += [
        "",
        "One update step, p -= learning_rate * dL_dp, "
        f"with learning_rate = {update.learning_rate:g}",
        f"  {'param':<8}{'before':<24}{'after (text grads)':<24}after (autograd grads)",
    ]
    for name in PARAMETER_NAMES:
        lines.append(
            f"  {name:<8}{update.before[name]!r:<24}{update.after_text[name]!r:<24}"
            f"{update.after_autograd[name]!r}"
        )
    lines.append(
        f"  {'L':<8}{update.loss_before!r:<24}{update.loss_after_text!r:<24}"
        f"{update.loss_after_autograd!r}"
    )
    if files:
        lines += ["", "Computation graph written to:"]
        lines += [f"  {kind}: {path}" for kind, path in files.items()]
    return "\n".join(lines)


def report_json(report: SeedNetworkReport, files: dict[str, str] | None = None) -> dict[str, Any]:
    """The report as plain data (floats kept exact: JSON writes them with repr)."""
    update = report.update
    return {
        "values": {name: report.nodes[name].data for name in LEAF_NAMES},
        "forward": {
            name: {
                "tinygrad_lite": report.forward[name],
                "text": report.text_forward[name],
                "bit_for_bit": report.forward[name] == report.text_forward[name],
            }
            for name in FORWARD_NAMES
        },
        "local_derivatives": [
            {
                "name": local.name,
                "output": local.output,
                "input": local.input,
                "text": local.text,
                "grad": local.autograd,
                "agrees": local.agrees,
            }
            for local in report.local_derivatives
        ],
        "finite_difference_step": FINITE_DIFFERENCE_STEP,
        "gradients": [
            {
                "name": row.name,
                "node": row.node,
                "text": row.text,
                "autograd": row.autograd,
                "finite_difference": row.finite_difference,
                "agrees": row.agrees,
                "explanation": row.explanation,
            }
            for row in report.gradients
        ],
        "update": {
            "learning_rate": update.learning_rate,
            "before": update.before,
            "after_text": update.after_text,
            "after_autograd": update.after_autograd,
            "loss_before": update.loss_before,
            "loss_after_text": update.loss_after_text,
            "loss_after_autograd": update.loss_after_autograd,
        },
        "files": files or {},
    }
