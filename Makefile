# PopCon: `make demo` sets everything up and makes a set; `make test` sets up and runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS := $(VENV)/.installed-extras

# Debian packages the tests need (browser tests, Celery broker, PostgreSQL) and the export benchmark's
# reference tools. Installed only when missing; root or sudo is needed the first time.
TEST_APT  := chromium fonts-noto-color-emoji redis-server postgresql libgl1 libglib2.0-0
BENCH_APT := pngquant apngasm
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo serve test lint bench clean system-deps bench-deps

install: $(STAMP)

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

system-deps:
	$(call apt_install,$(TEST_APT))

bench-deps:
	$(call apt_install,$(BENCH_APT))

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The optional extras (SAM 2.1 through torch + ultralytics, Gemini SDK, Celery) for the full test suite.
$(EXTRAS): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,sam,gemini,celery]"
	touch $(EXTRAS)

demo: install
	$(BIN)/popcon make --sample \
		--actions wave,jump,laugh,love,cry,happy,dance,sleepy \
		--platform line-emoji --out demo-out

serve: install
	$(BIN)/popcon serve

# ruff for style and mistakes, mypy (config in pyproject.toml) for types, protocol drift included.
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint system-deps $(EXTRAS)
	$(BIN)/pytest

bench: $(EXTRAS) bench-deps
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/matte.py
	$(BIN)/python bench/matte_degraded.py
	$(BIN)/python ../shared/bench/realscore.py ../shared/bench/real/wave --cmd "$(BIN)/popcon matte {video} --out {out}"
	$(BIN)/python bench/matte_speed.py
	$(BIN)/python bench/clicks.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) demo-out popcon-data .pytest_cache .ruff_cache
