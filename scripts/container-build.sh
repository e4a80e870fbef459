#!/usr/bin/env bash
# Builds the ado-posture image from Containerfile and smoke-runs it: `--version`, then the demo
# (simulated estate, no credentials, no network) as user 10001 with a read-only root file system,
# as cron/kubernetes-cronjob.yaml runs it.
#   usage: scripts/container-build.sh [TAG]          (default: localhost/ado-posture:dev)
#   ENGINE=podman|docker   the container engine (default: podman if found, else docker)
#   BASE_BUILD=… BASE_RUNTIME=…   base images, e.g. from a registry that mirrors Docker Hub
#   DEBOOTSTRAP=1   build the runtime's base image (Debian bookworm, minbase, with CA
#                   certificates) with debootstrap from Debian's mirror and import it, for
#                   machines that reach Debian's packages but no container registry
#   PREBUILT=path   put this binary in the image instead of building it in the Rust stage (the
#                   binary must be built for the runtime's glibc: Debian bookworm or older)
#   ENGINE_OPTS=…  options before the engine's command, e.g. "--runtime runc" where crun refuses
#                  hybrid cgroups; BUILD_OPTS=… and RUN_OPTS=… options of `build` and `run`, e.g.
#                  "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024" where raising limits is
#                  not permitted
# Exit code: 0 when the image builds and the demo inside it succeeds.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-localhost/ado-posture:dev}
engine=${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
command -v "$engine" >/dev/null || { echo "error: no container engine ($engine) found" >&2; exit 2; }

build_args=()
if [ "${DEBOOTSTRAP:-}" = 1 ]; then
  base=localhost/debian:bookworm-minbase
  if ! "$engine" ${ENGINE_OPTS:-} image inspect "$base" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null || { echo "error: DEBOOTSTRAP=1 needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
    rootfs=$(mktemp -d)
    echo "building the base image $base with debootstrap (Debian bookworm, minbase)"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
    tar -C "$rootfs" -c . | "$engine" ${ENGINE_OPTS:-} import - "$base" >/dev/null
    rm -rf "$rootfs"
  fi
  BASE_RUNTIME=$base
fi
[ -n "${BASE_BUILD:-}" ] && build_args+=(--build-arg "BASE_BUILD=$BASE_BUILD")
[ -n "${BASE_RUNTIME:-}" ] && build_args+=(--build-arg "BASE_RUNTIME=$BASE_RUNTIME")
if [ -n "${PREBUILT:-}" ]; then
  # The build context's container/ folder (ignored by git), stripped: debug info is not shipped.
  mkdir -p container
  cp "$PREBUILT" container/ado-posture
  strip container/ado-posture 2>/dev/null || true
  build_args+=(--build-arg BINARY_FROM=prebuilt)
  trap 'rm -f container/ado-posture' EXIT
fi
echo "building $tag with $engine"
log=$(mktemp)
if ! "$engine" ${ENGINE_OPTS:-} build ${BUILD_OPTS:-} -f Containerfile "${build_args[@]}" -t "$tag" . >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "error: the image did not build" >&2
  exit 1
fi
rm -f "$log"

echo "smoke test: --version"
"$engine" ${ENGINE_OPTS:-} run --rm ${RUN_OPTS:-} "$tag" --version

echo "smoke test: the demo, read-only root, user 10001"
out=$("$engine" ${ENGINE_OPTS:-} run --rm ${RUN_OPTS:-} --read-only --tmpfs /tmp --user 10001:10001 "$tag" \
  demo --out /tmp/demo 2>&1) || { printf '%s\n' "$out" >&2; echo "error: the demo failed in the image" >&2; exit 1; }
printf '%s\n' "$out" | tail -5
printf '%s\n' "$out" | grep -q "reports:" || { echo "error: the demo printed no report" >&2; exit 1; }
user=$("$engine" ${ENGINE_OPTS:-} run --rm ${RUN_OPTS:-} --entrypoint /usr/bin/id "$tag" -u)
[ "$user" = 10001 ] || { echo "error: the image runs as uid $user, not 10001" >&2; exit 1; }
echo "ok: $tag builds, runs as uid 10001 and runs the demo"
