# The two commands of the README. Each installs what it needs into .venv (inside the checkout) first.
.PHONY: demo test lint ui setup setup-dev

VENV := .venv/bin

setup:
	bash scripts/setup.sh

setup-dev:
	bash scripts/setup.sh dev

demo: setup
	$(VENV)/gongkai ingest --inbox data/inbox --warehouse data/warehouse.duckdb
	@echo
	@echo "Warehouse: data/warehouse.duckdb. Example query:"
	$(VENV)/gongkai sql "select agency_name, year, template, source_file from reports order by agency_name, year"

test: setup-dev
	PATH="$(CURDIR)/.venv/bin:$$PATH" $(VENV)/python -m pytest -q tests
	$(VENV)/ruff check pipelines tests benchmarks

lint: setup-dev
	$(VENV)/ruff check pipelines tests benchmarks

ui: setup
	$(VENV)/gongkai ui
