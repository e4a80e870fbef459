#!/usr/bin/env bash
# Benchmark: a full crawl against a binding consumption limit. The simulator enforces BUDGET TSTU
# per WINDOW seconds per identity and organization (1 TSTU per request); the client is configured
# well above that rate, so only its adaptation to the rate-limit headers keeps it inside.
# Reports requests blocked (429) and delayed, and the crawl's wall time against the budget floor
# (total cost / allowed rate). Usage: benches/rate_limit.sh [PROJECTS] [BUDGET] [WINDOW]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-600}
budget=${2:-200}
window=${3:-10}
bin=${ADO_POSTURE_BIN:-target/debug/ado-posture}
[ -x "$bin" ] || cargo build --quiet
work=$(mktemp -d)
trap 'kill $sim 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" simulate --listen 127.0.0.1:0 --organizations 1 --projects "$projects" --repositories 1 \
  --tstu-budget "$budget" --window-seconds "$window" --pat bench-pat >"$work/sim.out" 2>"$work/sim.err" &
sim=$!
for _ in $(seq 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.05; done
url=$(awk '{print $NF}' "$work/sim.out")
cat >"$work/config.toml" <<TOML
[limits]
requests_per_second = 100
burst = 20
max_concurrency = 8

[[connector]]
name = "bench"
url = "$url"
vssps_url = "$url"
organizations = ["sim-org-00"]
auth = { kind = "pat", token_env = "BENCH_PAT" }
TOML
BENCH_PAT=bench-pat ADO_POSTURE_LOG=warn "$bin" run --config "$work/config.toml" --out "$work/out" --log-format json >/dev/null
kill -INT $sim; wait $sim 2>/dev/null || true
python3 - "$work/out/dataset/_runs" "$budget" "$window" "$(tail -1 "$work/sim.err")" <<'PY'
import json, pathlib, sys
runs, budget, window, sim = pathlib.Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
manifest = json.loads(next(runs.glob("*.json")).read_text())
t = manifest["api_totals"]
calls, crawl = t["calls"], manifest["crawl_seconds"]
floor = calls / (budget / window)
print(f"requests {calls}, retries {t['retries']}, blocked (429) {t['blocked']}, delayed {round(t['delayed_seconds'] / 0.5)} "
      f"({t['delayed_seconds']:.1f} s of server delay)")
print(f"crawl {crawl:.1f} s, budget floor {floor:.1f} s ({calls} TSTU at {budget/window:.0f} TSTU/s): {crawl / floor:.3f}x")
print("simulator:", sim)
PY
