"""Only `campaigns.transitions` writes a call's status or a campaign's state.

A source scan of the apps: keyword arguments `status=`/`state=` in writes (update, create,
bulk_create, get_or_create, update_or_create, model constructors), assignments to
`.status`/`.state`, `bulk_update` of those fields, and raw SQL that updates or inserts
into the calls or campaigns tables. Reads (`filter(status=…)`) are fine anywhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("campaigns", "receipts", "ivrsite")
OWNER = Path("campaigns/transitions")
# Other models have a status too; a write whose value is theirs is not ours to police.
OTHER_MODELS = ("ImportJob.", "FollowupBuild.", "TestCall.")
WRITES = {"update", "create", "bulk_create", "get_or_create", "update_or_create"}
MODELS = {"Call", "Campaign"}
FIELDS = {"status", "state"}
TABLES = ("campaigns_call", "campaigns_campaign")
# An UPDATE of, or INSERT into, one of TABLES (not a table that merely starts with the name,
# like campaigns_campaign_contact_lists, nor a read of it inside a write to another table).
WRITE_SQL = re.compile(r"\b(?:insert\s+into|update)\s+\"?(?:" + "|".join(TABLES) + r")\"?[\s(]")


def _theirs(value: ast.AST) -> bool:
    return ast.unparse(value).startswith(OTHER_MODELS)


def state_writes(source: str) -> list[tuple[int, str]]:
    """(line, code) of every write of a status or state in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in WRITES or name in MODELS:
                for keyword in node.keywords:
                    if keyword.arg in FIELDS and not _theirs(keyword.value):
                        found.append((node.lineno, ast.unparse(node)))
            if name in ("bulk_update", "bulk_update_where") and FIELDS & {
                c.value for arg in node.args[1:] for c in ast.walk(arg) if isinstance(c, ast.Constant)
            }:
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in FIELDS and not _theirs(node.value):
                    found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            sql = node.value.lower()
            if WRITE_SQL.search(sql):
                found.append((node.lineno, node.value.strip().splitlines()[0]))
    return found


def app_modules() -> list[Path]:
    paths = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts and OWNER not in relative.parents:
                paths.append(relative)
    return paths


def test_no_module_but_transitions_writes_a_status_or_state():
    offences = [
        f"{path}:{line}: {code}"
        for path in app_modules()
        for line, code in state_writes((ROOT / path).read_text(encoding="utf-8"))
    ]
    assert not offences, "write these through campaigns.transitions:\n" + "\n".join(offences)


def test_the_scan_reads_the_transitions_package_itself_as_writing():
    modules = sorted((ROOT / OWNER).glob("*.py"))
    writes = {path.name: len(state_writes(path.read_text(encoding="utf-8"))) for path in modules}
    assert writes["campaigns.py"] > 3 and writes["dialling.py"] > 5 and writes["settling.py"] > 5, writes


@pytest.mark.parametrize(
    "snippet",
    [
        "Call.objects.filter(pk__in=ids).update(status=S.FAILED)",
        "Campaign.objects.filter(pk=1).update(state=State.PAUSED, state_reason='')",
        "call.status = status",
        "campaign.state = 'running'",
        "Call.objects.bulk_update(calls, ['status', 'dtmf'])",
        "bulk_update_where(Call, calls, ['status'], 'status', accepted)",
        "Call(campaign=c, contact_id=1, phone='1', status=S.QUEUED)",
        "Campaign.objects.create(name='x', state=Campaign.State.RUNNING)",
        'cursor.execute("UPDATE campaigns_call SET status = %s", [x])',
        "sql = '''INSERT INTO campaigns_call (status) VALUES (1)'''",
    ],
)
def test_the_scan_finds_each_kind_of_write(snippet):
    assert state_writes(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "Call.objects.filter(status=S.QUEUED).count()",
        "Campaign.objects.filter(state=State.RUNNING).exclude(state=State.DRAFT)",
        "ImportJob.objects.filter(pk=1).update(status=ImportJob.Status.RUNNING)",
        "job.status = ImportJob.Status.DONE",
        "JsonResponse({}, status=403)",
        "Call.objects.filter(pk=1).update(dtmf='1')",
        'cursor.execute("SELECT status FROM campaigns_call")',
    ],
)
def test_the_scan_leaves_reads_and_other_models_alone(snippet):
    assert not state_writes(snippet), snippet
