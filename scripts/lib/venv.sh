# Sourced by the scripts: makes sure $venv has the pinned reference packages and exports
# LANCELET_PYTHON. Lancelet itself never needs Python; the tests and benchmarks compare against it.
root=${root:?}
venv=${LANCELET_VENV:-$root/.venv}
if ! "$venv/bin/python" -c 'import lance, pyarrow, numpy, zstandard, lz4, pyroaring, PIL; assert lance.__version__ == "14.0.2"' 2>/dev/null; then
  echo "== setting up $venv (pylance 14.0.2, pyarrow, numpy, …)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements.txt"
fi
export LANCELET_PYTHON="$venv/bin/python"
