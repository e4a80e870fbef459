#!/usr/bin/env bash
# Opens a report in headless Chromium (Debian's `chromium` package) with networking off, writes a
# screenshot, and fails if the page logged any console error or failed to load a resource.
#   usage: scripts/check-report-in-chromium.sh REPORT.html SCREENSHOT.png
set -euo pipefail
report=$(realpath "$1")
screenshot=$(realpath -m "$2")
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "error: chromium is not installed (apt-get install chromium)" >&2
  exit 2
fi
profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
# --proxy-server to a closed port and the resolver rule keep every request off the network; the
# report must not need any.
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --proxy-server="http://127.0.0.1:9" --host-resolver-rules="MAP * ~NOTFOUND" \
  --enable-logging=stderr --v=0 --window-size=1400,2400 --virtual-time-budget=3000 \
  --screenshot="$screenshot" "file://$report" >"$log" 2>&1 || true
if [ ! -s "$screenshot" ]; then
  echo "error: Chromium wrote no screenshot; its log:" >&2
  cat "$log" >&2
  exit 1
fi
# Console messages appear as "CONSOLE(...)" lines; errors from the page as "Uncaught" or ":ERROR:CONSOLE".
if grep -E 'Uncaught|ERROR:CONSOLE|CONSOLE\([0-9]+\)\] "(Error|TypeError|ReferenceError|SyntaxError)' "$log" >&2; then
  echo "error: the report logged console errors (above)" >&2
  exit 1
fi
if grep -E 'net::ERR_' "$log" | grep -v 'ERR_NAME_NOT_RESOLVED.*(google|gvt1|gstatic)' >&2; then
  echo "error: the report tried to load something over the network (above)" >&2
  exit 1
fi
echo "ok: $report rendered without console errors; screenshot $screenshot"
