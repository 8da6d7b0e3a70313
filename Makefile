# PopCon: `make demo` sets everything up and makes a set; `make test` sets up and runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: install
	$(BIN)/popcon make --sample \
		--actions wave,jump,laugh,love,cry,happy,dance,sleepy \
		--platform line-emoji --out demo-out

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/matte.py

clean:
	rm -rf $(VENV) demo-out popcon-data .pytest_cache .ruff_cache
