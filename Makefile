# The two commands of the README: `make demo` (set up, then build and publish the demo data) and `make test`.
PYTHON ?= python3
DBT ?= dbt

.PHONY: setup demo build test lint pytest dbt-build benchmark open-alerts semantic report clean

setup:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt

demo: setup
	$(MAKE) --no-print-directory build

# dbt build into a fresh DuckDB file, then one atomic rename over target/lifecycle.duckdb (or DBT_DUCKDB_PATH) on
# success: readers holding the published file never block the build. make build DBT_ARGS='--vars "{...}"'
DBT_ARGS ?=
build:
	$(PYTHON) scripts/build.py $(DBT_ARGS)

# Every test: the dbt build (models, unit tests and data tests) on the demo data, pytest, and the SQL lint.
test: setup dbt-build pytest lint

dbt-build:
	DBT_DUCKDB_PATH=target/test.duckdb $(DBT) build --target-path target/test

pytest:
	$(PYTHON) -m pytest tests -q

lint:
	sqlfluff lint models tests/dbt

benchmark: setup
	$(PYTHON) scripts/benchmark.py --customers 1000000

# The retention team's work list as CSV (after `make demo` or any `dbt build`).
open-alerts:
	$(PYTHON) scripts/export_open_alerts.py --out reports/open_churn_alerts.csv

# The semantic layer on the demo build: MetricFlow reads target/semantic_manifest.json and target/lifecycle.duckdb.
semantic: demo
	mf query --metrics retention_rate,reactivation_rate --group-by metric_time__quarter --order metric_time__quarter

# The HTML report of the marts built by `make demo` / `dbt build`: make report [GRAIN=week] [COHORT_GRAIN=quarter]
GRAIN ?= month
COHORT_GRAIN ?= month
report:
	$(PYTHON) scripts/report.py --grain $(GRAIN) --cohort-grain $(COHORT_GRAIN) --out reports/lifecycle_report.html

clean:
	rm -rf target logs dbt_packages
