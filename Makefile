# The two commands of the README: `make demo` (set up, then build and publish the demo data) and `make test`.
# Everything runs in the project's virtual environment .venv (created by `make setup`), so it works where the
# system Python refuses global pip installs (Debian's externally-managed environment, PEP 668).
SYSTEM_PYTHON ?= python3
VENV ?= .venv
PYTHON ?= $(VENV)/bin/python
DBT ?= $(VENV)/bin/dbt
BIN := $(VENV)/bin
DB ?= $(or $(DBT_DUCKDB_PATH),target/lifecycle.duckdb)

.PHONY: setup demo build test lint pytest dbt-build demo-coverage benchmark benchmark-incremental benchmark-engines open-alerts semantic report clean distclean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

demo: setup
	$(MAKE) --no-print-directory build
	@echo ""
	@echo "Done. The marts are in $(DB) (DuckDB; open it read-only, e.g. from a BI tool)."
	@echo "Next:"
	@echo "  make report                          the HTML report -> reports/lifecycle_report.html"
	@echo "  $(PYTHON) scripts/query.py     the last six months of retention (any SQL: scripts/query.py \"select ...\")"
	@echo "  make open-alerts                     the open churn alerts -> reports/open_churn_alerts.csv"
	@echo "  your own orders:                     $(PYTHON) scripts/build.py --vars '{orders_path: /path/to/orders.csv}'"
	@echo "                                       (README \"Bring your own orders\": encodings, column names, time zones)"

# dbt build into a fresh DuckDB file, then one atomic rename over target/lifecycle.duckdb (or DBT_DUCKDB_PATH) on
# success: readers holding the published file never block the build. make build DBT_ARGS='--vars "{...}"'
DBT_ARGS ?=
build:
	$(PYTHON) scripts/build.py $(DBT_ARGS)

# Every test: the dbt build (models, unit tests and data tests) on the demo data, pytest, and the SQL lint. After the
# install, two at a time (2 cores): the dbt build, the lint and the demo check run beside pytest, each with its own
# database; each one's output is printed whole when it ends.
test: setup
	$(MAKE) --no-print-directory -j2 --output-sync=target dbt-build pytest lint demo-coverage

# The demo data still exercises every lifecycle state, event and edge case (plain SQL, independent of the models).
demo-coverage: setup
	$(PYTHON) scripts/check_demo_coverage.py

dbt-build:
	DBT_DUCKDB_PATH=target/test.duckdb $(DBT) build --target-path target/test

# The venv's bin first on PATH: the tests run its `mf` (MetricFlow) and `dbt` as a reader of the README would.
# Two workers (PYTEST_WORKERS), each taking whole test files, slowest first (tests/conftest.py SLOWEST_FILES_FIRST);
# every test builds into its own temporary files, so the workers share nothing. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
pytest:
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTHON) -m pytest tests -q --durations=15 \
		-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint:
	$(BIN)/sqlfluff lint models tests/dbt

benchmark: setup
	$(PYTHON) scripts/benchmark.py --customers 1000000

# The demo build on DuckDB, PostgreSQL and Spark, timed and compared mart by mart (README "Other engines").
benchmark-engines: setup
	$(PYTHON) scripts/benchmark_engines.py

# The retention team's work list as CSV (after `make demo` or any `dbt build`).
open-alerts: setup
	$(PYTHON) scripts/export_open_alerts.py --out reports/open_churn_alerts.csv

# The semantic layer on the demo build: MetricFlow reads target/semantic_manifest.json and target/lifecycle.duckdb.
semantic: demo
	$(BIN)/mf query --metrics retention_rate,reactivation_rate --group-by metric_time__quarter --order metric_time__quarter

# The HTML report of the marts built by `make demo` / `dbt build`: make report [GRAIN=week] [COHORT_GRAIN=quarter]
GRAIN ?= month
COHORT_GRAIN ?= month
report: setup
	$(PYTHON) scripts/report.py --grain $(GRAIN) --cohort-grain $(COHORT_GRAIN) --out reports/lifecycle_report.html

clean:
	rm -rf target logs dbt_packages

# `make clean` keeps the virtual environment; this removes it too.
distclean: clean
	rm -rf $(VENV)

# One new day of orders after a full refresh: the incremental `dbt run` timed against it (README "Nightly runs").
benchmark-incremental: setup
	$(PYTHON) scripts/benchmark_incremental.py --customers 1000000 --verify
