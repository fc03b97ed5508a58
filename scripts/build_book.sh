#!/usr/bin/env bash
# Build the executed book as HTML into _build/html (every notebook is run), warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--no-install" ]; then bash scripts/install.sh; fi
rm -rf _build/html _build/.doctrees
jupyter-book build . -W -n --keep-going
echo "book: open _build/html/index.html"
