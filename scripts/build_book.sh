#!/usr/bin/env bash
# Build the executed book as HTML into _build/html, warnings as errors, and the book as one PDF
# (_build/html/rnncourse.pdf, checked by scripts/build_pdf.py --check).
# Options: --no-install  skip scripts/install.sh
#          --use-cache   take notebook outputs from _build/.jupyter_cache (scripts/test.sh fills
#                        it from the tested run); without it the cache is emptied first, so every
#                        notebook runs against the current package.
set -euo pipefail
cd "$(dirname "$0")/.."
install=1 use_cache=0
for arg in "$@"; do
    case "$arg" in
        --no-install) install=0 ;;
        --use-cache) use_cache=1 ;;
        *) echo "build_book.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
source scripts/env.sh
if [ "$install" = 1 ]; then bash scripts/install.sh; fi
if [ "$use_cache" = 0 ]; then rm -rf _build/.jupyter_cache; fi
rm -rf _build/html _build/.doctrees
echo "rnncourse: building the book (jupyter-book build . -W -n --keep-going)"
jupyter-book build . -W -n --keep-going
# The book as one PDF (_build/html/rnncourse.pdf, linked from every page): the same sources and
# notebook outputs (from the cache the HTML build just used), on one page, printed by Chromium.
echo "rnncourse: building the PDF (jupyter-book build . --builder singlehtml; scripts/build_pdf.py)"
rm -rf _build/singlehtml
jupyter-book build . -W -n --keep-going --builder singlehtml
"$PYTHON" scripts/build_pdf.py --check
echo "book: open _build/html/index.html (PDF: _build/html/rnncourse.pdf)"
