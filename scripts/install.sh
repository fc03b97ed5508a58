#!/usr/bin/env bash
# Install what the book and the tests need. CPU torch first (if no torch is installed yet), so
# that the torch range in requirements.txt installs nothing more.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python -c "import torch" 2>/dev/null; then
    # On this project's machines this finds the local CPU wheel. Elsewhere, for a CPU-only
    # build add: --index-url https://download.pytorch.org/whl/cpu
    python -m pip install --quiet "torch==2.13.0"
fi
python -m pip install --quiet -r requirements.txt
