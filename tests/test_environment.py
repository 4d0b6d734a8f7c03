"""The conda environment, the pinned dependencies and the CI entry point agree."""

import re
import stat
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0]


def _canonical(requirement: str) -> str:
    """Normalise the project name (PEP 503) so 'PyYAML==6' and 'pyyaml==6' compare equal."""
    name = _name(requirement)
    return re.sub(r"[-_.]+", "-", name).lower() + requirement[len(name):].replace(" ", "")


def pyproject_pins() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_canonical(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}


def environment_pins() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml needs exactly one pip: list"
    return {_canonical(r) for r in pip_lists[0]}


def test_pyproject_dependencies_are_pinned():
    unpinned = sorted(r for r in pyproject_pins() if not re.fullmatch(r"[a-z0-9-]+==[^=<>,]+", r))
    assert not unpinned, f"not pinned with ==: {unpinned}"


def test_environment_yml_lists_exactly_the_pyproject_pins():
    expected, listed = pyproject_pins(), environment_pins()
    assert listed == expected, (f"only in pyproject.toml: {sorted(expected - listed)}; "
                                f"only in environment.yml: {sorted(listed - expected)}")


def test_environment_yml_python_and_name():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "genomics-hybrid"
    assert "python=3.11" in env["dependencies"] and "pip" in env["dependencies"]


def readme_commands() -> list[str]:
    """The commands of the README's "Quick start" code block, comments stripped."""
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    block = re.search(r"```[a-z]*\n(.*?)```", section.group(1), re.S)
    assert block, "the Quick start section has no code block"
    lines = (line.split("#", 1)[0].strip() for line in block.group(1).splitlines())
    return [line for line in lines if line]


def test_ci_runs_exactly_the_readme_test_command():
    test_commands = [c for c in readme_commands() if re.search(r"\btest\b", c)]
    assert len(test_commands) == 1, f"README Quick start should name one test command: {test_commands}"
    run = ROOT / ".ci" / "run"
    lines = run.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    body = [line.strip() for line in lines[1:] if line.strip() and not line.lstrip().startswith("#")]
    assert body[0] == "set -euo pipefail"
    assert body[1].startswith("cd ")
    assert body[-1] == test_commands[0], f".ci/run ends with {body[-1]!r}, README's test " \
        f"command is {test_commands[0]!r}"
    book = [c for c in readme_commands() if "book" in c]
    assert any(line.startswith(book[0]) for line in body), \
        f".ci/run does not build the book with the README's command {book[0]!r}"
    assert run.stat().st_mode & stat.S_IXUSR, ".ci/run must be executable"
