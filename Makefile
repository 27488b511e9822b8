# Nova monitoring bridge. Quick start: `make run`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/layers/core/python:$(CURDIR)
# jsii prints a banner on every start that Node 20 is past its end of life; the machine has Node 20.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

ROLE ?= admin
TENANT ?= acme
USER_ID ?=

.PHONY: venv run token test test-unit test-integration test-infra test-e2e test-live bench reconcile goalert-bootstrap clean

venv: $(STAMP)

# Reinstall only when the requirements change.
$(STAMP): requirements.txt layers/deps/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

run: venv  ## Run the bridge on 127.0.0.1:8080 (NOVA_PORT), embedded PostgreSQL, moto
	@$(PY) -m devserver run

token: venv  ## Print a dev JWT: make token ROLE=technician TENANT=acme
	@$(PY) -m devserver token --role $(ROLE) --tenant $(TENANT) $(if $(USER_ID),--user $(USER_ID))

test: venv  ## Every test (live tests run only when GOALERT_URL / KUMA_URL are set)
	@$(PY) -m pytest -q

test-unit: venv
	@$(PY) -m pytest -q tests/unit

test-integration: venv
	@$(PY) -m pytest -q tests/integration

test-infra: venv
	@$(PY) -m pytest -q tests/infra

test-e2e: venv
	@$(PY) -m pytest -q tests/e2e

test-live: venv
	@$(PY) -m pytest -q tests/live

bench: venv  ## Benchmarks; figures printed and written to bench/results.json
	@$(PY) -m bench

reconcile: venv  ## Repair drift with Kuma: make reconcile ARGS="--tenant acme --dry-run"
	@$(PY) -m nova_bridge.tools.reconcile $(ARGS)

# Once per GoAlert (deployed: with AWS credentials for its Secrets Manager secret, GOALERT_SECRET_ID):
# creates the API key of our operations document and allows GoAlert's webhooks to NOVA_PUBLIC_URL.
goalert-bootstrap: venv  ## GOALERT_URL, GOALERT_USERNAME, GOALERT_PASSWORD, GOALERT_SECRET_ID, NOVA_PUBLIC_URL
	@$(PY) -m nova_bridge.adapters.goalert.bootstrap --url "$$GOALERT_URL" --username "$$GOALERT_USERNAME" \
		--password-env GOALERT_PASSWORD $${GOALERT_SECRET_ID:+--secret-id "$$GOALERT_SECRET_ID"} \
		--enable-webhooks "$${NOVA_PUBLIC_URL:-http://127.0.0.1:8080}/webhooks/goalert/"

clean:
	rm -rf $(VENV) .local cdk.out .pytest_cache

-include infra.mk
