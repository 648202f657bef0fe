"""demos/seed.ipynb: committed without outputs, and runs top to bottom (shortened)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "demos" / "seed.ipynb"

SHORT_PARAMETERS = """
NO_ACTIVATION_EPOCHS = 3
SIGMOID_EPOCHS = 3
FAST = True
EXERCISE_SETTINGS = dict(full_epochs=12, sweep_epochs=2, batch_epochs=1)
VANISHING_EXAMPLES = 20
OUT = "out"
"""


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells
    for cell in code_cells:
        assert cell.outputs == [] and cell.execution_count is None


def _kernel_for_this_python(root: Path, monkeypatch) -> str:
    """A kernelspec running this interpreter (the venv's), found before any other."""
    name = "tinygrad-lite-tests"
    spec_dir = root / "kernels" / name
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tinygrad_lite tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(root))
    return name


def test_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    parameters[0].source = SHORT_PARAMETERS
    kernel = _kernel_for_this_python(tmp_path / "jupyter", monkeypatch)
    work = tmp_path / "work"
    work.mkdir()
    client = NotebookClient(
        notebook, kernel_name=kernel, timeout=300, resources={"metadata": {"path": str(work)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    def text_of(cell) -> str:
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    outputs = "\n".join(text_of(c) for c in notebook.cells if c.cell_type == "code")
    assert f"kernel: {sys.executable}" in outputs
    assert "tinygrad_lite == text: True" in outputs and "== text: False" not in outputs
    assert "TEXT IS WRONG" in outputs
    assert outputs.count("(tolerance 1e-09): OK") == 2
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if "data" in o]
    assert sum("image/png" in o["data"] for o in images) >= 4 + 5 + 1
    assert (work / "out" / "vanishing_gradients.png").exists()
    svgs = [o for o in images if "image/svg+xml" in o["data"]]
    assert len(svgs) == 1 and ">y_pred<" in svgs[0]["data"]["image/svg+xml"]
