"""A short tour of the engine: build an expression, run backward, read the gradients.

Run with ``python demos/engine_tour.py``.
"""

from tinygrad_lite import Value, grad


def main() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = d.tanh()
    f.label = "f"
    f.backward()
    print("f = tanh(a*b + c)")
    for node in (f, d, e, a, b, c):
        print(f"  {node.label}: data={node.data:+.6f}  df/d{node.label}={node.grad:+.6e}")

    x = Value(2.0, label="x")
    (dy_dx,) = grad(x**3, [x], create_graph=True)
    (d2y_dx2,) = grad(dy_dx, [x])
    print(f"y = x**3 at x=2: dy/dx = {dy_dx.data}, d2y/dx2 = {d2y_dx2.data}")


if __name__ == "__main__":
    main()
