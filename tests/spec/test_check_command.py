"""tinygrad-lite check: a derivation file of assignments (parsed, never run) checked on a graph
given as draw takes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinygrad_lite.cli import main


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mine.py"
    path.write_text(text)
    return str(path)


def test_a_right_derivation_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    derivation = write(tmp_path, "dout_dc = 1\ndout_da = dout_dc * b\ndout_db = dout_dc * a\n")
    assert main(["check", derivation, "a*b + c", "a=2", "b=-3", "c=10"]) == 0
    assert "Every claimed gradient agrees with autograd." in capsys.readouterr().out


def test_a_wrong_derivation_is_diagnosed_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    derivation = write(tmp_path, "g = 1\ndout_da = g * a\ndout_db = g * a\n")
    assert main(["check", derivation, "a*b + c", "a=2", "b=-3", "c=10"]) == 1
    out = capsys.readouterr().out
    assert "dout/da: wrong local derivative: d(a*b)/da taken as a = 2" in out
    assert "The error entered at dout/da." in out


def test_functions_and_demo_graphs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    derivation = write(tmp_path, "df_dd = 1 - tanh(4)**2\ndf_de = df_dd\ndf_da = df_de * (-3)\n")
    assert main(["check", derivation, "expression"]) == 0
    assert "df/da" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("import os\n", "line 1: only assignments NAME = EXPRESSION are allowed"),
        ("dout_da = __import__('os')\n", "line 1:"),
        ("dout_da = q\n", "line 1:"),
        ("x = 1\n", "no claimed gradient: name them dout_d<label>"),
        ("dout_dz = 1\n", "no node of the graph is labelled 'z'"),
        ("dout_da = (\n", "cannot parse"),
    ],
)
def test_bad_derivations_are_refused_without_running_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    derivation = write(tmp_path, text)
    assert main(["check", derivation, "a*b + c", "a=2", "b=-3", "c=10"]) == 2
    assert message in capsys.readouterr().err


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.py"), "a*b", "a=1", "b=2"]) == 2
    assert "cannot read" in capsys.readouterr().err
