"""Tests for draw_backward: the frames, the chain-rule lines, and the page in a real
headless Chromium (Debian's `chromium`, driven by Playwright)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from viz_svg import parse_svg

from tinygrad_lite import Value, draw_backward
from tinygrad_lite.demo_graphs import expression, mlp_loss
from tinygrad_lite.seed.network import build_network

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# f = tanh(d), d = e + c, e = a * b. backward() visits the reverse of the
# topological order a, b, e, c, d, f (operands first, in operand order):
BACKWARD_ORDER = ["f", "d", "c", "e", "b", "a"]


def page_data(page: Path) -> dict[str, list[str]]:
    text = page.read_text()
    found = {}
    for name in ("FRAMES", "TEXTS", "TITLES"):
        match = re.search(rf"const {name} = (.*);\n", text)
        assert match is not None
        found[name] = json.loads(match.group(1))
    return found


def test_one_frame_per_step_with_only_visited_gradients(tmp_path: Path) -> None:
    f = expression()
    page = draw_backward(f, tmp_path)
    frames = sorted(tmp_path.glob("frame_*.svg"))
    assert [p.name for p in frames] == [f"frame_{k:03d}.svg" for k in range(7)]
    first = parse_svg(frames[0].read_bytes())
    assert not first.with_class("current")
    assert all(node.texts[-1] == "grad ?" for node in first.with_class("value"))
    for step, label in enumerate(BACKWARD_ORDER, start=1):
        svg = parse_svg(frames[step].read_bytes())
        (current,) = svg.with_class("current")
        assert current.texts[0] == label
        visited = set(BACKWARD_ORDER[:step])
        for node in svg.with_class("value"):
            has_grad = node.texts[-1] != "grad ?"
            assert has_grad == (node.texts[0] in visited), (step, node.texts)
    assert page.name == "index.html"
    assert page_data(page)["TITLES"] == ["forward pass", *BACKWARD_ORDER]


def test_every_frame_has_the_same_layout(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from tinygrad_lite.demo_graphs import neuron

    draw_backward(neuron(), tmp_path)
    assert "Warning" not in capfd.readouterr().err  # the fixed cells are big enough
    frames = [parse_svg(path.read_bytes()) for path in sorted(tmp_path.glob("frame_*.svg"))]
    assert len(frames) == 8
    first = frames[0]
    for frame in frames[1:]:
        assert {name: node.geometry for name, node in frame.nodes.items()} == {
            name: node.geometry for name, node in first.nodes.items()
        }
        assert frame.edges == first.edges
    # what changes is the texts: the last frame shows every gradient
    assert all(node.texts[-1] != "grad ?" for node in frames[-1].with_class("value"))


def test_chain_rule_lines_and_final_grads(tmp_path: Path) -> None:
    f = expression()
    page = draw_backward(f, tmp_path)
    texts = page_data(page)["TEXTS"]
    dfdd = 1 - math.tanh(4.0) ** 2
    assert texts[1].splitlines()[0] == "df/df = 1  (the seed gradient: the output itself)"
    assert texts[2].splitlines()[0] == f"df/dd = df/df * df/dd = 1 * {dfdd:.4g} = {dfdd:.4g}"
    assert texts[2].splitlines()[1] == "d = e + c, local derivatives: dd/de = 1, dd/dc = 1"
    assert texts[6].splitlines()[0] == (
        f"df/da = df/de * de/da = {dfdd:.4g} * (-3) = {-3 * dfdd:.4g}"
    )
    assert texts[6].splitlines()[1] == "a is a leaf: its gradient is final."
    # like backward(): the pass's gradients are on every node
    reference = expression()
    reference.backward()
    assert [v.grad for v in _values(f)] == [v.grad for v in _values(reference)]


def _values(root: Value) -> list[Value]:
    from tinygrad_lite import topological_order

    return topological_order(root)


def test_seed_network_chain_rule_matches_the_text(tmp_path: Path) -> None:
    nodes = build_network(
        labels="text"
    )  # the seed notebook's 2-1 network, built as its text writes it
    loss, w3 = nodes["L"], nodes["w3"]
    page = draw_backward(loss, tmp_path)
    texts = page_data(page)["TEXTS"]

    def sigmoid(v: float) -> float:
        return float(1 / (1 + np.exp(-v)))

    # the text's NumPy cells
    a1_, a2_ = sigmoid(0.2 * 0.5 + 0.4), sigmoid(-0.3 * 0.5 - 0.5)
    z3_ = 0.1 * a1_ + 0.1 * a2_ + 0.2
    y_pred_ = sigmoid(z3_)
    dl_dy_pred = y_pred_ - 0.8
    dy_pred_dz3 = sigmoid(z3_) * (1 - sigmoid(z3_))
    line = next(text for text in texts if text.startswith("dL/dz3 ="))
    assert line.splitlines()[0] == (
        f"dL/dz3 = dL/dy_pred * dy_pred/dz3 = {dl_dy_pred:.4g} * {dy_pred_dz3:.4g} "
        f"= {dl_dy_pred * dy_pred_dz3:.4g}"
    )
    assert line.splitlines()[0].startswith("dL/dz3 = dL/dy_pred * dy_pred/dz3 = -0.2264 * 0.2446")
    # w3 is used twice: its gradient is the sum of two contributions
    w3_line = next(text for text in texts if text.startswith("dL/dw3 =")).splitlines()[0]
    assert w3_line.count(" + ") == 2  # once in the symbols, once in the numbers
    assert w3_line.endswith(f"= {w3.grad:.4g}")


def test_large_graphs_are_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one example instead of a batch"):
        draw_backward(mlp_loss(n_points=20, hidden=16), tmp_path)
    assert not tmp_path.joinpath("index.html").exists()
    with pytest.raises(TypeError, match="needs a Value"):
        draw_backward(3.0, tmp_path)  # type: ignore[arg-type]


def test_a_failed_drawing_leaves_every_grad_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinygrad_lite import GraphvizNotFoundError

    f = expression()
    f.backward()  # an earlier pass: the grads are not zero
    before = [v.grad for v in _values(f)]
    assert any(before)
    # a frame file that cannot be written (a directory is in the way), after three were
    blocked = tmp_path / "blocked"
    (blocked / "frame_003.svg").mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        draw_backward(f, blocked)
    assert (blocked / "frame_002.svg").is_file()
    assert [v.grad for v in _values(f)] == before
    # an out_dir that is a file
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    with pytest.raises(FileExistsError):
        draw_backward(f, not_a_directory)
    assert [v.grad for v in _values(f)] == before
    # no Graphviz
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError):
        draw_backward(f, tmp_path / "no-dot")
    assert [v.grad for v in _values(f)] == before
    assert not (tmp_path / "no-dot").exists()
    monkeypatch.undo()
    # and once it succeeds, the pass's gradients are added, as backward() adds them
    draw_backward(f, tmp_path / "ok")
    reference = expression()
    reference.backward()
    reference.backward()
    assert [v.grad for v in _values(f)] == [v.grad for v in _values(reference)]


def test_page_is_self_contained(tmp_path: Path) -> None:
    leaf = Value(1.0, label="</script><script>alert(1)</script>")
    out = (leaf * 2).tanh()
    out.label = "<out>"
    page = draw_backward(out, tmp_path).read_text()
    assert "<script src" not in page and "<link" not in page and "url(" not in page
    assert "</script><script>alert" not in page  # escaped inside the script's JSON
    urls = set(re.findall(r"https?://[^\\\"' )]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespaces
    assert "<title>Backward pass of (&lt;out&gt;)</title>" in page  # explain parenthesises


def test_player_in_headless_chromium(tmp_path: Path) -> None:
    """Plays the page in Chromium. To look at the screenshot of step 3 afterwards, set
    TINYGRAD_LITE_KEEP_SCREENSHOT to a directory; otherwise it stays under tmp_path."""
    if not Path(CHROMIUM).exists() or shutil.which("dot") is None:
        pytest.fail("needs Debian's chromium and graphviz: bash tests/run.sh installs them")
    from playwright.sync_api import sync_playwright

    f = expression()
    page_path = draw_backward(f, tmp_path / "player")
    dfdd = 1 - math.tanh(4.0) ** 2
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a new, empty user data dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1200, "height": 640},
        )
        try:
            page = context.new_page()
            page.goto(page_path.as_uri())
            assert page.text_content("#counter") == "step 0 of 6: forward pass"
            assert page.locator("#picture g.node.current").count() == 0
            for _ in range(3):
                page.click("#next")
            assert page.text_content("#counter") == "step 3 of 6: node c"
            current = page.locator("#picture g.node.current text").all_text_contents()
            assert current == ["c", "data 10", f"grad {dfdd:.4g}"]
            chain_rule = page.text_content("#chain-rule") or ""
            assert chain_rule.splitlines()[0] == (
                f"df/dc = df/dd * dd/dc = {dfdd:.4g} * 1 = {dfdd:.4g}"
            )
            page.screenshot(path=str(tmp_path / "step3.png"), full_page=True)
            page.keyboard.press("ArrowLeft")
            assert page.locator("#picture g.node.current text").first.text_content() == "d"
            page.locator("#slider").fill("6")
            assert page.text_content("#counter") == "step 6 of 6: node a"
            assert page.is_disabled("#next")
        finally:
            context.close()
    screenshot = (tmp_path / "step3.png").read_bytes()
    assert screenshot.startswith(b"\x89PNG") and len(screenshot) > 10_000
    keep = os.environ.get("TINYGRAD_LITE_KEEP_SCREENSHOT")  # a directory, for a person to look at
    if keep:
        shutil.copy(tmp_path / "step3.png", Path(keep) / "player-step3.png")


def test_draw_backward_refuses_no_grad_and_bad_options_before_any_grad_changes(
    tmp_path: Path,
) -> None:
    from tinygrad_lite import no_grad

    a = Value(2.0, "a")
    y = a * a
    with (
        no_grad(),
        pytest.raises(RuntimeError, match=r"draw_backward\(\) was called inside no_grad"),
    ):
        draw_backward(y, tmp_path / "inside")
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT; got 'XX'"):
        draw_backward(y, tmp_path / "rankdir", rankdir="XX")
    with pytest.raises(ValueError, match=r"fmt 'q' is not a float format spec like '\.4g'"):
        draw_backward(y, tmp_path / "fmt", fmt="q")
    with pytest.raises(ValueError, match="fmt 3 is not a float format spec"):
        draw_backward(y, tmp_path / "fmt", fmt=3)  # type: ignore[arg-type]
    assert a.grad == 0.0 and not any(tmp_path.iterdir())
