# Set-up and everyday commands. Each target creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lab lint bench screenshots clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -e ".[dev,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (shopscore)" >/dev/null
	touch $(STAMP)

demo: $(STAMP)  ## render the demo shops' reports into reports/
	$(BIN)/shopscore demo --out reports

test: $(STAMP)  ## the whole test suite (unit, golden, property, notebooks, batch)
	$(BIN)/python -m pytest

# containers run as root, where JupyterLab refuses to start without --allow-root
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: $(STAMP)  ## open JupyterLab on notebooks/ with the project's environment as the kernel
	$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG)

screenshots: $(STAMP)  ## first screens of the struggling demo shop's overview, 04 and training pages → docs/screenshots
	SHOPSCORE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_browser.py

lint: $(STAMP)
	$(BIN)/ruff check shopscore_nb tests notebooks

bench: $(STAMP)  ## SPEC §10 ratios, each measured in one run: DuckDB, export formats vs Parquet, batch vs trivial notebooks
	$(BIN)/python benchmarks/bench_metrics.py --scale 1 --repeat 3
	$(BIN)/python benchmarks/bench_load.py --scale 1 --repeat 3
	$(BIN)/python benchmarks/bench_batch.py rate

clean:
	rm -rf $(VENV) reports .pytest_cache .hypothesis
