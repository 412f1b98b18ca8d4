# sshmon: `make run` polls this machine and serves the dashboard; `make test` runs the tests.
# Both set up what they need first (a virtualenv in .venv, the web assets from npm).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INVENTORY ?= inventory.example.yaml
# Debian packages the tests drive for real: OpenSSH's sshd, busybox (the probe must run
# under it), Chromium (the browser tests), faketime (the fleet tests at other hours).
SYSTEM_PACKAGES := openssh-server openssh-client busybox chromium faketime prometheus

.PHONY: run test test-clock setup system-deps web-assets lint bench clean lock

run: setup
	$(BIN)/sshmon run --inventory $(INVENTORY)

# The strict gates (ruff, mypy) run first: they are part of the test, not an afterthought.
# Then the fleet-data tests again with the wall clock faked to other hours (test-clock).
test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest
	$(MAKE) test-clock

# tests/api and tests/web (`-m fleet`) under libfaketime at 03:00, 17:00 and across midnight:
# a test that reads the wall clock instead of the app's injected one fails here.
test-clock: setup system-deps
	PYTEST=$(BIN)/pytest tests/at_other_hours.sh

setup: $(VENV)/.installed web-assets

# requirements.lock pins every Python package to the versions the tests passed with: a
# fresh machine gets those, not whatever PyPI published since (`make lock` moves them on).
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

# The newest versions pyproject.toml allows, into requirements.lock; run `make test` after.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' requirements.lock; .venv-lock/bin/pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .venv-lock

web-assets:
	@if [ -f web/package.json ]; then \
	  cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build; \
	fi

# Installs only what is missing; needs root (or sudo) the first time.
system-deps:
	@missing=""; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server openssh-client"; \
	command -v busybox >/dev/null || missing="$$missing busybox"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v faketime >/dev/null || missing="$$missing faketime"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	@echo "see bench/README.md"

clean:
	rm -rf $(VENV) web/node_modules web/static/vendor test-artifacts
