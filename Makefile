# Two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser run test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/ioc run

# Browser tests drive Debian's Chromium (never a downloaded browser); the report-pack tests render
# a page of each document with LibreOffice and poppler. Installed once when missing; without them
# those tests skip with a reason.
SYSTEM_PACKAGES := chromium chromium-driver fonts-dejavu-core libreoffice-writer-nogui \
	libreoffice-calc-nogui poppler-utils

browser:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { \
	  echo "Installing Debian packages for the browser and document tests: $(SYSTEM_PACKAGES)"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    $(SYSTEM_PACKAGES) >/dev/null || \
	  echo "Could not install them: browser and document-rendering tests will be skipped"; }

test: install browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/ioc bench sla --n 100000

clean:
	rm -rf $(VENV) var/*.db var/*.db-wal var/*.db-shm
