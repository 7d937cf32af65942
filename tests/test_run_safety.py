"""Output paths, Ctrl-C and concurrent runs: a clerk's bulletin folder is never lost or half-written.

The fast tests run the real build_bulletin with the notebook execution and the HTML export replaced by
fakes (the locking, swapping and clean-up are the real code); two slow tests run the real CLI.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kwstats import kernel, outputs
from kwstats.bulletin import build_bulletin
from kwstats.cli import EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_USAGE, main
from kwstats.exceptions import EmptyMonthError, MonthLockedError, OutputPathError
from kwstats.outputs import clean_leftovers, month_lock

REPO = Path(__file__).resolve().parent.parent
KWSTATS = [sys.executable, "-m", "kwstats.cli"]  # the interpreter running the tests, whatever its venv
HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间\n"


def tiny_export(path: Path, month: str = "2022-01") -> Path:
    """Three cases of `month`: two complaints (one closed) and a report."""
    path.write_text(
        HEADER + f"A1,投诉,{month}-05 09:00,站前所,{month}-06 10:00\n"
        f"A2,投诉,{month}-06 09:00,新发所,\n"
        f"A3,举报,{month}-07 09:00,站前所,{month}-20 10:00\n",
        encoding="utf-8",
    )
    return path


class FakeRun:
    """Stands in for papermill (writes the notebook, table.xlsx and drilldown.xlsx) and nbconvert;
    counts overlap."""

    def __init__(self, delay: float = 0.0, fail: type[BaseException] | None = None) -> None:
        self.delay, self.fail = delay, fail
        self.notices: list[dict[str, str]] = []  # what the notebook records for the parent
        self.active = self.most = self.calls = 0
        self.guard = threading.Lock()

    def execute(self, out_path: Path, parameters: dict, *, cwd: Path, **_kw):
        import nbformat
        from nbformat.v4 import new_code_cell, new_notebook, new_output

        with self.guard:
            self.calls += 1
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(self.delay)
            if self.fail is not None:
                raise self.fail()
            cell = new_code_cell(f"output_dir = {parameters['output_dir']!r}")
            cell.metadata["tags"] = ["injected-parameters"]
            warnings = new_output("display_data", data={kernel.WARNINGS_MIME: self.notices, "text/plain": ""})
            nb = new_notebook(cells=[cell, new_code_cell("record", outputs=[warnings])])
            nbformat.write(nb, out_path)
            assert (Path(cwd) / parameters["ingest_dir"] / "cases.parquet").is_file()
            for name in ("table.xlsx", "drilldown.xlsx"):
                (Path(cwd) / parameters["output_dir"] / name).write_bytes(b"xlsx")
        finally:
            with self.guard:
                self.active -= 1
        return nb

    @staticmethod
    def export_html(nb, path, *, official: bool, title: str) -> Path:
        Path(path).write_text(f"{title} {threading.get_ident()}", encoding="utf-8")
        return Path(path)


@pytest.fixture
def fake(monkeypatch) -> FakeRun:
    import kwstats.render

    run = FakeRun()
    monkeypatch.setattr(kernel, "execute_notebook", run.execute)
    monkeypatch.setattr(kernel, "started", lambda cwd: contextlib.nullcontext())  # no real kernel
    monkeypatch.setattr(kernel, "load_papermill", lambda: None)
    monkeypatch.setattr(kwstats.render, "export_html", run.export_html)
    monkeypatch.setattr(kwstats.render, "warm_up", lambda: None)
    monkeypatch.setenv("KWSTATS_NO_CACHE", "1")
    return run


def previous_bulletin(out: Path, folder: str = "2022-01") -> Path:
    """An earlier run's bulletin, as a clerk has it."""
    (out / folder).mkdir(parents=True)
    page = out / folder / "bulletin.html"
    page.write_text("上个版本的通报", encoding="utf-8")
    return page


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))


# ---------------------------------------------------------------------------------------------
# --out that cannot hold the outputs: exit 2, one Chinese line naming the path


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("注意：")]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "Error" not in err
    return lines[0]


@pytest.mark.parametrize("command", ["bulletin", "sample"])
def test_out_that_is_a_file(tmp_path, capsys, command):
    taken = tmp_path / "通报.txt"
    taken.write_text("x", encoding="utf-8")
    data = ["--data", str(tiny_export(tmp_path / "a.csv"))]
    args = ["bulletin", "--month", "2022-01", *data] if command == "bulletin" else ["sample"]
    assert main([*args, "--out", str(taken)]) == EXIT_USAGE
    line = _one_line(capsys.readouterr().err)
    assert str(taken) in line and "是一个文件，不是文件夹" in line
    assert taken.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("command", ["bulletin", "sample"])
def test_out_under_a_file(tmp_path, capsys, command):
    taken = tmp_path / "通报.txt"
    taken.write_text("x", encoding="utf-8")
    data = ["--data", str(tiny_export(tmp_path / "a.csv"))]
    args = ["bulletin", "--month", "2022-01", *data] if command == "bulletin" else ["sample"]
    assert main([*args, "--out", str(taken / "outputs")]) == EXIT_USAGE
    line = _one_line(capsys.readouterr().err)
    assert str(taken / "outputs") in line and f"上级 {taken} 是一个文件" in line


@pytest.mark.parametrize("command", ["bulletin", "sample"])
@pytest.mark.parametrize(
    ("error", "words"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "没有权限写入"),
        (OSError(errno.EROFS, "Read-only file system"), "只读的磁盘"),
    ],
)
def test_out_not_writable(tmp_path, capsys, monkeypatch, command, error, words):
    """Run as root here, so the refusal is simulated where the operating system would give it."""
    data = ["--data", str(tiny_export(tmp_path / "a.csv"))]
    out = tmp_path / "outputs"
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self == out:
            raise type(error)(error.errno, error.strerror, str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    args = ["bulletin", "--month", "2022-01", *data] if command == "bulletin" else ["sample"]
    assert main([*args, "--out", str(out)]) == EXIT_USAGE
    line = _one_line(capsys.readouterr().err)
    assert str(out) in line and words in line


def test_sample_write_failing_midway_names_the_folder(tmp_path, capsys, monkeypatch):
    from kwstats import sample

    def write_sample(out, seed):
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(out) / "12315_2020-01.xlsx"))

    monkeypatch.setattr(sample, "write_sample", write_sample)
    assert main(["sample", "--out", str(tmp_path / "s")]) == EXIT_USAGE
    line = _one_line(capsys.readouterr().err)
    assert str(tmp_path / "s") in line and "磁盘已满" in line


def test_sample_folder_is_marked_so_a_data_walk_passes_it_over(tmp_path, monkeypatch, capsys):
    from kwstats import sample
    from kwstats.sample_files import MARKER_NAME

    def write_sample(out, seed):
        return [tiny_export(Path(out) / "12315_2022-01.csv")]

    monkeypatch.setattr(sample, "write_sample", write_sample)
    assert main(["sample", "--out", str(tmp_path / "data" / "sample")]) == 0
    assert (tmp_path / "data" / "sample" / MARKER_NAME).is_file()


def test_bulletin_out_error_comes_before_reading_any_data(tmp_path, fake):
    taken = tmp_path / "f"
    taken.write_text("x", encoding="utf-8")
    with pytest.raises(OutputPathError, match="是一个文件"):
        build_bulletin("2022-01", data=[tiny_export(tmp_path / "a.csv")], out_dir=taken)
    assert fake.calls == 0


# ---------------------------------------------------------------------------------------------
# Ctrl-C


def test_interrupt_leaves_previous_bulletin_and_no_scratch(tmp_path, fake, monkeypatch, capsys):
    out = tmp_path / "outputs"
    page = previous_bulletin(out)
    fake.fail = KeyboardInterrupt
    data = str(tiny_export(tmp_path / "a.csv"))
    with pytest.raises(KeyboardInterrupt):
        build_bulletin("2022-01", data=[data], out_dir=out)
    assert page.read_text(encoding="utf-8") == "上个版本的通报"
    assert leftovers(out) == []
    assert main(["bulletin", "--month", "2022-01", "--data", data, "--out", str(out)]) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == "已中断（Ctrl-C），没有写出新的通报，已有的通报不变。"
    assert "Traceback" not in err
    assert leftovers(out) == [] and page.read_text(encoding="utf-8") == "上个版本的通报"


def test_interrupt_in_table_is_one_line(tmp_path, monkeypatch, capsys):
    import kwstats.sources

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(kwstats.sources, "load_cases", interrupted)
    code = main(["table", "--month", "2022-01", "--data", str(tiny_export(tmp_path / "a.csv"))])
    assert code == EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip() == "已中断（Ctrl-C）。"


def test_kernel_left_running_is_killed():
    """The fallback when papermill's own shut-down was cut short: the kernel's process group is killed."""
    watch = kernel._KernelWatch()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    watch.processes.append(proc)
    watch.close()
    assert proc.poll() is not None


@pytest.mark.slow
def test_ctrl_c_during_a_real_run(tmp_path, sample_ingest):
    """SIGINT to the whole process group (what a terminal's Ctrl-C does) while the kernel computes."""
    import psutil

    out = tmp_path / "outputs"
    page = previous_bulletin(out)
    proc = subprocess.Popen(
        [*KWSTATS, "bulletin", "--month", "2022-01", "--sample", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=tmp_path,
    )
    kernels: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not kernels:  # the kernel starts after the scratch folder
        if any(name.startswith(".2022-01-") for name in os.listdir(out)):
            kernels = {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        time.sleep(0.02)
    assert kernels, "the kernel never started"
    time.sleep(0.2)  # the kernel is starting or executing cells (it runs for seconds)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    err = err.decode("utf-8")
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert err.strip().splitlines()[-1] == "已中断（Ctrl-C），没有写出新的通报，已有的通报不变。"
    assert "Traceback" not in err and "Error" not in err
    assert leftovers(out) == []
    assert page.read_text(encoding="utf-8") == "上个版本的通报"
    assert sorted(p.name for p in (out / "2022-01").iterdir()) == ["bulletin.html"]
    time.sleep(0.5)
    alive = [
        pid
        for pid in kernels
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert alive == [], "a kernel survived Ctrl-C"


# ---------------------------------------------------------------------------------------------
# concurrent runs and the swap


def test_three_concurrent_runs_take_turns(tmp_path, fake, caplog):
    out = tmp_path / "outputs"
    page = previous_bulletin(out)
    data = [tiny_export(tmp_path / "a.csv")]
    fake.delay = 0.3
    results, errors = [], []

    def run() -> None:
        try:
            results.append(build_bulletin("2022-01", data=data, out_dir=out))
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(results) == 3
    assert fake.calls == 3 and fake.most == 1, "two runs wrote the same month at once"
    assert "另一个运行" in caplog.text and "正在生成 2022-01，等待" in caplog.text
    assert sorted(p.name for p in (out / "2022-01").iterdir()) == [
        "bulletin-analyst.html",
        "bulletin.html",
        "bulletin.ipynb",
        "drilldown.xlsx",
        "table.xlsx",
    ]
    assert page.read_text(encoding="utf-8") != "上个版本的通报"
    assert leftovers(out) == []


def test_no_wait_refuses_while_another_run_holds_the_month(tmp_path, fake, capsys):
    out = tmp_path / "outputs"
    out.mkdir()
    data = str(tiny_export(tmp_path / "a.csv"))
    with month_lock(out, "2022-01"):
        with pytest.raises(MonthLockedError, match="另一个运行.*正在生成 2022-01"):
            build_bulletin("2022-01", data=[data], out_dir=out, wait=False)
        code = main(["bulletin", "--month", "2022-01", "--data", data, "--out", str(out), "--no-wait"])
        assert code == EXIT_LOCKED
        err = capsys.readouterr().err
        assert f"（进程 {os.getpid()}）" in err and "--no-wait" in err and "Traceback" not in err
        # another month is not held
        assert build_bulletin("2022-01", data=[data], out_dir=out, cutoff="2022-01-20", wait=False)
    assert fake.calls == 1
    assert build_bulletin("2022-01", data=[data], out_dir=out, wait=False)["正式版"].exists()


def test_waiting_run_goes_on_when_the_lock_is_released(tmp_path, fake, caplog):
    out = tmp_path / "outputs"
    out.mkdir()
    data = [tiny_export(tmp_path / "a.csv")]
    done = []
    with month_lock(out, "2022-01"):
        t = threading.Thread(target=lambda: done.append(build_bulletin("2022-01", data=data, out_dir=out)))
        t.start()
        deadline = time.monotonic() + 30
        while "等待" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "另一个运行" in caplog.text and not done
    t.join(timeout=30)
    assert done and done[0]["正式版"].exists()


def test_swap_is_one_exchange_and_a_kill_after_it_loses_nothing(tmp_path, monkeypatch):
    """Killed right after the exchange: the new bulletin is in place, the old one waits under a scratch
    name, and the next run clears it."""
    out = tmp_path / "outputs"
    page = previous_bulletin(out)
    new = out / ".2022-01-abcd1234"
    new.mkdir()
    (new / "bulletin.html").write_text("新的通报", encoding="utf-8")
    real_exchange = outputs._exchange

    def exchange_then_die(a, b):
        assert real_exchange(a, b), "RENAME_EXCHANGE is available on this machine's file system"
        raise SystemExit("killed")

    monkeypatch.setattr(outputs, "_exchange", exchange_then_die)
    with pytest.raises(SystemExit):
        outputs.replace_dir(new, out / "2022-01")
    assert page.read_text(encoding="utf-8") == "新的通报"
    assert (new / "bulletin.html").read_text(encoding="utf-8") == "上个版本的通报"
    assert clean_leftovers(out, "2022-01") == [new]
    assert leftovers(out) == [] and page.read_text(encoding="utf-8") == "新的通报"


def test_without_exchange_a_kill_between_renames_is_repaired(tmp_path, monkeypatch, fake, caplog):
    """Where RENAME_EXCHANGE is missing: killed between the two renames, the month folder is gone for a
    moment; the next run puts the previous bulletin back before anything else."""
    out = tmp_path / "outputs"
    page = previous_bulletin(out)
    new = out / ".2022-01-abcd1234"
    new.mkdir()
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    real_replace, calls = os.replace, []

    def replace_then_die(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:
            raise SystemExit("killed")
        real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", replace_then_die)
    with pytest.raises(SystemExit):
        outputs.replace_dir(new, out / "2022-01")
    monkeypatch.setattr(outputs.os, "replace", real_replace)
    assert not (out / "2022-01").exists() and (out / ".2022-01.old" / "bulletin.html").exists()
    clean_leftovers(out, "2022-01")
    assert page.read_text(encoding="utf-8") == "上个版本的通报"
    assert "已把原有通报恢复" in caplog.text and leftovers(out) == []
    # and the fallback swap itself works end to end
    build_bulletin("2022-01", data=[tiny_export(tmp_path / "a.csv")], out_dir=out)
    assert page.read_text(encoding="utf-8").startswith("宽城分局") and leftovers(out) == []


def test_stale_scratch_folders_are_cleared_at_the_next_run(tmp_path, fake):
    out = tmp_path / "outputs"
    out.mkdir()
    for name in (
        ".2022-01-abcd1234",
        ".2022-01-zz_9x8y7",
        ".2022-02-abcd1234",
        ".2022-01_截至2022-01-20_2359-abcd1234",
    ):
        (out / name).mkdir()
        (out / name / "bulletin.ipynb").write_text("{}", encoding="utf-8")
    (out / ".2022-01.old").mkdir()  # left by an older kwstats beside a complete folder
    previous_bulletin(out)
    build_bulletin("2022-01", data=[tiny_export(tmp_path / "a.csv")], out_dir=out)
    assert leftovers(out) == [".2022-01_截至2022-01-20_2359-abcd1234", ".2022-02-abcd1234"]


def test_failed_run_leaves_no_scratch_and_keeps_previous(tmp_path, fake):
    from kwstats.exceptions import NotebookExecutionError

    out = tmp_path / "outputs"
    page = previous_bulletin(out)
    fake.fail = lambda: NotebookExecutionError("失败")
    with pytest.raises(NotebookExecutionError):
        build_bulletin("2022-01", data=[tiny_export(tmp_path / "a.csv")], out_dir=out)
    assert page.read_text(encoding="utf-8") == "上个版本的通报" and leftovers(out) == []


@pytest.mark.slow
def test_two_real_runs_at_once(tmp_path, sample_ingest):
    """Two processes for the same month: the second, --no-wait, is told in Chinese that the first holds
    the month (exit 75) and leaves everything to it; the first completes. (Waiting is tested above with
    the same lock code; one real run keeps this test short.)"""
    out = tmp_path / "outputs"
    previous_bulletin(out)
    cmd = [*KWSTATS, "bulletin", "--month", "2022-01", "--sample", "--out", str(out)]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not any(name.startswith(".2022-01-") for name in os.listdir(out)):  # it holds the lock
        assert time.monotonic() < deadline and first.poll() is None, "the first run never started"
        time.sleep(0.02)
    second = subprocess.run([*cmd, "--no-wait"], capture_output=True, cwd=tmp_path, timeout=120)
    _, first_err = first.communicate(timeout=180)
    err = second.stderr.decode("utf-8")
    assert second.returncode == EXIT_LOCKED, err
    assert f"错误：另一个运行（进程 {first.pid}）正在生成 2022-01" in err
    assert first.returncode == 0, first_err.decode("utf-8")
    for text in (err, first_err.decode("utf-8")):
        assert "Traceback" not in text and "No such file" not in text
    assert sorted(p.name for p in (out / "2022-01").iterdir()) == [
        "bulletin-analyst.html",
        "bulletin.html",
        "bulletin.ipynb",
        "drilldown.xlsx",
        "table.xlsx",
    ]
    assert leftovers(out) == []


# ---------------------------------------------------------------------------------------------
# a month without cases stops before any kernel


def test_empty_month_is_refused_before_the_kernel(tmp_path, fake, capsys):
    import shutil

    from kwstats.params import DEFAULT_PARAMS_DIR

    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    (params / "2022-02.yaml").write_text('month: "2022-02"\n', encoding="utf-8")
    data = tiny_export(tmp_path / "a.csv", "2022-01")
    out = tmp_path / "outputs"
    with pytest.raises(EmptyMonthError, match="2022-02 没有任何投诉、举报案件.*--draft"):
        build_bulletin("2022-02", data=[data], params_dir=params, out_dir=out)
    code = main(
        ["bulletin", "--month", "2022-02", "--data", str(data), "--params", str(params), "--out", str(out)]
    )
    assert code == 1
    assert "2022-02 没有任何投诉、举报案件" in capsys.readouterr().err
    assert fake.calls == 0
    assert not list(out.glob("*failed*")) and not (out / "2022-02").exists()
    build_bulletin("2022-02", data=[data], params_dir=params, out_dir=out, draft=True)
    assert fake.calls == 1


def test_split_set_aside_by_file_case_id_and_registration():
    """The month's rows: its files', its case ids' (a conflicting duplicate kept elsewhere), and, when
    the set-aside table records it, those registered in the month. Total rows are neither."""
    from types import SimpleNamespace

    import pandas as pd

    from kwstats.setaside import set_aside_message, split_set_aside
    from tests.conftest import make_cases

    cases = make_cases(
        [
            {"case_id": "J1", "kind": "投诉", "registered_at": "2022-01-05", "source_file": "jan.csv"},
            {"case_id": "D1", "kind": "投诉", "registered_at": "2021-12-05", "source_file": "dec.csv"},
        ]
    )
    rejected = pd.DataFrame(
        {
            "source_file": ["jan.csv", "dec.csv", "dec.csv", "dec.csv", "dec.csv"],
            "source_line": [3, 4, 5, 6, 7],
            "column": ["类型", "编号", "类型", "合计", "类型"],
            "value": ["建议", "J1", "建议", "", "建议"],
            "reason": [
                "业务类型无法识别",
                "编号重复但内容不同",
                "业务类型无法识别",
                "合计行",
                "业务类型无法识别",
            ],
            "case_id": ["J9", "J1", "D9", pd.NA, "D8"],
        }
    )
    result = SimpleNamespace(cases=cases, rejected=rejected)
    mine, history = split_set_aside(result, "2022-01")
    assert list(mine["source_line"]) == [3, 4] and list(history["source_line"]) == [5, 7]
    assert set_aside_message(result, "2022-01").startswith("导入时剔除 2 行与 2022-01 有关的问题数据")
    rejected["registered_at"] = pd.to_datetime(["2022-01-02", None, None, None, "2022-01-30"])
    mine, history = split_set_aside(result, "2022-01")
    assert list(mine["source_line"]) == [3, 4, 7] and list(history["source_line"]) == [5]


def test_kernel_warnings_are_relayed_as_data(tmp_path, fake, caplog):
    """The notebook's notices come back as data; the set-aside line is the parent's own, said once."""
    bad = tiny_export(tmp_path / "a.csv")
    bad.write_text(bad.read_text(encoding="utf-8") + "A4,建议,2022-01-08 09:00,站前所,\n", encoding="utf-8")
    fake.notices = [
        {"kind": "set_aside", "message": "导入时剔除（内核里的同一句）"},
        {"kind": "calendar", "message": "工作日历未覆盖 2027 年"},
    ]
    build_bulletin("2022-01", data=[bad], out_dir=tmp_path / "outputs")
    said = [r.getMessage() for r in caplog.records]
    assert said.count("工作日历未覆盖 2027 年") == 1 and "导入时剔除（内核里的同一句）" not in said
    assert sum(m.startswith("导入时剔除 1 行与 2022-01 有关的问题数据") for m in said) == 1


def test_most_cases_off_the_roster_stop_the_official_run_before_the_kernel(tmp_path, fake):
    """Two of three cases at a unit no roster entry names (67 % > the 50 % stop share)."""
    export = tmp_path / "a.csv"
    export.write_text(
        HEADER
        + "B1,投诉,2022-01-05 09:00,某某局,\nB2,投诉,2022-01-06 09:00,某某局,\nB3,投诉,2022-01-07 09:00,站前所,\n",
        encoding="utf-8",
    )
    from kwstats.checks import OffRosterError

    with pytest.raises(OffRosterError, match="受理 3 件中有 2 件（67%）不在名册的任何单位下"):
        build_bulletin("2022-01", data=[export], out_dir=tmp_path / "outputs")
    assert fake.calls == 0
    build_bulletin("2022-01", data=[export], out_dir=tmp_path / "outputs", draft=True)
    assert fake.calls == 1
