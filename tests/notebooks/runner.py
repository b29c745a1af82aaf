"""Executes a notebook headlessly with a local kernel, papermill style, and fails on any cell error."""
from pathlib import Path

import nbformat

PARAMETERS_TAG = "parameters"


def inject_parameters(notebook: nbformat.NotebookNode, parameters: dict) -> None:
    """Inserts an `injected-parameters` cell after the cell tagged `parameters` (papermill's convention)."""
    index = next(i for i, cell in enumerate(notebook.cells) if PARAMETERS_TAG in cell.metadata.get("tags", []))
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(index + 1, cell)


def execute(path: Path, parameters: dict, *, cwd: Path, output: Path | None = None, timeout: int = 240) -> nbformat.NotebookNode:
    """Runs every cell in order on the local `python3` kernel (whatever kernel the notebook names);
    nbclient raises CellExecutionError on the first failing cell. Writes the executed copy to `output`."""
    from nbclient import NotebookClient  # Jupyter's client stack: a third of a second, for these tests only

    notebook = nbformat.read(path, as_version=4)
    inject_parameters(notebook, parameters)
    client = NotebookClient(notebook, kernel_name="python3", timeout=timeout, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    finally:
        if output:
            nbformat.write(notebook, output)
    return notebook
