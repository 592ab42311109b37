# Qinglan: `make run` serves the site with demo data, `make test` runs the whole suite,
# `make bench` measures it against a hello-world app (`make bench SCENARIO=signin` runs one scenario).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
THREADS ?= 4
FLASK := $(BIN)/flask --app learning
WSGI_APP ?= learning:create_app()
SCENARIO ?=
BENCH_ARGS ?=

.PHONY: run serve test lint install install-test translations catalogs bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	touch $@

# Locust (and its gevent) only for the benchmarks, never in the site's own environment by default.
$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench,postgres]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,postgres]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Compile every message catalog (.po -> .mo); the .mo files are build output, not committed.
translations: install
	$(BIN)/python -m learning.i18n compile

# Extract new messages into every catalog (English filled in, Chinese left for a translator).
catalogs: install
	$(BIN)/python -m learning.i18n update

run: translations
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) content sync
	$(FLASK) demo --if-empty
	$(MAKE) serve

serve:
	$(BIN)/gunicorn --workers $(WORKERS) --threads $(THREADS) --worker-class gthread \
		--bind 127.0.0.1:$(PORT) --access-logfile - --no-control-socket '$(WSGI_APP)'

# Fresh temporary database, scenario data, the site and a hello-world app served as `make serve` does,
# the same Locust load against each; results in bench/results/<scenario>.json (see docs/performance.md).
bench: $(VENV)/.installed-bench translations
	WORKERS=$(WORKERS) THREADS=$(THREADS) $(BIN)/python -m bench $(SCENARIO) $(BENCH_ARGS)

test: install-test translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
