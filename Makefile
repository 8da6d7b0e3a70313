# PopCon: `make demo` sets everything up and makes a set; `make test` sets up and runs every test.
# Installs come from the lock (requirements/*.txt, exported from uv.lock, every file hash-checked), so a
# fresh clone gets exactly what CI tested; `make lock` refreshes it, `make upgrade-check` tries the newest.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS := $(VENV)/.installed-extras
UV_VERSION := 0.13.9
UV     := .venv-tools/bin/uv
LOCKED := --require-hashes --no-deps

# Debian packages the tests need (browser tests, Celery broker, PostgreSQL) and the export benchmark's
# reference tools. Installed only when missing; root or sudo is needed the first time.
TEST_APT  := chromium fonts-noto-color-emoji redis-server postgresql libgl1 libglib2.0-0
BENCH_APT := pngquant apngasm
# Caption fonts (SIL OFL / Bitstream Vera): Japanese, Korean, Traditional Chinese, Thai and Latin.
FONT_APT  := fonts-noto-cjk fonts-noto-core fonts-dejavu-core
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo serve test lint lint-py lint-js bench clean system-deps bench-deps lock upgrade-check

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

# The core and the dev tools, exactly as locked; then PopCon itself (editable, its dependencies are
# already there).
$(STAMP): requirements/dev.txt pyproject.toml
	$(call apt_install,$(FONT_APT))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(LOCKED) -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(EXTRAS)
	touch $(STAMP)

# The optional extras (SAM 2.1 through torch + ultralytics, Gemini SDK, Celery) for the full test suite.
$(EXTRAS): $(STAMP) requirements/all.txt
	$(BIN)/pip install --quiet $(LOCKED) -r requirements/all.txt
	touch $(EXTRAS)

demo: install
	$(BIN)/popcon make --sample \
		--actions wave,jump,laugh,love,cry,happy,dance,sleepy \
		--platform line-emoji --out demo-out

serve: install
	$(BIN)/popcon serve

# ruff for style and mistakes, mypy (config in pyproject.toml) for types, protocol drift included;
# ESLint (package-lock.json, run by the system's Node) for the web UI's JavaScript.
lint: lint-py lint-js

lint-py: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

lint-js: node_modules/.installed
	node_modules/.bin/eslint src/popcon/web/static/js

node_modules/.installed: package-lock.json
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
		{ echo "make lint: Node.js and npm are needed for ESLint (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# axe-core for the browser tests' accessibility checks (test only, never served).
tests/web/axe/node_modules/.installed: tests/web/axe/package-lock.json node_modules/.installed
	npm ci --prefix tests/web/axe --no-audit --no-fund --loglevel=error
	touch $@

test: lint system-deps $(EXTRAS) tests/web/axe/node_modules/.installed
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

# Refresh the lock to the newest versions pyproject.toml allows (uv.lock, then one hash-checked
# requirements file per install path). Review the diff, run `make test`, commit.
lock: $(UV)
	$(UV) lock --upgrade
	$(UV) export --frozen --no-emit-project --no-dev -q -o requirements/core.txt
	for x in dev sam gemini celery; do \
		$(UV) export --frozen --no-emit-project --no-dev --extra $$x -q -o requirements/$$x.txt; done
	$(UV) export --frozen --no-emit-project --no-dev --all-extras -q -o requirements/all.txt
	npm install --package-lock-only --no-audit --no-fund --loglevel=error

# The tests against the newest versions pyproject.toml allows, without the lock, in a venv of its own:
# a break coming with a new release (OpenCV 5's stubs were one) shows here before it reaches the lock.
upgrade-check: system-deps
	rm -rf .venv-upgrade
	$(PYTHON) -m venv .venv-upgrade
	.venv-upgrade/bin/pip install --quiet --upgrade --upgrade-strategy eager -e ".[dev,sam,gemini,celery]"
	.venv-upgrade/bin/pip list --format=freeze > .venv-upgrade/versions.txt
	.venv-upgrade/bin/ruff check src tests bench
	.venv-upgrade/bin/ruff format --check src tests bench
	.venv-upgrade/bin/mypy
	.venv-upgrade/bin/pytest

$(UV):
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install --quiet uv==$(UV_VERSION)

clean:
	rm -rf $(VENV) .venv-upgrade .venv-tools node_modules tests/web/axe/node_modules demo-out popcon-data .pytest_cache .ruff_cache
