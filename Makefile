# The two commands a new user needs: `make serve` and `make test`.
# Everything is installed into .venv by these targets; nothing by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DB ?= timeline.db
PORT ?= 8001
PYTEST_ARGS ?= -n 2

.PHONY: serve test test-quick stress bench build clean system-deps screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The database is the log, never thrown away: an existing one imports events/
# (import is idempotent: what it holds already is "unchanged"), so facts added
# with the CLI survive every build; `timeline status` then names any the folder
# lacks.  A new database is built in a temporary file and moved into place, so
# a failed first import leaves no half-built database behind.
$(DB): $(INSTALLED) $(wildcard events/*.yml events/*.yaml)
	@if [ -f $(DB) ]; then \
	    echo "$(BIN)/timeline --db $(DB) import events/"; \
	    $(BIN)/timeline --db $(DB) init >/dev/null && \
	    $(BIN)/timeline --db $(DB) import events/ && \
	    $(BIN)/timeline --db $(DB) verify; \
	else \
	    echo "building $(DB) from events/"; \
	    rm -f $(DB).building && \
	    $(BIN)/timeline --db $(DB).building init >/dev/null && \
	    $(BIN)/timeline --db $(DB).building import events/ && \
	    $(BIN)/timeline --db $(DB).building verify && \
	    mv $(DB).building $(DB); \
	fi
	$(BIN)/timeline --db $(DB) status events/
	@touch $(DB)

build: $(DB)

# publishes the log to published/timeline.db (if it changed) and serves it
serve: $(DB)
	$(BIN)/timeline --db $(DB) serve --port $(PORT)

# Browser and PostgreSQL tests need Debian packages; install them when we can
# (root with apt-get), otherwise those tests skip and say what is missing.
system-deps:
	@bash scripts/system-deps.sh

test: $(INSTALLED) system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# while working: everything but the stress tests (tests/test_stress_*.py), or those alone
test-quick: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "not stress"

stress: $(INSTALLED) system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m stress

# the benchmark's own extra (sqlite-utils, a reference it measures), on top of the test install
$(VENV)/.bench-installed: pyproject.toml $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# 100k and 1M events, every comparison side by side (about an hour); bench/results.json.
# The 10M scale run is separate: $(BIN)/python -m bench --scale 10m
bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench

# the README's pictures of the site: events/ built afresh, served, photographed in Chromium
screenshots: $(INSTALLED) system-deps
	$(BIN)/python -m timeline.web.screenshots --out docs/screenshots

# The database is the log (facts added with the CLI live only there until they
# are written back to events/): clean never deletes it.
clean:
	rm -rf $(VENV) $(DB).building published/
