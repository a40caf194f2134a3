# Two commands for a newcomer: `make run` serves the demo site, `make test` runs every check.
# Both create .venv with a Python >= 3.12 found on this machine, and reinstall only when
# pyproject.toml changed.

PORT ?= 8000
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MANAGE := $(VPY) manage.py

# A Python >= 3.12: PYTHON if given, else the newest on PATH, else one installed by pyenv.
PYTHON ?= $(shell \
	ok() { "$$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
	for p in python3.14 python3.13 python3.12 python3; do \
		if command -v $$p >/dev/null 2>&1 && ok $$p; then command -v $$p; exit 0; fi; \
	done; \
	root=$$(pyenv root 2>/dev/null); \
	for p in $$(ls -d "$$root"/versions/3.*/bin/python3 2>/dev/null | sort -rV); do \
		if ok $$p; then echo $$p; exit 0; fi; \
	done)

.PHONY: install run serve test lint typecheck format clean screenshots bench

$(VPY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "Embargo needs Python 3.12 or newer (Django 6 requires it), and none was found."; \
		echo "Install one (e.g. 'apt-get install python3.13' or 'pyenv install 3.13'),"; \
		echo "or point to it: make $(MAKECMDGOALS) PYTHON=/path/to/python3.12"; \
		exit 1; \
	fi
	@echo "Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: export EMBARGO_ENVIRONMENT ?= development
run: export EMBARGO_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(STAMP)
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo
	$(MANAGE) collectstatic --no-input --verbosity 0
	@echo "Embargo is at http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# Production mode on this machine: the embedded defaults (or the variables you give), gunicorn and
# the publication worker. Plain http on 127.0.0.1, so HTTPS-only behaviour is off unless asked
# for (behind a TLS proxy: EMBARGO_HTTPS=true EMBARGO_TRUSTED_PROXY_HEADER=X-Forwarded-Proto).
# DEMO=1 also loads the demo content.
serve: export EMBARGO_BASE_URL ?= http://127.0.0.1:$(PORT)
serve: export EMBARGO_HTTPS ?= false
serve: export PORT := $(PORT)
serve: $(STAMP)
	@if [ -z "$$DJANGO_SECRET_KEY" ]; then \
		echo "make serve runs Embargo in production mode, which needs a secret key that you keep"; \
		echo "(it signs sessions and share links; a new key signs everyone out and breaks every link)."; \
		echo "Make one once, keep it somewhere safe, and pass it in:"; \
		echo ""; \
		echo "  export DJANGO_SECRET_KEY=\"\$$($(VPY) -c 'import secrets; print(secrets.token_urlsafe(50))')\""; \
		echo "  make serve            # or: make serve DEMO=1 to load the demo content too"; \
		echo ""; \
		echo "Just looking around? 'make run' serves the demo in development mode with no key to keep."; \
		exit 1; \
	fi
	@mkdir -p var  # where the default SQLite database and private assets live
	$(MANAGE) migrate --no-input
	$(if $(DEMO),$(MANAGE) load_demo)
	$(MANAGE) collectstatic --no-input --verbosity 0
	$(MANAGE) publish_scheduled
	@echo "Embargo (production mode) is at http://127.0.0.1:$(PORT)/ with the publication worker (Ctrl-C stops both)"
	@deploy/serve.sh

# Regenerate docs/screenshots/ (README) with Debian's Chromium (apt-get install chromium), driven
# by Playwright, from a throw-away copy of the demo site on a free port.
screenshots: $(STAMP)
	$(VPY) -m tools.screenshots

# Load tests on this machine (bench/run.py; about half an hour): gunicorn driven by wrk, every
# target beside its baseline in the same run. CHECK=1 exits non-zero when a target is missed.
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing wrk (Debian's package) for make bench"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; \
	}
	$(VPY) bench/run.py $(if $(CHECK),--check)

# ruff (style, complexity <= 10, banned imports), import-linter (the layers between the rooms) and
# mypy with django-stubs (typecheck).
lint: $(STAMP) typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# mypy with django-stubs over articles/ and cms/ ([tool.mypy]): actor and user parameters are typed.
typecheck: $(STAMP)
	EMBARGO_ENVIRONMENT=test $(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The whole suite on the embedded defaults, then again on PostgreSQL and Redis where they answer
# (TEST_DATABASE_URL / TEST_REDIS_URL override where to find them), one pytest-xdist worker per CPU
# (TEST_WORKERS=0 runs the suite in this one process).
TEST_WORKERS ?= auto
PYTEST := $(VENV)/bin/pytest -n $(TEST_WORKERS)
test: export EMBARGO_ENVIRONMENT = test
test: $(STAMP) lint
	$(PYTEST)
	@if services=$$($(VPY) tests/reachable_services.py); then \
		echo "== The same suite with $$services =="; \
		env $$services $(PYTEST) -p no:cacheprovider; \
	else \
		echo "SKIPPED: the PostgreSQL/Redis run (neither server answers; see above)"; \
	fi

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
