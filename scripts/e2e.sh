#!/usr/bin/env bash
# The end-to-end run, from a workstation (`make e2e STAGE=pr42`) or CI (.github/workflows/e2e.yml):
# deploy an ephemeral stage derived from a shipped one, smoke-test it, and always destroy it,
# including what retention or a half-finished run would leave (scripts/e2e_teardown.py).
#
#   scripts/e2e.sh STAGE [BASE_STAGE]      deploy, smoke-test, destroy (BASE_STAGE: default dev)
#   scripts/e2e.sh --teardown STAGE [BASE_STAGE]   only destroy (idempotent; CI runs it again if cancelled)
#
# Needs AWS credentials for a bootstrapped account (README, "End-to-end run in CI").
set -euo pipefail
cd "$(dirname "$0")/.."

teardown_only=false
if [[ "${1:-}" == "--teardown" ]]; then
  teardown_only=true
  shift
fi
stage=${1:?usage: scripts/e2e.sh [--teardown] STAGE [BASE_STAGE]}
base=${2:-dev}
reports="reports/e2e-${stage}"
python=.venv/bin/python

teardown() {
  local status=$1
  trap - EXIT
  echo "e2e: destroying stage ${stage} and its leftovers"
  # A run cancelled half-way may leave a transient cluster: end it before its roles go.
  "${python}" scripts/e2e_teardown.py --stage "${stage}" --base-stage "${base}" --clusters-only || status=1
  # A stack whose bucket is not empty fails to delete: sweep, then destroy again.
  if ! make destroy STAGE="${stage}" BASE_STAGE="${base}" DEPLOY_FLAGS=--force; then
    "${python}" scripts/e2e_teardown.py --stage "${stage}" --base-stage "${base}" || true
    make destroy STAGE="${stage}" BASE_STAGE="${base}" DEPLOY_FLAGS=--force || status=1
  fi
  "${python}" scripts/e2e_teardown.py --stage "${stage}" --base-stage "${base}" || status=1
  exit "${status}"
}

if [[ "${teardown_only}" == true ]]; then
  teardown 0
fi

trap 'teardown $?' EXIT
mkdir -p "${reports}"
echo "e2e: deploying stage ${stage} (ephemeral, from ${base})"
make deploy STAGE="${stage}" BASE_STAGE="${base}" DEPLOY_FLAGS="--require-approval never"
echo "e2e: smoke test; report in ${reports}/smoke-test.txt"
"${python}" -m lakeops --stage "${stage}" --base-stage "${base}" smoke-test 2>&1 | tee "${reports}/smoke-test.txt"
