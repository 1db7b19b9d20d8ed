#!/usr/bin/env bash
# Runs reference_cli.py with the project's Python (LANCELET_PYTHON, else <repo>/.venv/bin/python).
here=$(cd "$(dirname "$0")" && pwd)
exec "${LANCELET_PYTHON:-$here/../../.venv/bin/python}" "$here/reference_cli.py" "$@"
