#!/usr/bin/env bash
# Benchmark: a crawl when the service sends no pressure signal (no consumption limit in the
# simulator), with the client's DEFAULT [limits] (none in the config file) and LATENCY ms added
# to every response. Reports the crawl's wall time and requests.
# Usage: benches/no_pressure.sh [PROJECTS] [REPOSITORIES_PER_PROJECT] [LATENCY_MS]
# (default: one organization of 50 projects × 20 repositories = 1,000 repositories, 50 ms)
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-50}
repositories=${2:-20}
latency=${3:-50}
. benches/crawl_simulator.sh
crawl_simulator --projects "$projects" --repositories "$repositories" --latency-ms "$latency"
python3 - "$work/out/dataset/_runs" "$projects" "$repositories" "$latency" <<'PY'
import json, pathlib, sys
runs = pathlib.Path(sys.argv[1])
manifest = json.loads(next(runs.glob("*.json")).read_text())
t = manifest["api_totals"]
repos = int(sys.argv[2]) * int(sys.argv[3])
print(f"{repos} repositories at {sys.argv[4]} ms: requests {t['calls']}, retries {t['retries']}, "
      f"blocked {t['blocked']}, crawl {manifest['crawl_seconds']:.1f} s "
      f"({t['calls'] / manifest['crawl_seconds']:.1f} requests/s)")
for name, e in sorted(manifest.get("api", {}).items(), key=lambda kv: -kv[1]["calls"]):
    print(f"  {name}: {e['calls']}")
PY
