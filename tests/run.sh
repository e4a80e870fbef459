#!/usr/bin/env bash
# Every check CI runs, on a fresh machine or a used one: installs the Python readers the tests
# use (pyarrow, DuckDB) into a virtualenv, then runs rustfmt, clippy and the whole test suite.
#   ADO_POSTURE_VENV   where the virtualenv lives (default: .venv in the repository)
#   CARGO_TARGET_DIR   as usual; .ci/run points it outside the clone so builds are reused
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${ADO_POSTURE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "== creating Python virtualenv $venv"
  python3 -m venv "$venv"
fi
echo "== installing test requirements (pyarrow, duckdb)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
export ADO_POSTURE_PYTHON="$venv/bin/python"

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked
