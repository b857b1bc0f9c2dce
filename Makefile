# Cascade LMS — `make run` sets everything up and starts the app; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export LMS_INSTANCE_PATH ?= $(CURDIR)/instance
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install translations extract-messages db demo worker lint security audit-deps constraints bench bench-pages bench-scale scale-db mutants clean

run: install translations db
	$(BIN)/lms dev --host $(HOST) --port $(PORT)

test: install translations
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@# PyICU (Ukrainian alphabetical order) builds against the system's ICU library.
	@pkg-config --exists icu-i18n 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing libicu-dev for PyICU…"; apt-get update -qq >/dev/null 2>&1; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libicu-dev pkg-config g++ >/dev/null; \
	  else echo "PyICU needs the ICU headers: install libicu-dev (Debian/Ubuntu), libicu-devel (Fedora) or icu4c (Homebrew), then rerun make." >&2; exit 1; fi; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
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

# Static security checks; each "# nosec" in the code is explained in the README's security section.
security: install
	$(BIN)/bandit -q -r lms seed celery_worker.py wsgi.py

# Known vulnerabilities in the installed packages (needs the package index).
audit-deps: install
	$(BIN)/pip-audit --local --skip-editable

# Refresh constraints.txt from a working environment after changing dependencies.
constraints: install
	{ echo "# Exact versions of a tested install (make constraints); make install and CI use them."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^-e '; } > constraints.txt
# Mutation testing of the rule modules, one group at a time (scripts/mutants.py); not part of `make test`.
mutants: install translations
	$(BIN)/python scripts/mutants.py $(MUTANTS_ARGS)

bench: install
	$(BIN)/python bench/roster_import.py --rows 10000

# Pages and API under wrk against a bare ceiling, on the local PostgreSQL (bench/README.md).
bench-pages: install translations
	$(BIN)/python bench/pages.py

# The national-size database (bench/README.md): SCALE_PEOPLE people into $(SCALE_DB) on the local
# PostgreSQL, made afresh; then the cascade and report benchmarks on it.
SCALE_PEOPLE ?= 100000
SCALE_DB ?= lms_scale
SCALE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(SCALE_DB)
scale-db: install
	dropdb -h 127.0.0.1 -U postgres --if-exists $(SCALE_DB)
	createdb -h 127.0.0.1 -U postgres $(SCALE_DB)
	DATABASE_URL=$(SCALE_URL) $(BIN)/lms db upgrade
	DATABASE_URL=$(SCALE_URL) $(BIN)/lms seed scale --people $(SCALE_PEOPLE)

bench-scale: install translations
	$(BIN)/python bench/cascade_scale.py --database $(SCALE_URL)
	$(BIN)/python bench/reports_scale.py --database $(SCALE_URL) --target $(or $(SCALE_TARGET),report)

clean:
	rm -rf $(VENV) instance .pytest_cache
