# The two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Debian packages the test suite drives for real: a browser, an SMTP client
# nobody here wrote, GNU gettext's msgfmt for the catalog check, SpamAssassin for
# devsmtp's spam check, and PostgreSQL (the tests start a throw-away server of their
# own; never the system cluster).
SYSTEM_PACKAGES := chromium swaks gettext spamassassin postgresql

.PHONY: help venv sysdeps lint docs test demo bench messages wheel clean caniemail-data

help:
	@echo "make demo      run the demo on embedded defaults (SQLite, devsmtp)"
	@echo "make test      lint, type-check and run the whole suite"
	@echo "make docs      build the documentation site into site/ (mkdocs --strict)"
	@echo "make bench     run the benchmarks (ratios against in-run baselines)"
	@echo "make messages  extract strings and update the fi/sv/en catalogs"

$(STAMP): pyproject.toml devsmtp/pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./devsmtp -e '.[test]'
	touch $@

venv: $(STAMP)

sysdeps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v swaks >/dev/null || missing="$$missing swaks"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v spamassassin >/dev/null || missing="$$missing spamassassin"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing; run: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi

lint: venv
	$(BIN)/ruff check invitations devsmtp tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

docs: venv
	$(BIN)/mkdocs build --strict --site-dir site

test: venv sysdeps lint docs
	$(BIN)/python -m pytest -n auto

demo: venv
	$(BIN)/invitations demo

bench: venv
	$(BIN)/python -m bench

messages: venv
	$(BIN)/python -m invitations.i18n.extract

# Refresh devsmtp's vendored caniemail snapshot (needs npm and the network).
caniemail-data: venv
	cd /tmp && npm pack caniemail >/dev/null
	$(BIN)/python -m devsmtp.checks.refresh $$(ls -t /tmp/caniemail-*.tgz | head -1)

wheel: venv
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) build dist site .pytest_cache .mypy_cache .ruff_cache
