# Sourced by the benchmarks: crawl_simulator SIMULATE_FLAGS... starts the simulator with one
# organization and the given flags on a free loopback port, crawls it once with the client's
# default [limits] (the manifest lands in "$work/out/dataset/_runs"), and stops it. Sets $bin and
# $work (removed on exit).
bin=${ADO_POSTURE_BIN:-target/debug/ado-posture}
[ -x "$bin" ] || cargo build --quiet
work=$(mktemp -d)
sim=
trap 'if [ -n "$sim" ]; then kill "$sim" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

crawl_simulator() {
  "$bin" simulate --listen 127.0.0.1:0 --organizations 1 --pat bench-pat "$@" \
    >"$work/sim.out" 2>"$work/sim.err" &
  sim=$!
  for _ in $(seq 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.05; done
  local url
  url=$(awk '{print $NF}' "$work/sim.out")
  cat >"$work/config.toml" <<TOML
[[connector]]
name = "bench"
url = "$url"
vssps_url = "$url"
advsec_url = "$url"
organizations = ["sim-org-00"]
auth = { kind = "pat", token_env = "BENCH_PAT" }
TOML
  BENCH_PAT=bench-pat ADO_POSTURE_LOG=warn "$bin" run --config "$work/config.toml" --out "$work/out" \
    --log-format json >/dev/null 2>"$work/run.err" \
    || echo "run exited $? (crawl figures below still hold; see its log)" >&2
  kill -INT "$sim"; wait "$sim" 2>/dev/null || true
  sim=
}
