#!/usr/bin/env bash
# Try the README's commands as on a fresh machine: a clean clone of the committed HEAD, no
# virtual environment active, and on PATH only a python3 (no command called `python`). Prints
# what each step took and the disk the created .venv/ needs.
#
#   bash scripts/check_fresh_setup.sh            # scripts/install.sh twice (fresh, then again)
#   bash scripts/check_fresh_setup.sh --build    # ... and bash scripts/build_book.sh
#   bash scripts/check_fresh_setup.sh --all      # ... and bash scripts/test.sh too
#
# PY3=/path/to/python3 picks the interpreter (default: /usr/bin/python3 if there is one). The
# clone is made in a temporary folder, kept with KEEP=1.
set -euo pipefail
mode=${1:-install}
case "$mode" in install|--build|--all) ;; *) echo "usage: $0 [--build|--all]" >&2; exit 2 ;; esac
repo=$(cd "$(dirname "$0")/.." && pwd)
py3=${PY3:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 )}
work=$(mktemp -d "${TMPDIR:-/tmp}/rnncourse-fresh.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/rnncourse"
mkdir "$work/bin" && ln -s "$py3" "$work/bin/python3"
# PATH: one folder with python3 and links to the other commands the scripts call (the system
# folders cannot be used whole: /usr/bin holds python3 and perhaps python)
for tool in bash sh env git date rm cp mv mkdir mktemp dirname basename cat cut grep sed sort \
        tail head tr wc find xargs sleep ln ls chmod uname nproc du tar gzip which \
        npm node chromium apt-get dpkg id; do
    if command -v "$tool" >/dev/null && [ ! -e "$work/bin/$tool" ]; then
        ln -s "$(command -v "$tool")" "$work/bin/$tool"
    fi
done
path="$work/bin"
cd "$work/rnncourse"
summary=()
step() {  # step "description" command...
    local start end
    echo "=== $1"
    start=$(date +%s)
    env -u VIRTUAL_ENV -u CONDA_PREFIX -u RNNCOURSE_PYTHON_CHOSEN PATH="$path" "${@:2}"
    end=$(date +%s)
    summary+=("$(printf '%-45s %5d s' "$1" $((end - start)))")
}
echo "fresh clone in $work/rnncourse ($(git log --oneline -1)); $(nproc) cores; python3 is $py3 ($("$py3" --version))"
if env PATH="$path" bash -c 'command -v python' >/dev/null; then echo "a python command is on PATH" >&2; exit 1; fi
echo "on PATH: no python command; python3 -> $py3"
step "bash scripts/install.sh (fresh: creates .venv)" bash scripts/install.sh
step "bash scripts/install.sh (again: nothing new)" bash scripts/install.sh
venv_size=$(du -sh .venv | cut -f1)
if [ "$mode" = --build ] || [ "$mode" = --all ]; then
    step "bash scripts/build_book.sh" bash scripts/build_book.sh
fi
if [ "$mode" = --all ]; then
    step "bash scripts/test.sh" bash scripts/test.sh
fi
echo "=== summary ($(nproc) cores)"
printf '%s\n' "${summary[@]}"
echo "disk: .venv/ $venv_size; the clone $(du -sh --exclude=.venv . | cut -f1)"
