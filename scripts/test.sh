#!/usr/bin/env bash
# Run every test, then build the book. pytest, on all cores (pytest-xdist): unit tests of
# rnncourse, jupytext pairs, student versions, and every chapter notebook executed once
# (tests/test_notebooks.py: the chapter, then its student version's stubs and checks in the same
# kernel), which also stores the executed notebooks in the book's jupyter-cache. Then the book
# build with warnings as errors, taking the notebooks' outputs from that cache, and a table of
# each notebook's execution time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install.sh
start=$(date +%s)
"$PYTHON" scripts/lint_workflows.py   # .github/workflows, with actionlint
# The Colab notebooks in colab/ are generated from the chapters: regenerate them and fail if
# that changes what is committed (run python scripts/make_colab.py and commit colab/).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    "$PYTHON" scripts/make_colab.py
    if ! git diff --exit-code --stat -- colab/; then
        echo "colab/ is out of date: run python scripts/make_colab.py and commit colab/" >&2
        exit 1
    fi
    untracked=$(git ls-files --others --exclude-standard -- colab/)
    if [ -n "$untracked" ]; then
        echo "colab/ has files git does not track (commit them): $untracked" >&2
        exit 1
    fi
else
    "$PYTHON" scripts/make_colab.py --check   # no git: compare with the files as they are
fi
rm -rf _build/.jupyter_cache   # nothing stale: this run's notebook tests fill it again
echo "rnncourse: running the tests (pytest -n auto)"
"$PYTHON" -m pytest -n auto --dist load --maxschedchunk 1 "$@"
bash scripts/build_book.sh --no-install --use-cache
# the built book in a headless Chromium, network cut (tests/browser); a missing browser is a
# failure here when install.sh could install one
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
        || command -v google-chrome >/dev/null || [ "$(id -u)" = 0 ]; then
    export RNNCOURSE_REQUIRE_BROWSER=1
fi
echo "rnncourse: checking the book in a browser (pytest tests/browser)"
"$PYTHON" -m pytest tests/browser -p no:xdist
"$PYTHON" scripts/notebook_times.py
echo "all tests and the book build passed in $(( $(date +%s) - start )) s"
