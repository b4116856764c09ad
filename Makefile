# modgate: `make serve` runs it on the embedded defaults; `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Extras for a full local install: every shipped detector (NudeNet is AGPL-3.0, see README).
RUN_EXTRAS ?= nudenet,hands,ocr
TEST_EXTRAS ?= nudenet,hands,ocr,postgres,s3,celery,dev
PYTEST_ARGS ?=

.PHONY: serve test install install-test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[$(RUN_EXTRAS)]'

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[$(TEST_EXTRAS)]'
	$(BIN)/pip install --quiet -e tests/plugins/marker_detector

serve: install
	$(BIN)/modgate db upgrade
	$(BIN)/modgate serve

test: install-test
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-ffmpeg.sh
	bash scripts/ensure-services.sh
	$(MAKE) lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# ruff (lint and format), mypy --strict, and the import-linter contracts in pyproject.toml
# (layers, no cycles between packages, domains never import the pipeline).
lint:
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy src
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
