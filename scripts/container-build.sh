#!/usr/bin/env bash
# Builds the ado-posture image from Containerfile and smoke-runs it: `--version`, then the demo
# (simulated estate, no credentials, no network) as user 10001 with a read-only root file system,
# as cron/kubernetes-cronjob.yaml runs it.
#   usage: scripts/container-build.sh [TAG]          (default: localhost/ado-posture:dev)
#   ENGINE=podman|docker   the container engine (default: podman if found, else docker)
#   BASE_BUILD=… BASE_RUNTIME=…   base images, e.g. from a registry that mirrors Docker Hub
#   ENGINE_OPTS=…  options before the engine's command, e.g. "--runtime runc" where crun refuses
#                  hybrid cgroups; RUN_OPTS=… options of `run`, e.g. "--ulimit nofile=1024:1024
#                  --ulimit nproc=1024:1024" where raising limits is not permitted
# Exit code: 0 when the image builds and the demo inside it succeeds.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-localhost/ado-posture:dev}
engine=${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
command -v "$engine" >/dev/null || { echo "error: no container engine ($engine) found" >&2; exit 2; }

build_args=()
[ -n "${BASE_BUILD:-}" ] && build_args+=(--build-arg "BASE_BUILD=$BASE_BUILD")
[ -n "${BASE_RUNTIME:-}" ] && build_args+=(--build-arg "BASE_RUNTIME=$BASE_RUNTIME")
echo "building $tag with $engine"
"$engine" ${ENGINE_OPTS:-} build -f Containerfile "${build_args[@]}" -t "$tag" .

echo "smoke test: --version"
"$engine" ${ENGINE_OPTS:-} run --rm ${RUN_OPTS:-} "$tag" --version

echo "smoke test: the demo, read-only root, user 10001"
out=$("$engine" ${ENGINE_OPTS:-} run --rm ${RUN_OPTS:-} --read-only --tmpfs /tmp --user 10001:10001 "$tag" \
  demo --out /tmp/demo 2>&1) || { printf '%s\n' "$out" >&2; echo "error: the demo failed in the image" >&2; exit 1; }
printf '%s\n' "$out" | tail -5
printf '%s\n' "$out" | grep -q "reports:" || { echo "error: the demo printed no report" >&2; exit 1; }
echo "ok: $tag builds and runs the demo"
