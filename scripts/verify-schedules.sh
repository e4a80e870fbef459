#!/usr/bin/env bash
# Checks the ready-made schedules in cron/: systemd-analyze verify on the unit files (systemd from
# Debian's packages), the crontab line's fields, and that the YAML files parse (PyYAML).
#   usage: scripts/verify-schedules.sh [ADO_POSTURE_BINARY] [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-target/debug/ado-posture}")
python=${2:-${ADO_POSTURE_PYTHON:-python3}}
[ -x "$binary" ] || { echo "error: $binary is not built (cargo build)" >&2; exit 2; }
command -v systemd-analyze >/dev/null || { echo "error: systemd-analyze is missing (apt-get install systemd)" >&2; exit 2; }

# systemd-analyze verify wants ExecStart's binary to exist: check copies pointing at ours.
units=$(mktemp -d)
trap 'rm -rf "$units"' EXIT
for unit in cron/systemd/*; do
  sed "s|/usr/local/bin/ado-posture|$binary|g" "$unit" >"$units/$(basename "$unit")"
done
# Any message at all is a problem: unknown keys and bad values are only warnings to systemd.
status=0
out=$(systemd-analyze verify "$units"/ado-posture.service "$units"/ado-posture.timer 2>&1) || status=$?
if [ "$status" -ne 0 ] || [ -n "$out" ]; then
  echo "error: systemd-analyze verify rejected the units:" >&2
  printf '%s\n' "$out" >&2
  exit 1
fi
echo "ok: systemd-analyze verify accepts ado-posture.service and ado-posture.timer"

"$python" - <<'PY'
import re, sys, yaml

# The cron.d line: five time fields, a user, a command.
field = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
lines = [l for l in open("cron/ado-posture.cron") if l.strip() and not l.lstrip().startswith("#")]
assert len(lines) == 1, f"expected one crontab line, got {len(lines)}"
parts = lines[0].split()
assert len(parts) >= 7, f"crontab line needs 5 time fields, a user and a command: {lines[0]!r}"
for value, (low, high) in zip(parts[:5], ranges):
    assert re.fullmatch(field, value), f"bad crontab field {value!r}"
    for n in map(int, re.findall(r"\d+", value.split("/")[0])):
        assert low <= n <= high, f"crontab field {value!r} out of range {low}-{high}"
print("ok: the crontab line parses:", " ".join(parts[:5]), "as", parts[5])

docs = list(yaml.safe_load_all(open("cron/kubernetes-cronjob.yaml")))
cronjob = next(d for d in docs if d["kind"] == "CronJob")
assert cronjob["apiVersion"] == "batch/v1"
assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
assert container["args"][0] == "run"
print("ok: kubernetes-cronjob.yaml parses:", ", ".join(d["kind"] for d in docs))

pipeline = yaml.safe_load(open("cron/azure-pipelines.yml"))
assert pipeline["schedules"][0]["cron"] and pipeline["trigger"] == "none"
print("ok: azure-pipelines.yml parses, schedule", pipeline["schedules"][0]["cron"])

# The sharded crawl: N shards, then finalize over the same N, in both orchestrators.
docs = list(yaml.safe_load_all(open("cron/kubernetes-sharded.yaml")))
cronjobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "CronJob"}
shards_job = cronjobs["ado-posture-shards"]["spec"]["jobTemplate"]["spec"]
assert shards_job["completionMode"] == "Indexed", "the shards are an Indexed Job"
n = shards_job["completions"]
assert shards_job["parallelism"] == n, "every shard at once"
shard_script = shards_job["template"]["spec"]["containers"][0]["args"][0]
assert "JOB_COMPLETION_INDEX + 1" in shard_script and f'--shard "$k/{n}"' in shard_script, shard_script
finalize_args = cronjobs["ado-posture-finalize"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
assert finalize_args[0] == "finalize" and finalize_args[finalize_args.index("--shards") + 1] == str(n), finalize_args
secrets = next(d for d in docs if d["kind"] == "Secret")["stringData"]
assert all(f"ADO_PAT_{k}" in secrets for k in range(1, n + 1)), "one PAT per shard"
pvc = next(d for d in docs if d["kind"] == "PersistentVolumeClaim")
assert "ReadWriteMany" in pvc["spec"]["accessModes"], "shards and finalize share the volume"
for name, job in cronjobs.items():
    assert job["spec"]["concurrencyPolicy"] == "Forbid", name
print(f"ok: kubernetes-sharded.yaml parses: Indexed Job of {n} shards, then finalize --shards {n}")

sharded = yaml.safe_load(open("cron/azure-pipelines-sharded.yml"))
n = int(next(v["value"] for v in sharded["variables"] if isinstance(v, dict) and v.get("name") == "SHARDS"))
stages = {s["stage"]: s for s in sharded["stages"]}
matrix = stages["crawl"]["jobs"][0]["strategy"]["matrix"]
assert sorted(int(m["SHARD"]) for m in matrix.values()) == list(range(1, n + 1)), matrix
finalize = stages["finalize"]
assert finalize["dependsOn"] == "crawl" and finalize["condition"] == "succeededOrFailed()"
steps = " ".join(str(step.get("script", "")) for step in finalize["jobs"][0]["steps"])
assert 'finalize --config' in steps and '--shards "$(SHARDS)"' in steps, steps
crawl_steps = " ".join(str(step.get("script", "")) for step in stages["crawl"]["jobs"][0]["steps"])
assert '--shard "$(SHARD)/$(SHARDS)"' in crawl_steps, crawl_steps
print(f"ok: azure-pipelines-sharded.yml parses: a matrix of {n} shards, then a finalize stage")
PY
