#!/usr/bin/env bash
# Benchmark: a full crawl against a binding consumption limit. The simulator enforces BUDGET TSTU
# per WINDOW seconds per identity and organization, with routes costing as ROUTE_COSTS below
# (alerts and large lists several times a simple GET) and rate-limit headers only once
# THRESHOLD of the budget is used; the client runs with its default [limits], well above that
# rate, so only its adaptation to the headers keeps it inside.
# Reports requests blocked (429) and delayed, and the crawl's wall time against the budget floor:
# the total cost beyond the first window's budget at the allowed rate, (cost - BUDGET) / (BUDGET /
# WINDOW). Usage: benches/rate_limit.sh [PROJECTS] [BUDGET] [WINDOW] [THRESHOLD]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-600}
budget=${2:-200}
window=${3:-10}
threshold=${4:-0.8}
# TSTU per simulator route (the client's endpoint names are the same); anything else costs 1.
route_costs="alert/repositories=5 reporting/summary=5 git/repositories=3 policy/configurations=3 build/definitions=3 management/enablement=3 pipelines/checks=2 build/authorizedresources=2"
cost_flags=()
for rc in $route_costs; do cost_flags+=(--route-cost "$rc"); done
. benches/crawl_simulator.sh
crawl_simulator --projects "$projects" --repositories 1 \
  --tstu-budget "$budget" --window-seconds "$window" --header-threshold "$threshold" "${cost_flags[@]}"
python3 - "$work/out/dataset/_runs" "$budget" "$window" "$(tail -1 "$work/sim.err")" "$route_costs" <<'PY'
import json, pathlib, sys
runs, budget, window, sim = pathlib.Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
costs = {rc.split("=")[0]: float(rc.split("=")[1]) for rc in sys.argv[5].split()}
manifest = json.loads(next(runs.glob("*.json")).read_text())
t = manifest["api_totals"]
calls, crawl = t["calls"], manifest["crawl_seconds"]
# Blocked requests are not charged (expect none).
cost = sum(e["calls"] * costs.get(name, 1.0) for name, e in manifest["api"].items()) - t["blocked"]
floor = (cost - budget) / (budget / window)
delayed = round(t["delayed_seconds"] / 0.5)
print(f"requests {calls}, retries {t['retries']}, blocked (429) {t['blocked']}, delayed {delayed} "
      f"({100 * delayed / calls:.2f}%, {t['delayed_seconds']:.1f} s of server delay)")
print(f"cost {cost:.0f} TSTU ({cost / budget:.1f} windows' budget); crawl {crawl:.1f} s, floor {floor:.1f} s "
      f"(cost beyond the first window at {budget/window:.0f} TSTU/s): {crawl / floor:.3f}x "
      f"({crawl / (cost / (budget / window)):.3f}x of cost / rate)")
print("simulator:", sim)
PY
