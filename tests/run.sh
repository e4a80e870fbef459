#!/usr/bin/env bash
# Every check CI runs, on a fresh machine or a used one: installs the Python readers the tests
# use (pyarrow, DuckDB, Polars, moto) into a virtualenv and Azurite with npm, then runs rustfmt,
# clippy and the whole test suite.
#   ADO_POSTURE_VENV   where the virtualenv lives (default: .venv in the repository)
#   ADO_POSTURE_NPM_TOOLS  where Azurite is installed (default: .npm-tools in the repository)
#   CARGO_TARGET_DIR   as usual; .ci/run points it outside the clone so builds are reused
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${ADO_POSTURE_VENV:-$PWD/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "== creating Python virtualenv $venv"
  python3 -m venv "$venv"
fi
echo "== installing test requirements (pyarrow, duckdb, aiosmtpd, PyYAML, pandas, pyspark)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
export ADO_POSTURE_PYTHON="$venv/bin/python"
# Azurite, Microsoft's Azure Storage emulator, for tests/object_stores.rs (moto, its S3
# counterpart, comes with the Python requirements above).
npm_tools="${ADO_POSTURE_NPM_TOOLS:-$PWD/.npm-tools}"
azurite_version=3.37.0
if [ "$(cat "$npm_tools/.azurite-version" 2>/dev/null)" != "$azurite_version" ]; then
  echo "== installing Azurite $azurite_version (npm) into $npm_tools"
  mkdir -p "$npm_tools"
  npm install --prefix "$npm_tools" --no-audit --no-fund --silent "azurite@$azurite_version"
  echo "$azurite_version" > "$npm_tools/.azurite-version"
fi
export ADO_POSTURE_AZURITE="$npm_tools/node_modules/.bin/azurite-blob"
if ! command -v java >/dev/null 2>&1; then
  echo "warning: no Java runtime: tests/engines.rs cannot start Spark (apt-get install openjdk-17-jre-headless)" >&2
fi

echo "== cargo fmt --all --check"
cargo fmt --all --check
echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== report in headless Chromium"
if command -v chromium >/dev/null 2>&1; then
  shots="${CARGO_TARGET_DIR:-target}/report-check"
  rm -rf "$shots" && mkdir -p "$shots"
  cargo run --quiet -- demo --out "$shots/demo" >/dev/null
  bash scripts/check-report-in-chromium.sh "$shots"/demo/reports/*/report.html "$shots/report.png"
  bash scripts/check-report-in-chromium.sh "$shots"/demo/reports/*/email.html "$shots/email.png"
else
  echo "chromium is not installed: skipped (CI installs it; apt-get install chromium)"
fi

echo "== schedules in cron/ (systemd-analyze verify, crontab, YAML)"
if command -v systemd-analyze >/dev/null 2>&1; then
  cargo build --quiet
  bash scripts/verify-schedules.sh "${CARGO_TARGET_DIR:-target}/debug/ado-posture" "$ADO_POSTURE_PYTHON"
else
  echo "systemd-analyze is not installed: skipped (CI installs it; apt-get install systemd)"
fi

echo "== container image (Containerfile): builds with podman and runs the demo inside"
if command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1; then
  cargo build --quiet
  # These machines reach Debian's mirror but no container registry (so a debootstrapped base and
  # the binary just built, not the Rust stage's image), crun refuses their hybrid cgroups (runc),
  # and raising resource limits is not permitted (fixed limits).
  limits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
  ENGINE=podman ENGINE_OPTS="--runtime runc" BUILD_OPTS="$limits" RUN_OPTS="$limits" DEBOOTSTRAP=1 \
    PREBUILT="${CARGO_TARGET_DIR:-target}/debug/ado-posture" bash scripts/container-build.sh
else
  echo "podman, runc or debootstrap is not installed: skipped (CI installs them)"
fi

echo "== cargo test --workspace --tests (examples are checked by clippy, not linked)"
cargo test --workspace --locked --tests
