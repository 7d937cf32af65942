# One command per job. Every target sets up .venv first when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MONTH  ?= 2022-01

.PHONY: setup bulletin test lab sample lint bench bench-scale clean lock

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv and install kwstats with its test extras

bulletin: $(STAMP)  ## build the bulletin for MONTH (default 2022-01) from the synthetic sample
	$(BIN)/kwstats bulletin --month $(MONTH) --sample

test: $(STAMP)  ## run the whole test suite (installs Chromium and CJK fonts first when missing)
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest -q

lab: $(STAMP)  ## open the analyst's working copy of the notebook (work/, outside git) in JupyterLab
	$(BIN)/python -m kwstats.notebook

sample: $(STAMP)  ## write the synthetic sample exports to data/sample
	$(BIN)/kwstats sample

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check kwstats tests benchmarks

bench: $(STAMP)  ## time the bulletin against the papermill+nbconvert floor (a few minutes)
	$(BIN)/python benchmarks/bench_bulletin.py

bench-scale: $(STAMP)  ## ingest of 10^6-row CSV / 10^5-row xlsx, the 10^7-case store and backfill (~20 minutes)
	$(BIN)/python benchmarks/bench_ingest_scale.py
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf outputs data/sample

lock: $(STAMP)  ## re-pin every package (after editing pyproject.toml's dependencies)
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 -o requirements.lock
