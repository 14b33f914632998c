"""Import direction: `api` is the top layer (it may import everything, nothing imports it), and
`webhooks` sits below the domain apps (they write to its outbox; it knows none of them)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("audit", "campaigns", "receipts", "results", "ivrsite", "webhooks", "api")


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def importers_of(package: str, among: tuple[str, ...]) -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for app in among
        for path in (ROOT / app).rglob("*.py")
        if package in imported_packages(path)
    )


def test_nothing_imports_the_api():
    assert importers_of("api", tuple(a for a in APPS if a != "api")) == []


def test_webhooks_import_no_domain_app():
    # Its admin is an interface (the import-linter's top layer, `*.admin*`): it masks numbers in
    # payloads as every admin page does, through campaigns.privacy.
    assert [p for p in importers_of("campaigns", ("webhooks",)) if p != "webhooks/admin.py"] == []
    for app in ("receipts", "results", "api"):
        assert importers_of(app, ("webhooks",)) == []
