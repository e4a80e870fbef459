#!/usr/bin/env bash
# Benchmark: the whole nightly job on a large simulated estate, release build, the simulator at
# full speed (no latency, no consumption limit; the client at 10,000 requests/s and 32 in flight),
# then its stages on their own: `evaluate` (rules and history over the committed snapshot) and
# `report` (every report from the dataset). Each under /usr/bin/time -v: wall time and peak RSS.
# Usage: benches/large_estate.sh [ORGANIZATIONS] [PROJECTS] [REPOSITORIES_PER_PROJECT] [ALERTS]
# (default: 10 × 100 × 100 = 100,000 repositories, 18 alerts on each repository with Advanced
# Security on: about 1,000,000 alerts). ALERTS=random keeps the simulator's 0-5.
# MAX_ORGANIZATIONS=N sets [limits] max_organizations (organizations crawled at once; default
# the client's). KEEP=DIR writes the run's output there and keeps it (e.g. to try the e-mail).
set -euo pipefail
cd "$(dirname "$0")/.."
organizations=${1:-10}
projects=${2:-100}
repositories=${3:-100}
alerts=${4:-18}
bin=${ADO_POSTURE_BIN:-target/release/ado-posture}
[ -x "$bin" ] || cargo build --release --quiet -p ado-posture-cli
work=$(mktemp -d)
sim=
trap 'if [ -n "$sim" ]; then kill "$sim" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

out=${KEEP:-$work/out}
alert_flags=()
[ "$alerts" = random ] || alert_flags=(--alerts-per-repository "$alerts")
"$bin" simulate --listen 127.0.0.1:0 --organizations "$organizations" --projects "$projects" \
  --repositories "$repositories" "${alert_flags[@]}" --pat bench-pat \
  >"$work/sim.out" 2>"$work/sim.err" &
sim=$!
for _ in $(seq 600); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk '{print $NF}' "$work/sim.out")
cat >"$work/config.toml" <<TOML
[limits]
requests_per_second = 10000
burst = 1000
max_concurrency = 32
${MAX_ORGANIZATIONS:+max_organizations = $MAX_ORGANIZATIONS}

[[connector]]
name = "bench"
url = "$url"
vssps_url = "$url"
advsec_url = "$url"
organizations = ["*"]
auth = { kind = "pat", token_env = "BENCH_PAT" }
TOML

# measure NAME COMMAND...: wall seconds and peak RSS (MB) of one command.
measure() {
  local name=$1
  shift
  local code=0
  BENCH_PAT=bench-pat ADO_POSTURE_LOG=warn /usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time" || code=$?
  python3 - "$name" "$work/$name.time" "$code" <<'PY'
import re, sys
name, path, code = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
seconds = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
print(f"| {name} | {seconds:.1f} s | {rss:.0f} MB | exit {code} |")
PY
}

echo "| stage | wall | peak RSS | |"
echo "|---|---|---|---|"
measure "run (crawl, rules, history, reports)" "$bin" run --config "$work/config.toml" --out "$out"
kill -INT "$sim"
wait "$sim" 2>/dev/null || true
sim=
measure "evaluate (rules and history)" "$bin" evaluate --data "$out" --config "$work/config.toml"
measure "report (every report)" "$bin" report --data "$out"
python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
manifest = json.loads(sorted((out / "dataset" / "_runs").glob("*.json"))[-1].read_text())
rows = {name: t["rows"] for name, t in manifest["tables"].items()}
print(f"\ncrawl {manifest['crawl_seconds']:.1f} s, {manifest['api_totals']['calls']:,} calls; "
      f"rows: repositories {rows.get('repositories', 0):,}, "
      f"advsec_alerts {rows.get('advsec_alerts', 0):,}, "
      f"findings {rows.get('findings', 0):,} ({manifest['findings']['open']:,} open)")
reports = sorted((out / "reports").iterdir())[-1]
for f in sorted(reports.iterdir()):
    print(f"  {f.name}: {f.stat().st_size / 1e6:.1f} MB")
PY
