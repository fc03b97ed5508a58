#!/usr/bin/env bash
# Run the unit tests (not the chapter notebooks) on other Python versions, one fresh virtual
# environment each, in a temporary folder that is deleted afterwards:
#
#   bash scripts/test_python_versions.sh                 # python3.10, python3.12, python3.13
#   bash scripts/test_python_versions.sh python3.12 /opt/py/bin/python3.13
#
# Each environment installs torch 2.13.0 (the version CI uses): the CPU build from
# PyTorch's index when that is reachable (about 200 MB), otherwise PyPI's CUDA build (several GB,
# which also runs on a CPU), then requirements.txt, then runs
# `pytest -m "not chapter" -p no:xdist tests` from the repository. CI does not run this (it tests
# the Python that scripts/env.sh picks); the README says which versions were run.
set -uo pipefail
cd "$(dirname "$0")/.."
pythons=("$@")
[ ${#pythons[@]} -gt 0 ] || pythons=(python3.10 python3.12 python3.13)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
summary=()
for py in "${pythons[@]}"; do
    if ! command -v "$py" >/dev/null; then
        summary+=("$py: not found, skipped")
        continue
    fi
    if ! version=$("$py" -c 'import platform; print(platform.python_version())' 2>/dev/null); then
        summary+=("$py: does not run (a pyenv shim without that version?), skipped")
        continue
    fi
    env="$tmp/venv-$version"
    echo "== Python $version ($py): $env"
    if "$py" -m venv "$env" \
        && { "$env/bin/python" -m pip install --quiet torch==2.13.0 \
                 --index-url https://download.pytorch.org/whl/cpu --timeout 15 --retries 0 \
             || "$env/bin/python" -m pip install --quiet torch==2.13.0; } \
        && "$env/bin/python" -m pip install --quiet -r requirements.txt \
        && "$env/bin/python" -m pytest -q -m "not chapter" -p no:xdist tests; then
        summary+=("Python $version: passed")
    else
        summary+=("Python $version: FAILED")
        status=1
    fi
done
printf '%s\n' "${summary[@]}"
exit $status
