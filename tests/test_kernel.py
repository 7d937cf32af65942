"""The notebook boundary: errors come back as papermill's fields, warnings as a JSON output."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output

from kwstats import kernel
from kwstats.checks import OffRosterError
from kwstats.exceptions import MissingColumnError, NotebookExecutionError, ParamsError, StaleProseError
from kwstats.ingest import NoExportsFoundError

NOTE = "已执行的 notebook 保存在 /out/2022-01-failed.ipynb，可打开查看；原有的通报未被改动。"


def test_a_kwstats_error_keeps_its_class_and_message():
    for cls in (ParamsError, StaleProseError, OffRosterError, NoExportsFoundError, MissingColumnError):
        error = kernel.kernel_error(cls.__name__, "参数文件 params/deadlines.yaml 有误。", 3, "x = 1", NOTE)
        assert type(error) is cls
        assert str(error) == f"参数文件 params/deadlines.yaml 有误。{NOTE}"


def test_anything_else_names_the_cell():
    error = kernel.kernel_error("ZeroDivisionError", "division by zero", 7, "\n  x = 1 / 0\ny = 2", NOTE)
    assert type(error) is NotebookExecutionError
    assert (
        str(error)
        == f"通报 notebook 第 7 个单元格（x = 1 / 0）出错：ZeroDivisionError: division by zero。{NOTE}"
    )
    # a class of the same name that is not a kwstats error is not taken for one
    assert type(kernel.kernel_error("ValueError", "bad", None)) is NotebookExecutionError
    assert str(kernel.kernel_error("KeyError", "'x'", None)).startswith(
        "通报 notebook 一个单元格出错：KeyError"
    )


def test_warnings_are_read_as_data_from_the_executed_notebook():
    payload = [
        {"kind": "calendar", "message": "工作日历未覆盖 2027 年"},
        {"kind": "set_aside", "message": "剔除"},
    ]
    cell = new_code_cell(
        "record",
        outputs=[
            new_output("display_data", data={"text/html": '<p class="kw-warning">⚠ 别的</p>'}),
            new_output("display_data", data={kernel.WARNINGS_MIME: payload, "text/plain": ""}),
            new_output("display_data", data={kernel.WARNINGS_MIME: payload[:1], "text/plain": ""}),
        ],
    )
    nb = new_notebook(cells=[new_code_cell("x = 1"), cell])
    assert kernel.notebook_warnings(nb) == payload  # each once, in order; no HTML read


def test_a_kernel_started_early_runs_the_notebook_in_its_folder_and_dies_with_the_block(tmp_path):
    """`kernel.started` boots the kernel (and its imports) before papermill connects: the notebook runs
    in that kernel, in the given folder, numbered from 1 as if papermill had started it; the warm-up
    leaves nothing in the notebook; the kernel is gone when the block ends."""

    import nbformat

    source = tmp_path / "nb.ipynb"
    nb = new_notebook(
        cells=[new_code_cell("import os\nprint(os.getcwd())"), new_code_cell("print(os.getpid())")]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, source)
    work = tmp_path / "scratch"
    work.mkdir()
    with kernel.started(work) as early:
        assert early is not None
        process = early.watch.processes[0]
        executed = kernel.execute_notebook(
            tmp_path / "out.ipynb", {}, cwd=work, notebook=source, kernel=early
        )
        assert process.poll() is not None, "execute_notebook shuts the kernel down"
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[0].outputs[0]["text"].strip() == str(work)
    assert int(code[1].outputs[0]["text"]) == process.pid  # that very kernel ran the cells
    assert "kwstats" not in "".join(c.source for c in code)


def test_a_kernel_started_early_is_killed_when_the_run_stops_before_the_notebook(tmp_path):
    with kernel.started(tmp_path) as early:
        assert early is not None
        process = early.watch.processes[0]
        assert process.poll() is None
    assert process.poll() is not None
