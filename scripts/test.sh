#!/usr/bin/env bash
# Run every test: unit tests of rnncourse, jupytext pairs, student versions, nbval over every
# notebook (pytest), then the book build with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
start=$(date +%s)
python -m pytest "$@"
bash scripts/build_book.sh --no-install
echo "all tests and the book build passed in $(( $(date +%s) - start )) s"
