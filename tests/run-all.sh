#!/usr/bin/env bash
# The test command: installs what the tests need (tests/setup.sh), then runs every test.
# A missing component fails a test; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
exec .venv/bin/pytest -p no:cacheprovider "$@"
