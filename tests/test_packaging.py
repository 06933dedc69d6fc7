"""The install contract: pyproject.toml is the single dependency list, environment.yml follows it."""
from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_environment_yml_delegates_to_pyproject():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    assert [d.split(">")[0].split("=")[0] for d in conda] == ["python", "pip"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert conda[0] == "python" + project["requires-python"]
    extras = set(project["optional-dependencies"])
    assert pip == ["-e .[" + ",".join(sorted(extras & {"dev", "lab"})) + "]"]


def test_every_dependency_has_a_lower_bound():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = project["dependencies"] + [d for group in project["optional-dependencies"].values() for d in group]
    assert all(">=" in d for d in deps), [d for d in deps if ">=" not in d]


def test_console_entry_point_and_package_data():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["shopscore"] == "shopscore_nb.cli:main"
    data = project["tool"]["setuptools"]["package-data"]["shopscore_nb"]
    for pattern in data:
        assert list((REPO / "shopscore_nb").glob(pattern)), pattern


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "make test" in ci
