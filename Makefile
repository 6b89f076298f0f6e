# The two commands a newcomer needs: `make run` and `make test`.
# Both create a virtual environment in .venv and install the pinned requirements first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install install-dev clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Serve on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set), with a trained model.
run: install
	$(BIN)/python manage.py release
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn bikesite.wsgi --config gunicorn.conf.py --bind 127.0.0.1:$(PORT)

## Run the test suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise).
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3

## Benchmark against the tutorial's Flask app (needs PostgreSQL and wrk; see bench/README.md).
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
