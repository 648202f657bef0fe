"""A short tour of the engine on the seed notebook's first hidden unit:
build an expression, run backward, read the gradients, take a second derivative.

Run with ``python demos/engine_tour.py``.
"""

from tinygrad_lite import Value, grad


def main() -> None:
    x = Value(0.5, label="x")
    w1 = Value(0.2, label="w1")
    b1 = Value(0.4, label="b1")
    z1 = w1 * x + b1
    z1.label = "z1"
    a1 = z1.sigmoid()
    a1.label = "a1"
    loss = 0.5 * (0.8 - a1) ** 2
    loss.label = "L"
    loss.backward()
    print("L = 0.5 * (0.8 - sigmoid(w1*x + b1))**2")
    for node in (loss, a1, z1, w1, b1, x):
        print(f"  {node.label:>2}: data={node.data:+.6f}  dL/d{node.label}={node.grad:+.6e}")

    (dl_dw1,) = grad(loss, [w1], create_graph=True)
    (d2l_dw1,) = grad(dl_dw1, [w1])
    print(f"dL/dw1 = {dl_dw1.data:+.6e}, d2L/dw1^2 = {d2l_dw1.data:+.6e}")


if __name__ == "__main__":
    main()
