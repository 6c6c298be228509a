# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run shell baseline test lint test-fast backtest backtest-update bench validate calibrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	touch $(STAMP)

## run: the main job, the standard study (calibrated 2023 baseline, each intervention and the
## combined strategy, 2023-2026) over the 30 plausible worlds of calibration/ensemble_2023.csv,
## 3 replications each; tables, figures and reports under results/standard_study/
run: $(STAMP)
	$(BIN)/ukp-sim study experiments/standard_study.toml --jobs 2 --worlds 0 --replications 3 --out results/standard_study
	@echo
	@echo "Results: results/standard_study/ (report.html, report.en.html, kpis.csv, differences.csv,"
	@echo "savings.csv, figures/). To use ukp-sim yourself, run 'make shell' (or '. $(BIN)/activate'), then:"
	@echo "  ukp-sim --help"
	@echo "  ukp-sim validate scenarios/baseline_2023.toml"
	@echo "  ukp-sim run scenarios/baseline_2023.toml --jobs 2"
	@echo "(or without a shell: $(BIN)/ukp-sim --help)"

## shell: a shell with the virtual environment active, so `ukp-sim` is on the PATH (`exit` leaves it)
shell: $(STAMP)
	@echo "ukp-sim is on the PATH in this shell; 'exit' leaves it"
	@. $(BIN)/activate && exec "$${SHELL:-/bin/sh}" -i

## baseline: the calibrated 2023 baseline alone, 10 replications; results under results/baseline_2023/
baseline: $(STAMP)
	$(BIN)/ukp-sim run scenarios/baseline_2023.toml --replications 10 --seed 20231 --jobs 2 --out results/baseline_2023

## test: the whole suite, slow statistical tests included
test: $(STAMP) lint
	$(BIN)/python -m pytest -q

## lint: the layer contract (import-linter, pyproject.toml) and ruff
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check ukp_sim tests benchmarks experiments

## test-fast: everything but the slow statistical tests
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

## backtest: a small scenario's KPIs against the pinned tests/backtest/expected_kpis.csv (part of test-fast)
backtest: $(STAMP)
	$(BIN)/python -m pytest -q tests/backtest

## backtest-update: rewrite tests/backtest/expected_kpis.csv after an INTENDED change of numbers;
## commit the CSV in a commit of its own that says which numbers moved and why
backtest-update: $(STAMP)
	$(BIN)/python -m tests.backtest.regenerate

## bench: speed figures (CPU time), see benchmarks/
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py

## calibrate: refit the baselines and the ensembles of plausible worlds to the 2022-2023 figures (about 70 minutes on 2 cores with an empty cache; keeps a baseline no candidate fits or whose best set misses the community UKP-days)
calibrate: $(STAMP)
	$(BIN)/ukp-sim calibrate calibration/targets.toml --seed 2022 --jobs 2

## validate: check every scenario file (scenarios/ and its subfolders) without running it
validate: $(STAMP)
	@status=0; for f in $$(find scenarios -name '*.toml' | sort); do $(BIN)/ukp-sim validate $$f || status=1; done; \
	exit $$status

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
