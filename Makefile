# Cascade LMS — `make run` sets everything up and starts the app; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export LMS_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test install translations extract-messages db demo worker lint bench mutants clean

run: install translations db
	$(BIN)/lms dev

test: install translations
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

# Compiled catalogs are built here, not committed.
translations: install
	$(BIN)/pybabel compile --use-fuzzy -d lms/translations -D messages >/dev/null

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o lms/translations/messages.pot .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching --no-wrap --ignore-obsolete

db: install
	$(BIN)/lms db upgrade
	$(BIN)/lms seed demo --if-empty

demo: install
	$(BIN)/lms seed demo

worker: install
	$(BIN)/lms worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Mutation testing of the rule modules, one group at a time (scripts/mutants.py); not part of `make test`.
mutants: install translations
	$(BIN)/python scripts/mutants.py $(MUTANTS_ARGS)

bench: install
	$(BIN)/python bench/roster_import.py --rows 10000

clean:
	rm -rf $(VENV) instance .pytest_cache
