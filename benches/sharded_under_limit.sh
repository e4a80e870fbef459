#!/usr/bin/env bash
# A sharded crawl against one process under a binding consumption limit (docs/benchmarks.md,
# "Under a binding consumption limit").
# usage: benches/sharded_under_limit.sh [BUDGET [WINDOW_SECONDS [ORGANIZATIONS [MAX_ORGANIZATIONS]]]]
#   defaults: 50 10 6 4; ADO_POSTURE_BIN names the binary (default target/debug/ado-posture).
# Prints, for one process and for 3 shards at once: wall time, then per run the crawl seconds,
# API calls, seconds delayed by the limit and requests blocked (from the run manifests).
set -euo pipefail
budget="${1:-50}" window="${2:-10}" organizations="${3:-6}" max_organizations="${4:-4}"
bin="${ADO_POSTURE_BIN:-target/debug/ado-posture}"
work="$(mktemp -d)"
ADO_POSTURE_SIM_PAT=bench-pat ADO_POSTURE_LOG=warn "$bin" simulate --listen 127.0.0.1:0 \
  --organizations "$organizations" --projects 4 --repositories 10 --latency-ms 20 \
  --tstu-budget "$budget" --window-seconds "$window" > "$work/sim.out" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q "http://" "$work/sim.out" && break; sleep 0.1; done
url="$(head -1 "$work/sim.out" | awk '{print $NF}')"
cat > "$work/config.toml" <<EOF
[limits]
max_concurrency = 16
max_organizations = $max_organizations
[[connector]]
name = "bench"
url = "$url"
vssps_url = "$url"
advsec_url = "$url"
organizations = ["*"]
auth = { kind = "pat", token_env = "BENCH_PAT" }
EOF
export BENCH_PAT=bench-pat ADO_POSTURE_LOG=warn
figures() {
  python3 - "$@" <<'PY'
import glob, json, sys
for folder in sys.argv[1:]:
    for path in glob.glob(folder + "/dataset/_runs/*.json"):
        m = json.load(open(path))
        t = m["api_totals"]
        print(f"  {folder.rsplit('/', 1)[-1]}: crawl {m['crawl_seconds']:.1f} s, {t['calls']} calls, "
              f"{t.get('delayed_seconds', 0)} s delayed, {t.get('blocked', 0)} blocked")
PY
}
start=$(date +%s.%N)
"$bin" run --config "$work/config.toml" --out "$work/single" --no-email > /dev/null
echo "one process (max_organizations $max_organizations): $(echo "$(date +%s.%N) - $start" | bc) s"
figures "$work/single"
start=$(date +%s.%N)
pids=()
for k in 1 2 3; do
  "$bin" run --config "$work/config.toml" --out "$work/sharded" --shard "$k/3" --no-email > /dev/null &
  pids+=($!)
done
wait "${pids[@]}"
echo "3 shards at once: $(echo "$(date +%s.%N) - $start" | bc) s"
figures "$work"/sharded/shards/*
