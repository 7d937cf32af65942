"""environment.yml must take its packages from pyproject.toml, never list its own."""

import tomllib

import yaml

from tests.conftest import REPO


def test_environment_yml_takes_packages_from_pyproject():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    conda_deps = [d for d in env["dependencies"] if isinstance(d, str)]
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    # conda brings only the interpreter and pip; everything else is pip-installed from the project
    assert sorted(d.split("=")[0] for d in conda_deps) == ["pip", "python"]
    assert pip_sections == [["-r requirements.lock", "-e ."]]
    py = next(d for d in conda_deps if d.startswith("python"))
    assert project["requires-python"] == ">=" + py.split("=")[1]
    assert "test" in project["optional-dependencies"]


def _name(requirement: str) -> str:
    import re

    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_lock_pins_every_dependency_once():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    lines = [
        ln.strip()
        for ln in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    pinned = {_name(ln): ln.split("==", 1)[1] for ln in lines if "==" in ln}
    assert all("==" in ln for ln in lines), "every line of the lock is an exact pin"
    assert wanted <= set(pinned), f"not in requirements.lock: {sorted(wanted - set(pinned))} (run make lock)"
