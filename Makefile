# Duijie: `make demo` runs the whole stack, `make test` the whole suite.
# Neither needs anything but Python 3.11: PostgreSQL and Redis are embedded
# unless DATABASE_URL / REDIS_URL point at servers.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test lint services manage messages clean browser

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11+ is required, found " + sys.version' || exit 1
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(PY) -m devstack demo

test: install lint browser
	$(PY) -m devstack run -- $(PY) -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's Chromium, with a CJK font so screenshots show
# Chinese. Installed once; an equipped machine does nothing here.
browser:
	@./.ci/browser

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SECRET_KEY=lint DATABASE_URL=postgres://lint/lint REDIS_URL=redis://lint $(VENV)/bin/mypy

services: install
	$(PY) -m devstack services

# make manage ARGS="createsuperuser"
manage: install
	$(PY) -m devstack run -- $(PY) manage.py $(ARGS)

# Refresh the translation catalogues after changing user-visible strings.
messages: install
	DJANGO_DEBUG=true $(PY) -m devstack run -- $(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=tests
	DJANGO_DEBUG=true $(PY) -m devstack run -- $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
