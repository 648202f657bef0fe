"""Reading Graphviz SVG output in tests: nodes, edges, clusters and their texts."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class SvgNode:
    name: str  # the DOT node name (the <title>)
    classes: list[str]
    texts: list[str]
    fills: list[str]  # fill colours of its shapes
    points: list[tuple[float, float]]  # text anchor positions
    geometry: list[str]  # its shapes' outlines (polygon points, ellipse centre and radii)


@dataclass
class SvgCluster:
    label: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1

    def contains(self, node: SvgNode) -> bool:
        x0, y0, x1, y1 = self.box
        return all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in node.points)


@dataclass
class Svg:
    nodes: dict[str, SvgNode]
    edges: list[tuple[str, str, list[str], list[str]]]  # tail, head, classes, texts
    clusters: list[SvgCluster]
    caption: list[str]  # the graph's own texts (its label)

    def with_class(self, name: str) -> list[SvgNode]:
        return [node for node in self.nodes.values() if name in node.classes]

    def by_first_text(self, text: str) -> SvgNode:
        found = [node for node in self.nodes.values() if node.texts and node.texts[0] == text]
        assert len(found) == 1, f"{len(found)} nodes start with {text!r}"
        return found[0]


def _classes(element: ElementTree.Element) -> list[str]:
    return (element.get("class") or "").split()


def _texts(element: ElementTree.Element) -> list[str]:
    return ["".join(text.itertext()) for text in element.iter(f"{SVG}text")]


def parse_svg(svg: str | bytes) -> Svg:
    root = ElementTree.fromstring(svg)
    nodes: dict[str, SvgNode] = {}
    edges = []
    clusters = []
    caption: list[str] = []
    graph = root.find(f"{SVG}g")
    assert graph is not None
    for element in graph:
        if element.tag == f"{SVG}text":
            caption.append("".join(element.itertext()))
    for group in root.iter(f"{SVG}g"):
        classes = _classes(group)
        title_element = group.find(f"{SVG}title")
        title = "" if title_element is None else (title_element.text or "")
        if "node" in classes:
            fills = [
                shape.get("fill", "")
                for shape in group
                if shape.tag in (f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path")
            ]
            points = [
                (float(text.get("x", "0")), float(text.get("y", "0")))
                for text in group.iter(f"{SVG}text")
            ]
            geometry = [
                shape.get("points")
                or ",".join(shape.get(key, "") for key in ("cx", "cy", "rx", "ry"))
                for shape in group
                if shape.tag in (f"{SVG}polygon", f"{SVG}ellipse")
            ]
            nodes[title] = SvgNode(title, classes, _texts(group), fills, points, geometry)
        elif "edge" in classes:
            tail, _, head = title.partition("->")
            edges.append((tail, head, classes, _texts(group)))
        elif "cluster" in classes:
            polygon = group.find(f"{SVG}polygon")
            if polygon is None:
                polygon = group.find(f"{SVG}path")
            assert polygon is not None
            xs, ys = _outline(polygon)
            clusters.append(
                SvgCluster(" ".join(_texts(group)), (min(xs), min(ys), max(xs), max(ys)))
            )
    return Svg(nodes, edges, clusters, caption)


def _outline(shape: ElementTree.Element) -> tuple[list[float], list[float]]:
    if shape.get("points"):
        pairs = [point.split(",") for point in (shape.get("points") or "").split()]
        return [float(x) for x, _ in pairs], [float(y) for _, y in pairs]
    # a rounded cluster is a path: "M x,y C x,y x,y ..."
    numbers = (shape.get("d") or "").replace("M", " ").replace("C", " ").replace("L", " ")
    pairs = [point.split(",") for point in numbers.split()]
    return [float(x) for x, _ in pairs], [float(y) for _, y in pairs]
