# The two commands of the README. Each installs what it needs first.
.PHONY: demo test lint ui setup

setup:
	bash scripts/setup.sh

demo: setup
	gongkai ingest --inbox data/inbox --warehouse data/warehouse.duckdb
	@echo
	@echo "Warehouse: data/warehouse.duckdb. Example query:"
	gongkai sql "select agency_name, year, template, source_file from reports order by agency_name, year"

test: setup
	python3 -m pytest -q tests
	ruff check pipelines tests benchmarks

lint:
	ruff check pipelines tests benchmarks

ui: setup
	gongkai ui
