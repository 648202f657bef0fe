"""Tests for the safe expression parser and the `tinygrad-lite draw` command."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from viz_svg import parse_svg

from tinygrad_lite import Value
from tinygrad_lite.cli import main
from tinygrad_lite.demo_graphs import DEMO_GRAPHS
from tinygrad_lite.expression import ExpressionError, build_expression, parse_assignments

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- the parser


def test_expression_builds_the_same_graph_as_python_code() -> None:
    built = build_expression("(a*b + c).tanh()", {"a": 2.0, "b": -3.0, "c": 10.0})
    built.backward()
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    direct = (a * b + c).tanh()
    direct.backward()
    assert built.data == direct.data
    assert built.op == "tanh" and built.operands[0].op == "+"
    leaves = {v.label: v for v in _leaves(built)}
    assert (leaves["a"].grad, leaves["b"].grad, leaves["c"].grad) == (a.grad, b.grad, c.grad)


def _leaves(root: Value) -> list[Value]:
    from tinygrad_lite import topological_order

    return [v for v in topological_order(root) if v.is_leaf and v.label]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-x ** 2 / 4 + +x", -(1.5**2) / 4 + 1.5),
        ("x.exp().log()", math.log(math.exp(1.5))),
        ("sigmoid(x) - relu(-x) + tanh(x)", 1 / (1 + math.exp(-1.5)) + math.tanh(1.5)),
        ("2 ** x * 0.5", 2**1.5 * 0.5),
        ("x * x * x", 1.5**3),
    ],
)
def test_whitelisted_syntax_computes_what_python_would(text: str, expected: float) -> None:
    assert build_expression(text, {"x": 1.5}).data == pytest.approx(expected, rel=1e-15)


def test_a_name_used_twice_is_one_leaf() -> None:
    out = build_expression("x * x", {"x": 3.0})
    assert out.operands[0] is out.operands[1]
    out.backward()
    assert out.operands[0].grad == 6.0


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("__import__('os').system('true')", {}, '.system" cannot be called; only exp'),
        ("x.__class__", {"x": 1}, "'x.__class__' is not allowed"),
        ("open('f')", {}, "'open' cannot be called"),
        ("x < 1", {"x": 1}, "'x < 1' is not allowed"),
        ("x % 2", {"x": 1}, "'x % 2' is not allowed"),
        ("[x]", {"x": 1}, "'[x]' is not allowed"),
        ("lambda: 1", {}, "'lambda: 1' is not allowed"),
        ("'text'", {}, "\"'text'\" is not a number"),
        ("True + 1", {}, "'True' is not a number"),
        ("1j", {}, "'1j' is not a number"),
        ("x.tanh(2)", {"x": 1}, "the methods take no arguments"),
        ("tanh(x, x)", {"x": 1}, "tanh() takes one value"),
        ("tanh(*x)", {"x": 1}, "tanh() takes one value"),
        ("x +", {"x": 1}, "cannot parse"),
        ("y + 1", {}, "'y' has no value; give it one after the expression, e.g. y=1.5"),
        ("x + 1", {"x": 1, "z": 2}, "'z' given a value but not used"),
        ("-" * 5000 + "1", {}, "characters long; the limit is 2000"),
        ("(" * 300 + "1" + ")" * 300, {}, "cannot parse|nested too deeply"),
    ],
)
def test_anything_else_is_refused_with_a_reason(
    text: str, values: dict[str, float], message: str
) -> None:
    with pytest.raises(ExpressionError, match=message if "|" in message else _literal(message)):
        build_expression(text, values)


def _literal(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["a"], "expected NAME=NUMBER, got 'a'"),
        (["a=x"], "'x' in 'a=x' is not a number"),
        (["1a=2"], "'1a' in '1a=2' is not a valid name"),
        (["a=1", "a=2"], "'a' is given a value twice"),
    ],
)
def test_bad_assignments(items: list[str], message: str) -> None:
    with pytest.raises(ExpressionError, match=_literal(message)):
        parse_assignments(items)


def test_assignments_accept_any_float_syntax() -> None:
    assert parse_assignments(["a=2", "b = -3.5e-1", "c=inf"]) == {
        "a": 2.0,
        "b": -0.35,
        "c": math.inf,
    }


# ---------------------------------------------------------------- the command


def test_draw_expression_to_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.svg"
    code = main(["draw", "(a*b + c).tanh()", "a=2", "b=-3", "c=10", "-o", str(target)])
    assert code == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    svg = parse_svg(target.read_bytes())
    values = {node.texts[0] for node in svg.with_class("value") if node.texts[0][:4] != "data"}
    assert values == {"a", "b", "c", "out"}
    assert sorted(node.texts[0] for node in svg.with_class("op")) == ["*", "+", "tanh"]
    out = svg.by_first_text("out")
    assert out.texts == ["out", f"data {math.tanh(4.0):.4g}", "grad 1"]  # backward ran


def test_draw_without_output_prints_dot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", "x.relu()", "x=-1", "--no-backward", "--rankdir", "TB"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digraph") and "rankdir=TB" in out and "relu" in out


@pytest.mark.parametrize("name", sorted(DEMO_GRAPHS))
def test_every_demo_graph_draws(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draw", name, "-o", str(tmp_path / "g.dot")]) == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_list_names_every_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(DEMO_GRAPHS)


def test_player_option_writes_the_page(tmp_path: Path) -> None:
    assert main(["draw", "neuron", "-o", str(tmp_path / "n.svg"), "--player", str(tmp_path)]) == 0
    assert (tmp_path / "index.html").exists()
    assert len(list(tmp_path.glob("frame_*.svg"))) == 1 + 7  # forward + one per value


def test_options_after_the_separator_are_still_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An expression starting with - goes after --, and the options may follow it."""
    target = tmp_path / "neg.svg"
    assert main(["draw", "--", "-x**2", "x=3", "-o", str(target), "--rankdir", "TB"]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    svg = parse_svg(target.read_bytes())
    assert svg.by_first_text("out").texts == ["out", "data -9", "grad 1"]
    # NAME=NUMBER values may come after the options too, and the DOT shows the options
    assert main(["draw", "--", "-x*y", "x=3", "--rankdir", "TB", "y=2", "--no-backward"]) == 0
    dot = capsys.readouterr().out
    assert "rankdir=TB" in dot
    assert ">data -6<" in dot and ">grad 0<" in dot and ">grad 1<" not in dot  # --no-backward


def test_an_expression_starting_with_minus_without_the_separator_says_how(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["draw", "-x**2", "x=3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: -x**2" in err
    assert 'goes after --: tinygrad-lite draw -- "-x**2" x=3' in err
    with pytest.raises(SystemExit) as exit_info:  # a wrong option after -- is argparse's error
        main(["draw", "--", "-x**2", "x=3", "-o"])
    assert exit_info.value.code == 2
    assert "argument -o/--output: expected one argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["draw", "a +", "a=1"], "cannot parse 'a +'"),
        (["draw", "__import__('os').system('touch hacked')"], "cannot be called"),
        (["draw", "a * b", "a=1"], "'b' has no value"),
        (["draw", "expression", "a=1"], "takes no NAME=NUMBER values"),
        (["draw", "a", "a=1", "-o", "g.jpeg"], "cannot tell the format"),
        (["draw", "a", "a=1", "--fmt", "q"], "fmt 'q' is not a float format"),
        (["draw", "a", "a=1", "--max-nodes", "2"], "max_nodes must be"),
        (["draw"], "give an expression"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-lite draw: error: ")
    assert message in lines[0]
    assert not (tmp_path / "hacked").exists()
    assert not (tmp_path / "g.jpeg").exists()


def test_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    for argv in (["(a*", "a=1"], ["a.__class__.__mro__", "a=1"], ["1/0"], ["x", "x=nan"]):
        result = subprocess.run(
            [sys.executable, "-m", "tinygrad_lite", "draw", *argv, "-o", str(tmp_path / "g.svg")],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 2)


def test_missing_dot_in_the_command(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    command = [sys.executable, "-m", "tinygrad_lite", "draw", "a*2", "a=1"]
    result = subprocess.run(
        [*command, "-o", str(tmp_path / "g.svg")], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "sudo apt-get install graphviz" in result.stderr
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # DOT needs no dot
    assert result.returncode == 0 and result.stdout.startswith("digraph")


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
def test_a_failed_write_names_the_output_and_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    target.write_text("old drawing")

    def limit_file_size() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))  # a write past 200 bytes fails

    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lite", "draw", "neuron", "-o", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=limit_file_size,
    )
    assert result.returncode == 1
    assert result.stderr == f"tinygrad-lite draw: error: cannot write {target}: File too large\n"
    assert target.read_text() == "old drawing"
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]


@pytest.mark.parametrize("argv", [["x*\udcff", "x=1"], ["x*2", "x\udcff=1"]])
def test_a_byte_that_is_not_utf8_is_one_line_and_exit_code_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draw", *argv]) == 2  # the shell's b"\xff", as Python's argv holds it
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "holds a byte that is not UTF-8 text at character" in lines[0]


def test_the_installed_command_refuses_a_byte_that_is_not_utf8() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lite", "draw", b"x*\xff", "x=1"],
        capture_output=True,
        cwd=ROOT,
    )
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert result.stderr.count(b"\n") == 1 and b"not UTF-8" in result.stderr


def test_a_full_width_name_is_the_same_name_on_both_sides(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wide_x = "\uff58"  # FULLWIDTH LATIN SMALL LETTER X: NFKC makes it x
    assert parse_assignments([f"{wide_x}=1", "\ufb01=2"]) == {"x": 1.0, "fi": 2.0}
    assert build_expression(f"{wide_x}*2", parse_assignments([f"{wide_x}=3"])).data == 6.0
    assert main(["draw", f"{wide_x}*2", f"{wide_x}=1"]) == 0
    assert "x" in capsys.readouterr().out
    with pytest.raises(ExpressionError, match="'x' is given a value twice"):
        parse_assignments(["x=1", f"{wide_x}=2"])


def test_a_syntax_warning_is_the_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("always")  # as in a fresh process: the warning would print
        assert main(["draw", "2lambda"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "invalid decimal literal" in lines[0], lines
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lite", "draw", "2lambda"], capture_output=True, text=True
    )
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        (".99999999f", "fmt '.99999999f' asks for a precision of 99999999; the limit is 100"),
        ("0>999999999.2f", "asks for a width of 999999999; the limit is 100"),
        (".101e", "asks for a precision of 101; the limit is 100"),
    ],
)
def test_a_huge_format_is_refused_at_once(
    fmt: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    started = time.perf_counter()
    assert main(["draw", "x*2", "x=1", "--fmt", fmt]) == 2
    assert time.perf_counter() - started < 2.0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert main(["draw", "x*2", "x=1", "--fmt", "12.100f"]) == 0  # at the limits: drawn
