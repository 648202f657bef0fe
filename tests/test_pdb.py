"""The debugger workflow: a script run under ``python -m pdb`` with scripted commands.

Commands go to pdb's stdin through a pipe (no terminal needed, as in CI), and
PYTHONBREAKPOINT is set explicitly so that an environment that disables
``breakpoint()`` cannot make the test pass vacuously.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

from two_one_network import numpy_reference

from tinygrad_lite import engine

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
L.backward(BREAK_AT)
print("finished: dL/dw1 =", repr(w1.grad))
"""


def _run_under_pdb(tmp_path: Path, break_at: str, commands: list[str]) -> str:
    script = tmp_path / "seed_backprop.py"
    script.write_text(SCRIPT.replace("BREAK_AT", break_at))
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


def test_break_at_a_label_under_pdb_shows_the_node_and_its_gradient(tmp_path: Path) -> None:
    ref = numpy_reference()
    transcript = _run_under_pdb(
        tmp_path,
        'break_at="a1"',
        [
            "continue",  # from the script's first line to the stop inside the backward loop
            "p node.label, grad",
            "p [operand.label for operand in operands], local_grads",
            "continue",
        ],
    )
    assert "_backward_loop()" in transcript  # the stop is inside the engine's one loop
    assert f"('a1', {ref['a1']!r})" in transcript
    sigmoid_derivative_z1 = ref["value:a1"] * (1 - ref["value:a1"])
    assert f"(['z1'], ({sigmoid_derivative_z1!r},))" in transcript
    assert f"finished: dL/dw1 = {ref['w1']!r}" in transcript  # the pass went on to the end


def _line_in_backward_loop(pattern: str) -> int:
    lines, first = inspect.getsourcelines(engine._backward_loop)
    matches = [first + i for i, text in enumerate(lines) if re.search(pattern, text)]
    assert matches, f"no line matching {pattern!r} in _backward_loop"
    return matches[0]


def test_a_conditional_breakpoint_in_the_backward_loop(tmp_path: Path) -> None:
    # The loop reads `operands = node._operands` once per node, after the node's
    # gradient for this pass is complete: a natural place for a breakpoint.
    line = _line_in_backward_loop(r"^\s*operands = node\._operands")
    ref = numpy_reference()
    transcript = _run_under_pdb(
        tmp_path,
        "",
        [
            f"break {engine.__file__}:{line}, node.label in ('z3', 'w3')",
            "continue",
            "p node.label, grad",
            "continue",
            "p node.label, grad",
            "continue",
        ],
    )
    assert f"('z3', {ref['z3']!r})" in transcript
    # w3 is reached through two products: its gradient is their sum (one rounding
    # away from the notebook's dL_dz3 * (a1 + a2)), printed in full by repr
    match = re.search(r"\('w3', (-?[0-9.e-]+)\)", transcript)
    assert match is not None, transcript
    assert abs(float(match.group(1)) - ref["w3"]) <= 2 * abs(ref["w3"]) * sys.float_info.epsilon
    assert transcript.index("'z3'") < transcript.index("'w3'")  # users before operands
    assert f"finished: dL/dw1 = {ref['w1']!r}" in transcript
