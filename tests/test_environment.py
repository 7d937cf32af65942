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
    assert pip_sections == [["-e .[test]"]]
    py = next(d for d in conda_deps if d.startswith("python"))
    assert project["requires-python"] == ">=" + py.split("=")[1]
    assert "test" in project["optional-dependencies"]
