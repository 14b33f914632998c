"""`make lint` holds the layering (import-linter contracts in pyproject.toml) and the module
size limit: both pass on this tree and fail on a copy given one violation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.stack import ROOT
from tools import module_sizes

LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the code and the contracts, to break without touching the real tree."""
    for package in ("campaigns", "receipts", "results", "audit", "ivrsite", "surveys", "api", "webhooks", "tools"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--config", "pyproject.toml"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin"},  # no PYTHONPATH: the copy is what gets read
        capture_output=True,
        text=True,
        timeout=120,
    )


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def test_the_tree_keeps_its_contracts(tree):
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


VIOLATIONS = {
    "a model importing a view inside a function": (
        "campaigns/models/base.py",
        "\n\ndef _probe():\n    from results import views  # noqa\n",
        "campaigns.models.base -> results.views",
    ),
    "the webhook outbox importing the surveys": (
        "webhooks/delivery.py",
        "\nfrom surveys import scheduling  # noqa\n",
        "webhooks.delivery -> surveys.scheduling",
    ),
    "receipts importing results": (
        "receipts/ingest.py",
        "\nfrom results import aggregates  # noqa\n",
        "receipts.ingest -> results.aggregates",
    ),
    "the simulator importing a model": (
        "campaigns/dialling/simulator/calls.py",
        "\nfrom campaigns.models import Call  # noqa\n",
        "campaigns.dialling.simulator.calls -> campaigns.models",
    ),
    "the pacer importing Django": (
        "campaigns/dialling/pacing.py",
        "\nfrom django.conf import settings  # noqa\n",
        "campaigns.dialling.pacing -> django",
    ),
}


@pytest.mark.parametrize("case", VIOLATIONS)
def test_one_violating_import_breaks_a_contract(tree, case):
    path, code, reported = VIOLATIONS[case]
    append(tree / path, code)
    done = lint_imports(tree)
    assert done.returncode == 1
    assert reported in done.stdout


def test_a_stale_ignore_fails_so_the_list_only_shrinks(tree):
    forecast = tree / "campaigns/forecast.py"
    forecast.write_text(forecast.read_text().replace("from results.aggregates import progress", "progress = None"))
    done = lint_imports(tree)
    assert done.returncode == 1
    assert "campaigns.forecast -> results.aggregates" in done.stdout + done.stderr


def test_no_module_is_over_the_size_limit():
    assert module_sizes.problems(ROOT) == []


def test_a_module_over_the_limit_fails_and_a_shrunk_exception_must_leave_the_list(tree, monkeypatch):
    monkeypatch.setitem(module_sizes.KNOWN_EXCEPTIONS, "campaigns/transitions.py", "being split")
    (tree / "receipts/huge.py").write_text("x = 1\n" * (module_sizes.MAX_LINES + 1))
    (tree / "campaigns/transitions.py").write_text("x = 1\n")
    found = module_sizes.problems(tree)
    assert any(line.startswith("receipts/huge.py: 451 lines") for line in found)
    assert any(line.startswith("campaigns/transitions.py: 1 lines now") for line in found)
    assert module_sizes.main(["module_sizes", str(tree)]) == 1
