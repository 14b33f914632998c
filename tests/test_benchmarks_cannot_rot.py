"""Every benchmark runs at a tiny size in `make bench-smoke`, and CI runs that target: a
benchmark that breaks fails CI instead of waiting for the next person to run it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def smoke_recipe() -> str:
    makefile = (ROOT / "Makefile").read_text()
    _before, _, rest = makefile.partition("\nbench-smoke:")
    assert rest, "the Makefile has no bench-smoke target"
    return rest.split("\n\n")[0]


def test_bench_smoke_runs_every_benchmark():
    recipe = smoke_recipe()
    benchmarks = sorted(path.name for path in (ROOT / "bench").glob("*_bench.py"))
    assert benchmarks
    assert [name for name in benchmarks if f"bench/{name}" not in recipe] == []


def test_ci_runs_the_smoke_benchmarks_after_the_tests():
    steps = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert steps.index("make bench-smoke") > steps.index("make test")
