#!/bin/sh
# The Node process jsii starts for the CDK in the tests (tests/conftest.py sets JSII_NODE to this
# file): V8 without its background threads for compiling and collecting garbage. In `pytest -n 2`
# both cores already run a worker, so those threads took turns with the workers instead of
# working beside them: a test-fast run spent 3-5 s less CPU with them off, the same work done.
exec node --single-threaded "$@"
