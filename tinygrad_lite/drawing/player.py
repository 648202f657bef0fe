"""A backward pass you can step through in the browser: `draw_backward`.

It is a view of the engine's one backward loop (the loop behind ``backward()``
and `tinygrad_lite.backward_steps`): it draws one frame per `BackwardStep`, so
the frames show exactly the steps ``backward()`` takes, in its order.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

from tinygrad_lite.autograd import backward_pass, topological_order
from tinygrad_lite.autograd_machinery import BackwardStep, Pass
from tinygrad_lite.drawing.dot import render
from tinygrad_lite.drawing.options import DEFAULT_MAX_NODES, DrawOptions, Frame
from tinygrad_lite.drawing.plan import full_node_count
from tinygrad_lite.explain import ChainRule, NodeNames, format_number
from tinygrad_lite.value import Value, is_grad_enabled

__all__ = ["draw_backward"]

MAX_LOCAL_DERIVATIVES_SHOWN = 6  # a linear node has 2n+1 operands: keep the line short


def _step_text(step: BackwardStep, rule: ChainRule) -> str:
    """The step's chain-rule line (explain's, e.g. ``dL/dz3 = dL/dy_pred * dy_pred/dz3
    = -0.2264 * 0.2446 = -0.05537``), then the local derivatives the node passes on."""
    names = rule.names
    node = step.node
    lines = [rule.line(step)]
    if node is rule.output:
        lines[0] += "  (the seed gradient: the output itself)"
    if node.operands:
        parts = [
            f"d{names(node)}/d{names(operand)} = {format_number(local)}"
            for operand, local in zip(node.operands, step.local_grads, strict=True)
        ]
        if len(parts) > MAX_LOCAL_DERIVATIVES_SHOWN:
            parts = [*parts[:MAX_LOCAL_DERIVATIVES_SHOWN], f"... ({len(parts)} operands)"]
        lines.append(f"{_formula(node, names)}, local derivatives: " + ", ".join(parts))
    else:
        lines.append(f"{names(node)} is a leaf: its gradient is final.")
    return "\n".join(lines)


def _formula(node: Value, names: NodeNames) -> str:
    """``d = e + c``, ``f = tanh(d)``, ``z = linear(w.0, ..., b)``."""
    operand_names = [names(operand) for operand in node.operands]
    if len(operand_names) > MAX_LOCAL_DERIVATIVES_SHOWN:
        operand_names = [*operand_names[:3], "...", operand_names[-1]]
    return f"{names(node)} = {node.operation.format(operand_names, 'spaced')}"


def _standalone_svg(svg: str) -> str:
    """Graphviz's SVG without the XML prolog and doctype, for inlining in HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _json_for_script(data: object) -> str:
    """JSON that cannot end the <script> element holding it: ``</`` becomes the
    equivalent ``<\\/`` and ``<!--`` becomes ``\\u003c!--`` (both still valid JSON)."""
    return json.dumps(data).replace("</", "<\\/").replace("<!--", "\\u003c!--")


def draw_backward(
    root: Value,
    out_dir: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    fmt: str = ".4g",
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Path:
    """Run ``root``'s backward pass one step at a time and write a player for it.

    Writes ``frame_000.svg`` (after the forward pass, no gradients yet) and one
    ``frame_NNN.svg`` per backward step into ``out_dir``: the node whose gradient
    was just completed is outlined in red, and only nodes already visited show
    a gradient (this pass's; the others show ``grad ?``). Also writes
    ``index.html``, a single self-contained page (no network needed) that plays
    the frames with previous/next buttons, a slider and the arrow keys, and shows
    under the picture the chain rule of the step, e.g.
    ``dL/dz3 = dL/dy_pred * dy_pred/dz3 = -0.2264 * 0.2446 = -0.05537``.
    Names and chain-rule lines are `tinygrad_lite.explain`'s (an unlabelled value
    is named by its formula, e.g. ``(a*b)``, or ``v<i>`` when that is long).

    Like ``root.backward()``, it adds this pass's gradients to every ``.grad``,
    but only once every file is written: if drawing fails (no Graphviz, an
    unwritable ``out_dir``) no ``.grad`` has changed.
    Like ``backward()`` it refuses to run inside ``no_grad()``; ``rankdir``, ``fmt``
    and ``max_nodes`` are checked as `draw` checks them.
    Every frame draws the whole graph (no collapsing, no legend), so graphs needing
    more than ``max_nodes`` boxes and ellipses are refused (step through a smaller graph, e.g. one
    example instead of a batch). Returns the path of ``index.html``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_backward needs a Value, got {type(root).__qualname__}")
    if not is_grad_enabled():  # it adds to .grad, as backward() does, which refuses there
        raise RuntimeError(
            "draw_backward() was called inside no_grad(). It adds the pass's gradients "
            "to .grad as backward() does, and no_grad() is for updates that must not be "
            "recorded (optimizer steps); leave the with-block before calling draw_backward()."
        )
    # The drawing options are checked before any work, with draw's wording.
    options = DrawOptions(
        rankdir=rankdir, fmt=fmt, max_nodes=max_nodes, collapse=False, legend=False
    )
    order = topological_order(root)
    needed = full_node_count(order)
    if needed > max_nodes:
        raise ValueError(
            f"draw_backward draws the whole graph in every frame, and this graph needs "
            f"{needed} boxes and ellipses (max_nodes={max_nodes}). Step through a smaller "
            "graph (one example instead of a batch) or pass a larger max_nodes."
        )
    target = Path(out_dir)
    names = NodeNames(root)
    shown_names = {value: names(value) for value in order}

    # The whole pass first (texts and final grads), then the frames: knowing every
    # final gradient fixes the width of each grad cell, so the layout never moves.
    texts = ["Forward pass done: every value has its data, no gradient yet. Press next."]
    titles = ["forward pass"]
    visits: list[tuple[Value, float]] = []
    rule = ChainRule(root, names)
    # accumulate=False (as explain_lines): the gradients go to .grad only at the end.
    for step in backward_pass(root, 1.0, Pass(records=True, accumulate=False)):
        visits.append((step.node, float(step.grad)))
        texts.append(_step_text(step, rule))
        titles.append(names(step.node))
    widths = {node: _grad_cell_width(format(grad, fmt)) for node, grad in visits}

    grads_so_far: dict[Value, float] = {}
    svgs = [_render_frame(root, options, Frame(grads_so_far.get, shown_names, None, widths))]
    for node, grad in visits:
        grads_so_far[node] = grad
        frame = Frame(grads_so_far.get, shown_names, node, widths)
        svgs.append(_render_frame(root, options, frame))

    target.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(svgs) - 1)))
    for number, svg in enumerate(svgs):
        (target / f"frame_{number:0{width}d}.svg").write_text(svg, encoding="utf-8")
    page = target / "index.html"
    page.write_text(_page(names(root), svgs, texts, titles), encoding="utf-8")
    for node, grad in visits:  # every file is written: now add the pass, as backward() does
        node.grad += grad
    return page


def _grad_cell_width(number: str) -> int:
    """Points wide enough for ``grad <number>`` at the drawing's 11 pt (Helvetica's digits
    are 6.1 pt; 7 per character plus padding leaves room for any glyph)."""
    return 7 * len(f"grad {number}") + 10


def _render_frame(root: Value, options: DrawOptions, frame: Frame) -> str:
    drawing = render([root], options, frame)
    svg: str = drawing.pipe(format="svg", encoding="utf-8")  # GraphvizNotFoundError if no dot
    return svg


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Backward pass of __OUTPUT__</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 0.6em 0; }
  #controls { display: flex; gap: 0.8em; align-items: center; margin-bottom: 0.8em; }
  #controls button { font-size: 1em; padding: 0.3em 0.9em; }
  #slider { flex: 1; max-width: 40em; }
  /* native size (readable), scrolled to keep the current node in view */
  #picture { overflow: auto; max-height: 75vh; border: 1px solid #eee; }
  #chain-rule { font-family: ui-monospace, monospace; font-size: 1.05em; background: #f6f6f6;
                border-left: 4px solid #d62728; padding: 0.7em 1em; white-space: pre-wrap; }
  .hint { color: #777; font-size: 0.85em; }
</style>
</head>
<body>
<h1>Backward pass of __OUTPUT__</h1>
<div id="controls">
  <button id="prev" type="button">&#9664; previous</button>
  <input id="slider" type="range" min="0" max="__LAST__" value="0" aria-label="step">
  <button id="next" type="button">next &#9654;</button>
  <span id="counter"></span>
</div>
<div id="picture"></div>
<pre id="chain-rule"></pre>
<p class="hint">Keys: &#8592; / &#8594; previous / next, Home / End first / last.
Red outline: the node whose gradient was just completed. Nodes not reached yet show grad ?.</p>
<script>
const FRAMES = __FRAMES__;
const TEXTS = __TEXTS__;
const TITLES = __TITLES__;
const last = FRAMES.length - 1;
let current = 0;
function show(step) {
  current = Math.max(0, Math.min(last, step));
  document.getElementById("picture").innerHTML = FRAMES[current];
  document.getElementById("chain-rule").textContent = TEXTS[current];
  document.getElementById("slider").value = String(current);
  const where = current === 0 ? TITLES[0] : "node " + TITLES[current];
  document.getElementById("counter").textContent = "step " + current + " of " + last + ": " + where;
  document.getElementById("prev").disabled = current === 0;
  document.getElementById("next").disabled = current === last;
  const node = document.querySelector("#picture g.node.current");
  if (node) node.scrollIntoView({ block: "nearest", inline: "center" });
}
document.getElementById("prev").addEventListener("click", () => show(current - 1));
document.getElementById("next").addEventListener("click", () => show(current + 1));
document.getElementById("slider").addEventListener("input", (e) => show(Number(e.target.value)));
document.addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight") { show(current + 1); e.preventDefault(); }
  else if (e.key === "ArrowLeft") { show(current - 1); e.preventDefault(); }
  else if (e.key === "Home") { show(0); e.preventDefault(); }
  else if (e.key === "End") { show(last); e.preventDefault(); }
});
show(0);
</script>
</body>
</html>
"""


def _page(output_name: str, svgs: list[str], texts: list[str], titles: list[str]) -> str:
    frames = [_standalone_svg(svg) for svg in svgs]
    fills = {
        "__OUTPUT__": html.escape(output_name),
        "__LAST__": str(len(frames) - 1),
        "__FRAMES__": _json_for_script(frames),
        "__TEXTS__": _json_for_script(texts),
        "__TITLES__": _json_for_script(titles),
    }
    # One pass, so a label that happens to contain a placeholder stays as it is.
    return re.sub("|".join(fills), lambda match: fills[match.group()], _PAGE)
