"""The README's configuration table names exactly the environment variables that the app, its
commands, its embedded services, the Makefile and the Procfile read."""

from __future__ import annotations

import re

from tests.stack import ROOT

PACKAGES = ("campaigns", "receipts", "results", "audit", "ivrsite")
NAME = r"([A-Z][A-Z0-9_]+)"
PYTHON_READS = [
    re.compile(rf"""os\.environ(?:\.get)?[\[(]\s*["']{NAME}["']"""),
    re.compile(rf"""os\.getenv\(\s*["']{NAME}["']"""),
    re.compile(rf"""\benv(?:bool|int|float|list|limits|zone)\(\s*["']{NAME}["']"""),
    re.compile(rf"""^\w+_ENV = ["']{NAME}["']""", re.MULTILINE),  # a name kept in a constant
]
SHELL_READS = re.compile(rf"\$\$?\{{{NAME}")  # ${NAME...} in the Procfile, $${NAME...} in the Makefile
MAKE_DEFAULTS = re.compile(rf"^(?:export )?{NAME} \?=", re.MULTILINE)  # overridable from the environment
MAKE_USES = re.compile(rf"\$\({NAME}\)")
MAKE_SETS = re.compile(rf"^(?:export )?{NAME} :?=", re.MULTILINE)


def variables_read() -> set[str]:
    found = set()
    sources = [ROOT / "manage.py"]
    sources += [p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    for path in sources:
        text = path.read_text()
        for pattern in PYTHON_READS:
            found.update(pattern.findall(text))
    procfile, makefile = (ROOT / "Procfile").read_text(), (ROOT / "Makefile").read_text()
    found.update(SHELL_READS.findall(procfile) + SHELL_READS.findall(makefile) + MAKE_DEFAULTS.findall(makefile))
    # A make variable used but never set comes from the environment (or the command line).
    found.update(set(MAKE_USES.findall(makefile)) - set(MAKE_SETS.findall(makefile)))
    return found


def variables_documented() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration (environment variables)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(rf"`{NAME}`", row.split("|")[1])}


def test_every_variable_read_is_in_the_readme_table():
    assert variables_read() - variables_documented() == set()


def test_the_readme_table_names_no_variable_nothing_reads():
    assert variables_documented() - variables_read() == set()


def test_the_scan_finds_reads_of_each_kind():
    found = variables_read()
    # settings helpers, os.environ.get, a constant (embedded Redis), a command, Procfile, Makefile
    assert {"DJANGO_DEBUG", "DATABASE_URL", "REDIS_SERVER", "SIMULATOR_ACCOUNTS", "WEB_BIND"} <= found
    assert {"DEMO_DATABASE_URL", "REDIS_URL_TEST", "PYTEST_ARGS"} <= found
