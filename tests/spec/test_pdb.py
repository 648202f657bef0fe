"""The debugger workflow: a script run under ``python -m pdb`` with scripted commands.

Commands go to pdb's stdin through a pipe (no terminal needed, as in CI), and
PYTHONBREAKPOINT is set explicitly so that an environment that disables
``breakpoint()`` cannot make the test pass vacuously.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from two_one_network import numpy_reference

from tinygrad_lite import autograd

SCRIPT = """
from tinygrad_lite import Value

x, y = Value(0.5, label="x"), Value(0.8, label="y")
w1, w2 = Value(0.2, label="w1"), Value(-0.3, label="w2")
b1, b2 = Value(0.4, label="b1"), Value(-0.5, label="b2")
w3, b3 = Value(0.1, label="w3"), Value(0.2, label="b3")
z1 = w1 * x + b1
z1.label = "z1"
a1 = z1.sigmoid()
a1.label = "a1"
z2 = w2 * x + b2
z2.label = "z2"
a2 = z2.sigmoid()
a2.label = "a2"
z3 = w3 * a1 + w3 * a2 + b3
z3.label = "z3"
y_pred = z3.sigmoid()
y_pred.label = "y_pred"
L = 0.5 * (y - y_pred) ** 2
L.label = "L"
BEFORE_BACKWARD
L.backward(BREAK_AT)
print("finished: dL/dw1 =", repr(w1.grad))
"""


def _run_under_pdb(
    tmp_path: Path, break_at: str, commands: list[str], before_backward: str = "pass"
) -> str:
    script = tmp_path / "seed_backprop.py"
    script.write_text(
        SCRIPT.replace("BREAK_AT", break_at).replace("BEFORE_BACKWARD", before_backward)
    )
    env = dict(os.environ, PYTHONBREAKPOINT="pdb.set_trace", PYTHONUNBUFFERED="1")
    completed = subprocess.run(
        [sys.executable, "-m", "pdb", str(script)],
        input="\n".join([*commands, "quit"]) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


CHAIN_RULE_LINE = "-> operand.grad_in_flight += grad * local_grad  # the chain rule"


def _stops(transcript: str) -> list[str]:
    """The source line pdb shows at each stop, in order."""
    return [line for line in transcript.splitlines() if line.startswith("-> ")]


def _chain_rule_line_number() -> int:
    source = Path(autograd.__file__).read_text().splitlines()
    return 1 + [line.strip() for line in source].index(CHAIN_RULE_LINE[3:])


def test_break_at_stops_on_the_chain_rule_with_this_nodes_locals(tmp_path: Path) -> None:
    ref = numpy_reference()
    transcript = _run_under_pdb(
        tmp_path,
        'break_at="a1"',
        [
            "continue",  # from the script's first line to the stop inside the pass
            "p node.label, grad",
            "p [operand.label for operand in operands], local_grads",
            "p operand.label, local_grad",
            "p node.grad",
            "chain",
            "continue",
        ],
    )
    # the current line is the chain rule itself, in the autograd pass
    where = f"autograd.py({_chain_rule_line_number()})backward_pass()"
    assert where in transcript
    assert _stops(transcript)[1] == CHAIN_RULE_LINE
    # every local is a1's: its gradient, its one operand z1, sigmoid's local derivative
    sigmoid_derivative_z1 = ref["value:a1"] * (1 - ref["value:a1"])
    assert f"('a1', {ref['a1']!r})" in transcript
    assert f"(['z1'], ({sigmoid_derivative_z1!r},))" in transcript
    assert f"('z1', {sigmoid_derivative_z1!r})" in transcript
    # this pass's gradient is in `grad`, not yet in a1.grad
    assert "\n(Pdb) 0.0\n" in transcript
    # `chain` says the step in words, with the numbers of this node
    assert f"dL/da1 = {ref['a1']:.4g}; to z1: {ref['a1']:.4g} * " in transcript
    assert f"finished: dL/dw1 = {ref['w1']!r}" in transcript  # the pass went on to the end


def test_a_stop_on_a_leaf_shows_no_operand_left_over_from_another_node(tmp_path: Path) -> None:
    ref = numpy_reference()
    transcript = _run_under_pdb(
        tmp_path,
        'break_at="w3"',
        ["continue", "p node.label, operands, local_grads", "p operand", "chain", "continue"],
    )
    assert "('w3', (), ())" in transcript
    assert "NameError: name 'operand' is not defined" in transcript
    assert "(a leaf: nothing to push)" in transcript
    assert f"finished: dL/dw1 = {ref['w1']!r}" in transcript


def test_the_gradient_in_flight_is_shown_on_the_operand_it_reached(tmp_path: Path) -> None:
    ref = numpy_reference()
    transcript = _run_under_pdb(
        tmp_path, 'break_at="a1"', ["continue", "p operand", "next", "p operand", "continue"]
    )
    before, after = re.findall(r"Value\(label='z1'[^\n]*", transcript)[:2]
    assert "grad_in_flight" not in before  # nothing has reached z1 yet
    # after the chain-rule line, a1's share is on its way to z1; z1.grad is still 0.0
    sigmoid_derivative_z1 = ref["value:a1"] * (1 - ref["value:a1"])
    assert f"grad=0.0, grad_in_flight={ref['a1'] * sigmoid_derivative_z1!r}" in after
    assert f"finished: dL/dw1 = {ref['w1']!r}" in transcript


def test_plain_steps_from_backward_reach_the_chain_rule_in_a_few_steps(tmp_path: Path) -> None:
    """`set_trace()` before ``L.backward()``, then ``step`` only: the machinery is
    skipped, so the chain rule comes within 20 steps (micrograd needs over 200)."""
    steps = 30
    transcript = _run_under_pdb(
        tmp_path,
        "",
        ["continue", *["step"] * steps, "continue"],
        before_backward="import tinygrad_lite; tinygrad_lite.set_trace()",
    )
    stops = _stops(transcript)
    assert stops[1] == "-> L.backward()"  # set_trace stops on the next line: the call
    steps_taken = stops.index(CHAIN_RULE_LINE) - 1
    assert steps_taken <= 20, stops
    # each stop is the lesson: Value.backward, then the pass, never the machinery
    shown = "\n".join(stops[: steps_taken + 2])
    for machinery in ("visited.add", "_refuse_overlap", "check_root", "contextlib", "stack.pop"):
        assert machinery not in shown
    assert "-> order = topological_order(root)" in shown
    assert "-> grad = node.grad_in_flight" in shown
