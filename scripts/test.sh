#!/usr/bin/env bash
# Run every test, then build the book. First pytest on all cores (pytest-xdist): the unit tests
# of rnncourse and its tools, jupytext pairs, student versions, generated notebooks (everything
# but the chapter runs, marked "chapter"). Then each chapter runs once, as a student gets it:
# its test unit (the generated Colab solution notebook with the chapter's hidden asserts back in
# place and the exercise version's checks on its stubs appended) under nbval, from an installed
# wheel in a bare folder (scripts/nbval_colab.py), which stores each chapter's outputs in the
# book's jupyter-cache. Then the book build with warnings as errors, taking the notebooks'
# outputs from that cache (it runs no chapter again), and a table of each chapter's time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install.sh
# pytest and nbval run two notebooks at a time, one per core: one torch thread each. Two threads
# each would make four on two cores, and torch's threads wait for each other by spinning (a
# chapter measured 8x slower that way); a chapter run alone on idle cores uses torch's default.
export OMP_NUM_THREADS=1
start=$(date +%s)
"$PYTHON" scripts/lint_workflows.py   # .github/workflows, with actionlint
# The Colab notebooks in colab/ are generated from the chapters: generate them into a temporary
# folder and fail if they differ from colab/ (run python scripts/make_colab.py and commit colab/).
# Nothing is written into the working tree: a student's work in colab/exercises/ is safe.
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
"$PYTHON" scripts/make_colab.py --check --out "$generated"
rm -rf _build/.jupyter_cache   # nothing stale: this run's chapter runs fill it again
echo "rnncourse: running the tests (pytest -n auto, all but the chapter runs)"
"$PYTHON" -m pytest -n auto --dist load --maxschedchunk 1 -m "not chapter" "$@"
# Each chapter's one execution: the generated solution notebook as students get it (the package
# built as a wheel and installed non-editable, the notebook alone in a bare folder), with the
# hidden asserts and the checks on the stubs, under nbval; the outputs go to the book's cache
echo "rnncourse: each chapter once, from the installed wheel (pytest --nbval-lax, scripts/nbval_colab.py)"
"$PYTHON" scripts/nbval_colab.py --book-cache _build/.jupyter_cache
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
