#!/usr/bin/env bash
# Wrapper for cron: cron runs commands with an almost empty environment and no terminal, so this
# sets what the run needs and appends its output to a log. Install it as
# /usr/local/lib/ado-posture/ado-posture-cron.sh (mode 0750, owned by the ado-posture user).
# Change: the paths below. Keep the PAT in a file readable only by the ado-posture user and name
# it in the config (auth = { kind = "pat", token_file = "/etc/ado-posture/pat" }), so it never
# appears in the environment, the crontab or a process listing.
set -uo pipefail
export PATH=/usr/local/bin:/usr/bin:/bin
export RUST_LOG=${RUST_LOG:-info}
config=/etc/ado-posture/config.toml
out=/var/lib/ado-posture
log=/var/log/ado-posture/ado-posture.log

mkdir -p "$(dirname "$log")"
# JSON lines (not a terminal); the last line of each run is its summary.
/usr/local/bin/ado-posture run --config "$config" --out "$out" --log-format json >>"$log" 2>&1
code=$?
# Cron mails whatever a job prints: stay quiet on success, say why on anything else.
if [ "$code" -ne 0 ]; then
  echo "ado-posture run exited $code; see $log (exit codes: ado-posture run --help)"
fi
exit "$code"
