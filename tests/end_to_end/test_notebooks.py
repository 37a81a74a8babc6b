"""The notebooks in notebooks/ run top to bottom after `python main.py`, as a user runs them.

The shared labelled datamart (tests/conftest.py: 400 customers over 12 months, six application
months with a label, enough for the sanity model's time split) is copied into a project-shaped
temporary folder:
data/, datamart/, notebooks/ and the project's utils/ and main.py. The notebooks run there without any
environment variable, so they must find ../datamart and the data on their own.
"""

import shutil
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_SECONDS = 600


def test_the_three_notebooks_are_there():
    assert [path.name for path in NOTEBOOKS] == [
        "01_raw_data_exploration.ipynb",
        "02_datamart_tour.ipynb",
        "03_sanity_model.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name} has outputs in cells {dirty}; strip them before committing: "
        f"jupyter nbconvert --clear-output --inplace notebooks/*.ipynb"
    )


@pytest.fixture(scope="module")
def project(labelled_run, tmp_path_factory) -> Path:
    """A project folder after `python main.py` on small generated data (a copy of the shared one)."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "utils").symlink_to(ROOT / "utils", target_is_directory=True)
    (folder / "main.py").symlink_to(ROOT / "main.py")  # notebook 02 runs the pipeline in its session
    (folder / "notebooks").mkdir()
    data, datamart = labelled_run
    shutil.copytree(data, folder / "data")
    shutil.copytree(datamart, folder / "datamart")
    return folder


def run_notebook(path: Path, project: Path, monkeypatch) -> nbformat.NotebookNode:
    """Runs the notebook in a new kernel, then shuts the kernel down as Jupyter does when a
    notebook is closed, and checks that it exited when asked and Spark cleaned up after itself
    (utils/platform/jupyter_kernel.py)."""
    for name in ("DATAMART_DIR", "DATAMART_DATA_DIR"):  # the notebooks find the datamart themselves
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPARK_MASTER", "local[2]")
    spark_temp = project / "spark_local_dirs"
    spark_temp.mkdir(exist_ok=True)
    monkeypatch.setenv("SPARK_LOCAL_DIRS", str(spark_temp))
    notebook = nbformat.read(path, as_version=4)
    kernel_manager = KernelManager(kernel_name="python3")
    client = NotebookClient(
        notebook,
        km=kernel_manager,  # so the test shuts the kernel down and sees how it exited
        timeout=CELL_TIMEOUT_SECONDS,
        resources={"metadata": {"path": str(project / "notebooks")}},
    )
    try:
        client.execute()
    finally:
        kernel = kernel_manager.provisioner.process
        client.kc.stop_channels()
        kernel_manager.shutdown_kernel()
    # A kernel Jupyter had to end (SIGTERM after 2.5 s) returns -15.
    assert kernel.returncode == 0, f"{path.name}: the kernel did not exit when asked: {kernel.returncode}"
    assert not list(spark_temp.iterdir()), f"{path.name}: Spark left temp folders: {list(spark_temp.iterdir())}"
    return notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom_on_the_datamart(path, project, monkeypatch):
    notebook = run_notebook(path, project, monkeypatch)

    chart_cells = [cell for cell in notebook.cells if cell.cell_type == "code" and "plt.show()" in cell.source]
    blank = [
        cell.source.splitlines()[0]
        for cell in chart_cells
        if not any("image/png" in output.get("data", {}) for output in cell.outputs)
    ]
    assert chart_cells and not blank, f"{path.name}: chart cells that drew nothing: {blank}"
    warnings = [
        output.text
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("name") == "stderr" and "Warning" in output.text and "incubator" not in output.text
    ]
    assert not warnings, f"{path.name} printed warnings:\n" + "\n".join(warnings)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_without_a_datamart_says_to_run_main_py_first(path, tmp_path, monkeypatch):
    (tmp_path / "utils").symlink_to(ROOT / "utils", target_is_directory=True)
    (tmp_path / "notebooks").mkdir()
    with pytest.raises(CellExecutionError, match=r"run `python main\.py`"):
        run_notebook(path, tmp_path, monkeypatch)
