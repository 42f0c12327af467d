# The two commands: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Not ?=: honcho, Codespaces and Heroku-like shells export PORT; only `make run PORT=8001` moves it.
PORT   := 8000

.PHONY: run test install assets chromium fonts migrate seed lint format messages bench clean

run: install assets migrate seed ## web + worker + beat on http://127.0.0.1:$(PORT) (Ctrl-C stops all three)
	@echo "Portal: http://127.0.0.1:$(PORT)   (demo logins printed above)"
	PORTAL_PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install assets chromium ## the whole suite, browser and integration tests included
	scripts/system-deps.sh cli nginx services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.requirements-installed

$(BIN)/python:
	scripts/system-deps.sh venv
	$(PYTHON) -m venv $(VENV)

$(VENV)/.requirements-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

assets: node_modules/.installed fonts

node_modules/.installed: package.json package-lock.json
	scripts/system-deps.sh npm
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

chromium:
	scripts/system-deps.sh chromium

fonts:
	scripts/system-deps.sh fonts

migrate: install assets
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

lint: install assets ## what CI checks besides the tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install ## after changing user-facing text: extract, then translate locale/zh_Hans, then compile
	# Python and Django templates through makemessages, the Jinja2 pages through Babel (babel.cfg),
	# then one catalogue: both templates merged into django.po, translations kept.
	$(MANAGE) makemessages -l zh_Hans --keep-pot --ignore=.venv --ignore=node_modules --ignore=var --ignore=jinja2
	$(BIN)/pybabel extract -F babel.cfg --no-wrap --ignore-dirs=".venv node_modules var" -o var/jinja2.pot .
	msgcat --use-first locale/django.pot var/jinja2.pot -o var/messages.pot
	msgmerge --quiet --update --backup=none locale/zh_Hans/LC_MESSAGES/django.po var/messages.pot
	msgattrib --no-obsolete --no-wrap -o locale/zh_Hans/LC_MESSAGES/django.po locale/zh_Hans/LC_MESSAGES/django.po
	rm -f locale/django.pot var/jinja2.pot var/messages.pot
	$(MANAGE) compilemessages -l zh_Hans --ignore=.venv

bench: install assets ## benchmarks/: prints figures and ratios against a baseline from the same run
	$(BIN)/python benchmarks/upload_processing.py
	$(BIN)/python benchmarks/check_signature.py
	$(BIN)/python benchmarks/templates.py
	scripts/system-deps.sh bench
	$(BIN)/python benchmarks/pages.py  # needs PostgreSQL on 127.0.0.1:5432 (user postgres)
	$(BIN)/python benchmarks/rest_api.py  # the API's lists (queries, 5 vs 500 rows) and its precheck under gunicorn
	$(BIN)/python benchmarks/desk.py  # the account manager's desk and its export, PostgreSQL too
	$(BIN)/python benchmarks/activity.py  # the daily run over 1,000,000 sending statistics, PostgreSQL too
	$(BIN)/python benchmarks/policy_impact.py  # the rule-change run on one worker, then two: PostgreSQL and Redis
	$(BIN)/python benchmarks/load.py  # dashboard, review queue, desk, API lists under wrk; the locust scenario

clean:
	rm -rf $(VENV) node_modules var
