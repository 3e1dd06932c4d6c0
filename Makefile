# The two commands: `make run` (web player on :8000, embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# Production-like environment for `check --deploy`.
DEPLOY_ENV := DEBUG=0 SECRET_KEY=deploy-check-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	ALLOWED_HOSTS=streamify.example.com DATABASE_URL=$${DATABASE_URL:-sqlite:////tmp/deploy-check.sqlite3}
TEST_ENV := DJANGO_SETTINGS_MODULE=streamify.settings.test

.PHONY: run test install lint deadcode checks pytest demo clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

demo: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo_catalog
	DEBUG=1 $(PY) manage.py load_demo_licensing
	DEBUG=1 $(PY) manage.py load_demo_editorial
	DEBUG=1 $(PY) manage.py load_demo_history
	# Again, now that there are streams: last month's royalty pools and statements.
	DEBUG=1 $(PY) manage.py load_demo_licensing
	DEBUG=1 $(PY) manage.py rebuild_recommendations
	DEBUG=1 $(PY) manage.py rebuild_artist_insights

# The embedded broker: messages are files under .cache/broker; no Redis, no writes to SQLite.
EMBEDDED_ENV := DEBUG=1 CELERY_BROKER_URL=filesystem:// CELERY_TASK_ALWAYS_EAGER=0 \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
WORKER_CONCURRENCY ?= 2

run: demo
	@mkdir -p .cache/broker/queue .cache/broker/control
	@echo "Streamify on http://$(HOST)/  (demo listener: demo@streamify.test / streamify-demo, admin: admin@streamify.test / streamify-admin)"
	@echo "web, Celery worker and beat start together; Ctrl-C stops all three."
	$(EMBEDDED_ENV) $(PY) manage.py queue_transcodes
	$(EMBEDDED_ENV) HOST=$(HOST) WORKER_CONCURRENCY=$(WORKER_CONCURRENCY) \
		$(BIN)/honcho -f Procfile.embedded start

lint: install deadcode
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/bandit -c tests/security/bandit.yaml -q -r common mediatools api accounts catalog playback licensing editorial recommendations artists web streamify

# Unused code in the app packages; paths, options and the reviewed whitelist of framework
# hooks (tests/vulture_whitelist.py) are in pyproject.toml [tool.vulture].
deadcode: install
	$(BIN)/vulture

checks: install
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(TEST_ENV) $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint checks pytest

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
