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

.PHONY: run test install lint checks pytest demo clean

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
	DEBUG=1 $(PY) manage.py rebuild_recommendations
	DEBUG=1 $(PY) manage.py rebuild_artist_insights

run: demo
	@echo "Streamify on http://$(HOST)/  (demo listener: demo@streamify.test / streamify-demo, admin: admin@streamify.test / streamify-admin)"
	@echo "Transcoding the demo tracks in the background (log: transcode.log); each track plays once its renditions are ready."
	DEBUG=1 $(PY) manage.py queue_transcodes > transcode.log 2>&1 & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/bandit -c tests/security/bandit.yaml -q -r common api accounts catalog playback licensing editorial recommendations artists web streamify

checks: install
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(TEST_ENV) $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint checks pytest

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
