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
PY
