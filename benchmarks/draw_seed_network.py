"""How long drawing the seed's 2-16-1 network over all 200 points takes, end to end:
build the graph and run backward, make the drawing (collapse included), render SVG
and PNG with Graphviz's `dot`.

Run: .venv/bin/python benchmarks/draw_seed_network.py [--repeat 3] [--out DIR] [--chain N]
Prints the best of --repeat runs for each stage and the size of the drawing.
The target is under five seconds for draw + render. ``--chain N`` also times
drawing a chain of N operations ``x = x * 0.99 + 0.01`` (no repeated structure,
so the drawing keeps the part nearest the output).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tinygrad_lite import Value, draw, save
from tinygrad_lite.demo_graphs import mlp_loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="keep the SVG and PNG here")
    parser.add_argument("--chain", type=int, default=0, help="also time a chain of N operations")
    args = parser.parse_args()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="draw-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    best = {"graph + backward": float("inf"), "draw": float("inf"), "svg": float("inf")}
    best["png"] = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        loss = mlp_loss(n_points=200, hidden=16)
        loss.backward()
        built = time.perf_counter()
        drawing = draw(loss)
        drawn = time.perf_counter()
        save(drawing, out_dir / "seed-network.svg")
        svg_done = time.perf_counter()
        save(drawing, out_dir / "seed-network.png")
        png_done = time.perf_counter()
        for stage, seconds in [
            ("graph + backward", built - start),
            ("draw", drawn - built),
            ("svg", svg_done - drawn),
            ("png", png_done - svg_done),
        ]:
            best[stage] = min(best[stage], seconds)
    print(f"graph: {drawing.total_nodes} boxes and ellipses in full")
    for message in drawing.collapsed:
        print(f"collapsed: {message}")
    for stage, seconds in best.items():
        print(f"{stage:>17}: {seconds:6.3f} s (best of {args.repeat})")
    print(f"{'draw + svg':>17}: {best['draw'] + best['svg']:6.3f} s")
    print(f"written to {out_dir}")
    if args.chain:
        time_chain(args.chain, out_dir)


def time_chain(length: int, out_dir: Path) -> None:
    x = Value(0.3, label="x")
    for _ in range(length):
        x = x * 0.99 + 0.01
    start = time.perf_counter()
    drawing = draw(x)
    drawn = time.perf_counter()
    save(drawing, out_dir / "chain.svg")
    rendered = time.perf_counter()
    print(f"chain of {length} ops ({drawing.total_nodes} boxes and ellipses in full):")
    print(f"             draw: {drawn - start:6.3f} s")
    print(f"              svg: {rendered - drawn:6.3f} s")


if __name__ == "__main__":
    main()
