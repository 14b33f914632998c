"""No module of the app over MAX_LINES lines (`make lint`; dev-only).

A module that grows past it is split by concern. The known exceptions are listed with why;
one that shrinks below the limit must leave the list, so the list only gets shorter.
Usage: python -m tools.module_sizes [ROOT]
"""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LINES = 450
PACKAGES = ("campaigns", "receipts", "results", "audit", "ivrsite", "surveys", "api", "webhooks", "tools")
KNOWN_EXCEPTIONS: dict[str, str] = {}  # "path": "why", while it is being split


def line_counts(root: Path) -> dict[str, int]:
    """Lines of every module of ours under `root`, migrations aside (generated)."""
    counts = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                with path.open("rb") as lines:
                    counts[path.relative_to(root).as_posix()] = sum(1 for _ in lines)
    return counts


def problems(root: Path) -> list[str]:
    counts = line_counts(root)
    found = []
    for name, lines in counts.items():
        if lines > MAX_LINES and name not in KNOWN_EXCEPTIONS:
            found.append(f"{name}: {lines} lines (more than {MAX_LINES}): split it by concern")
        elif lines <= MAX_LINES and name in KNOWN_EXCEPTIONS:
            found.append(f"{name}: {lines} lines now: remove it from KNOWN_EXCEPTIONS in tools/module_sizes.py")
    found += [f"{name}: listed in KNOWN_EXCEPTIONS but missing" for name in KNOWN_EXCEPTIONS if name not in counts]
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path.cwd()
    found = problems(root)
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
