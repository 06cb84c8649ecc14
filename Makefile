# The two commands a new user needs: `make serve` and `make test`.
# Everything is installed into .venv by these targets; nothing by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DB ?= timeline.db
PORT ?= 8001
PYTEST_ARGS ?= -n 2

.PHONY: serve test bench build clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The database is built from events/ into a temporary file, then moved into
# place, so a failed import never leaves a half-built database behind.
$(DB): $(INSTALLED) $(wildcard events/*.yml events/*.yaml)
	rm -f $(DB).building
	$(BIN)/timeline --db $(DB).building init >/dev/null
	$(BIN)/timeline --db $(DB).building import events/
	$(BIN)/timeline --db $(DB).building verify
	mv $(DB).building $(DB)

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

bench: $(INSTALLED)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DB) $(DB).building
