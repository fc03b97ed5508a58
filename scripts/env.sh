# Sourced by install.sh, build_book.sh and test.sh: choose the Python environment, say which,
# put its bin/ first on PATH and set PYTHON. In this order:
#   1. the active virtual environment ($VIRTUAL_ENV);
#   2. a virtual environment whose python3 (or python) is first on PATH (CI activates one);
#   3. this repository's .venv/;
#   4. a python3 (or python) on PATH that already has torch (Colab, a conda or docker image);
#   5. otherwise create .venv/ with python3 -m venv and use it.
# Nothing needs a command called `python`: python3 is tried first.
# shellcheck shell=bash
if [ -z "${RNNCOURSE_PYTHON_CHOSEN:-}" ]; then
    _rc_python="" _rc_why=""
    _rc_onpath=$(command -v python3 || command -v python || true)
    if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
        _rc_python="$VIRTUAL_ENV/bin/python" _rc_why="the active virtual environment \$VIRTUAL_ENV"
    elif [ -n "$_rc_onpath" ] && "$_rc_onpath" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' 2>/dev/null; then
        _rc_python="$_rc_onpath" _rc_why="the virtual environment first on PATH"
    elif [ -x .venv/bin/python ]; then
        _rc_python=".venv/bin/python" _rc_why="this repository's .venv/"
    elif [ -n "$_rc_onpath" ] && "$_rc_onpath" -c 'import torch' 2>/dev/null; then
        _rc_python="$_rc_onpath" _rc_why="a Python on PATH that already has torch"
    elif [ -n "$_rc_onpath" ]; then
        echo "rnncourse: creating the virtual environment .venv/ with $_rc_onpath -m venv"
        if ! "$_rc_onpath" -m venv .venv; then
            echo "rnncourse: could not create .venv/ (on Debian/Ubuntu: apt-get install python3-venv)" >&2
            exit 1
        fi
        _rc_python=".venv/bin/python" _rc_why="the new .venv/"
    else
        echo "rnncourse: no python3 or python on PATH; install Python 3.10 to 3.13 first" >&2
        exit 1
    fi
    if ! "$_rc_python" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))'; then
        echo "rnncourse: $_rc_python is Python $("$_rc_python" -c 'import platform; print(platform.python_version())'); expected 3.10 to 3.13" >&2
        exit 1
    fi
    _rc_bin=$(cd "$(dirname "$_rc_python")" && pwd)
    PYTHON="$_rc_bin/$(basename "$_rc_python")"
    # its scripts folder (jupyter-book, pytest, nbgrader's alembic) first on PATH
    _rc_scripts=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
    export PYTHON PATH="$_rc_bin:$_rc_scripts:$PATH" RNNCOURSE_PYTHON_CHOSEN=1
    echo "rnncourse: using $PYTHON (Python $("$PYTHON" -c 'import platform; print(platform.python_version())'), $_rc_why)"
    unset _rc_python _rc_why _rc_onpath _rc_bin _rc_scripts
fi
