# CDK targets, included by the main Makefile (which provides the `venv` stamp target and $(VENV)).
# make synth  ENV=dev|staging|prod   -> cdk.out/ (builds the dependency layer with pip, no Docker)
# make deploy ENV=dev                 -> npx cdk deploy with the CLI pinned in package.json
# make layer                          -> build/deps-layer/python, then print asset sizes

ENV ?= dev
PY ?= .venv/bin/python
CDK = npx --no-install cdk
CDK_FLAGS = -c env=$(ENV)

.PHONY: synth deploy diff layer sizes cdk-cli

node_modules/.bin/cdk: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

cdk-cli: node_modules/.bin/cdk

synth: venv node_modules/.bin/cdk
	$(CDK) synth $(CDK_FLAGS) --quiet

deploy: venv node_modules/.bin/cdk
	$(CDK) deploy $(CDK_FLAGS) --all --require-approval broadening

diff: venv node_modules/.bin/cdk
	$(CDK) diff $(CDK_FLAGS) --all

layer: venv
	rm -rf build/deps-layer
	$(PY) -m infra.packaging build/deps-layer
	$(PY) -m infra.sizes

sizes: venv
	$(PY) -m infra.sizes
