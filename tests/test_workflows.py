"""The GitHub Actions workflows, checked here since they cannot run here.

actionlint cannot be installed offline (its PyPI wrapper downloads the binary
from GitHub when it is built), so these tests load ``.github/workflows/*.yml``
with PyYAML and check what matters to this repository: the triggers, the
permissions the Pages deployment needs and no more elsewhere, that every
command a job runs is a ``make`` target of the Makefile (or the system's
set-up), and that every action is pinned to a version tag.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
# A line of a run: step that sets up the system rather than testing anything.
SETUP = re.compile(r"(DEBIAN_FRONTEND=\S+ )?apt-get (update|install)\b")
ACTION = re.compile(r"[\w.-]+/[\w.-]+@v\d+(\.\d+){0,2}")


def load(name: str) -> dict[Any, Any]:
    with open(WORKFLOWS / name, encoding="utf-8") as f:
        workflow = yaml.safe_load(f)
    assert isinstance(workflow, dict)
    return workflow


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True
    found = workflow.get("on", workflow.get(True))
    assert isinstance(found, dict), "the workflow has no `on:` triggers"
    return found


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, re.M)}


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


WORKFLOW_FILES = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_two_workflows_exist() -> None:
    assert {"book.yml", "tests.yml"} <= set(WORKFLOW_FILES)


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_run_step_calls_make_targets_that_exist(name: str) -> None:
    targets = make_targets()
    assert {"book", "lint", "test-unit", "test-browser"} <= targets  # the parser works
    for job_name, job in load(name)["jobs"].items():
        assert "runs-on" in job, f"{name}: job {job_name} has no runs-on"
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), f"{name}: {step}"
            if "run" not in step:
                continue
            lines = [line.strip() for line in step["run"].splitlines() if line.strip()]
            assert lines, f"{name}: an empty run step"
            for line in lines:
                if SETUP.match(line):
                    continue
                words = line.split()
                assert words[0] == "make", f"{name}: {line!r} is not a make target"
                called = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
                assert called, f"{name}: {line!r} names no target"
                for target in called:
                    assert target in targets, f"{name}: make {target}: no such target"


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_every_action_is_pinned_to_a_version_tag(name: str) -> None:
    for step in steps(load(name)):
        if "uses" in step:
            assert ACTION.fullmatch(step["uses"]), f"{name}: {step['uses']} is not pinned to vN"
            assert step["uses"].startswith("actions/"), f"{name}: {step['uses']} is third-party"


def test_book_builds_with_make_and_deploys_to_pages() -> None:
    workflow = load("book.yml")
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"] and "workflow_dispatch" in on
    assert "pull_request" not in on  # a pull request must not publish
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert {"run": "make book", "name": "Build the book"} in build["steps"]
    upload = [s for s in build["steps"] if s.get("uses", "").startswith(
        "actions/upload-pages-artifact@")]
    assert len(upload) == 1 and upload[0]["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]
    assert "permissions" not in build  # the build needs no write access
    assert workflow["concurrency"]["group"] == "pages"


def test_tests_run_what_a_shared_runner_can_and_no_timing_suite() -> None:
    workflow = load("tests.yml")
    on = triggers(workflow)
    assert {"push", "pull_request"} <= set(on)
    assert workflow["permissions"] == {"contents": "read"}
    commands = {s["run"] for s in steps(workflow) if "run" in s}
    for target in ("lint", "test-unit", "book", "test-browser"):
        assert f"make {target}" in commands
    strict = ("test", "test-notebooks", "test-newest", "test-pythons", "soak", "test-quota",
              "test-constrained", "test-binder", "execute")
    ran = {w for command in commands for w in command.split()}
    assert not ran & set(strict), f"a shared runner cannot run {ran & set(strict)}"
    for job in workflow["jobs"].values():
        assert job["timeout-minutes"] <= 30
        # Debian 12: its Python 3.11 is the one constraints/3.11.txt pins
        container = job["container"]
        assert (container if isinstance(container, str) else container["image"]) == "debian:12"


def test_readme_links_the_published_book_and_binder_of_the_configured_repository() -> None:
    with open(ROOT / "_config.yml", encoding="utf-8") as f:
        url = yaml.safe_load(f)["repository"]["url"]
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", url)
    assert match, url
    owner, repo = match.groups()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # GitHub Pages' address of a project site, and Binder's of the main branch
    assert f"https://{owner.lower()}.github.io/{repo}/" in readme
    assert f"https://mybinder.org/v2/gh/{owner}/{repo}/main" in readme
    assert "https://mybinder.org/badge_logo.svg" in readme


def test_pre_commit_hooks_are_local_and_run_the_venvs_tools() -> None:
    with open(ROOT / ".pre-commit-config.yaml", encoding="utf-8") as f:
        config = yaml.safe_load(f)
    assert [r["repo"] for r in config["repos"]] == ["local"]  # nothing downloaded
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert set(hooks) == {"ruff", "notebook-hygiene"}
    for hook in hooks.values():
        assert hook["language"] == "system" and hook["entry"].startswith(".venv/bin/python -m ")
        re.compile(hook["files"])
    assert "tests/test_notebooks.py" in hooks["notebook-hygiene"]["entry"]
    assert hooks["notebook-hygiene"]["pass_filenames"] is False


def test_gitattributes_diffs_notebooks_with_nbdime() -> None:
    lines = (ROOT / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert "*.ipynb diff=jupyternotebook merge=jupyternotebook" in lines
