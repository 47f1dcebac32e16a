#!/usr/bin/env bash
# Builds the local container image the `local-container` executor runs steps in, without any
# registry: a root filesystem made of this machine's own `node` (same version as the host), bash
# and the basic tools shell steps use (coreutils, grep, sed, awk, find, tar, git, ...) with the
# shared libraries they link, imported as an image (`podman import`, or `docker import` when a
# docker engine answers). The project is not in the image: the executor bind-mounts the working
# directory and the runnable-ts package at their own paths at run time.
#
# Also configures podman for this machine when run as root (a drop-in in
# /etc/containers/containers.conf.d/): rootful, runc as runtime, the cgroupfs cgroup manager, the
# `file` events logger, default ulimits nofile=20000 and nproc=4096 (the defaults fail here).
#
# Idempotent: the image carries a fingerprint of its content (label runnable-ts.fingerprint) and
# is rebuilt only when that changes (another node, a changed tool, this script). Ends with a
# smoke test: `node --version` and `bash -c` inside a container.
#
#   scripts/container-image.sh [IMAGE]     # default localhost/runnable-ts-node:latest
#   env: CONTAINER_ENGINE=podman|docker (default: docker if its engine answers, else podman)
#        RUNNABLE_TS_PODMAN_CONFIG=0       do not write the podman drop-in
#        RUNNABLE_TS_IMAGE_TOOLS="..."     extra commands to copy into the image
set -euo pipefail

IMAGE="${1:-${RUNNABLE_TS_IMAGE:-localhost/runnable-ts-node:latest}}"
SCRIPT_VERSION=1

log() { echo "container-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- engine ---------------------------------------------------------------------------------
ENGINE="${CONTAINER_ENGINE:-}"
if [[ -z "$ENGINE" ]]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
fi
command -v "$ENGINE" >/dev/null 2>&1 || die "$ENGINE is not installed (Debian: apt-get install -y podman runc)"

# ---- podman configuration for this machine ---------------------------------------------------
if [[ "$ENGINE" == podman && "$(id -u)" == 0 && "${RUNNABLE_TS_PODMAN_CONFIG:-1}" != 0 ]]; then
  dropin=/etc/containers/containers.conf.d/50-runnable-ts.conf
  want=$(cat <<'EOF'
# written by runnable-ts scripts/container-image.sh: what podman needs on this kind of machine
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
)
  if [[ ! -f "$dropin" || "$(cat "$dropin")" != "$want" ]]; then
    command -v runc >/dev/null 2>&1 || die "runc is not installed (Debian: apt-get install -y runc)"
    mkdir -p "$(dirname "$dropin")"
    printf '%s\n' "$want" >"$dropin"
    log "wrote $dropin"
  fi
fi

# ---- what goes into the image ----------------------------------------------------------------
NODE_BIN="$(readlink -f "$(type -P node)")" || die "node is not on PATH"
TOOLS=(bash sh env cat echo ls mkdir rmdir rm cp mv ln touch chmod pwd printf test true false expr
  sleep date head tail wc sort uniq cut tr tee seq basename dirname mktemp readlink realpath stat
  id uname yes nproc md5sum sha256sum grep sed awk find xargs tar gzip diff cmp which git
  ${RUNNABLE_TS_IMAGE_TOOLS:-})

# Every fork is slow on a busy CI machine: resolve, ldd, readlink and hash in batches.
mapfile -t BINS < <(type -P "${TOOLS[@]}" 2>/dev/null || true)
for t in "${TOOLS[@]}"; do
  found=0
  for b in "${BINS[@]}"; do [[ "${b##*/}" == "$t" ]] && { found=1; break; }; done
  [[ $found == 1 ]] || log "note: '$t' not found on this machine, left out of the image"
done
# the binaries under their own names, and every shared library (and the loader) they use
mapfile -t LIBS < <(ldd "$NODE_BIN" "${BINS[@]}" 2>/dev/null |
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u)
USED=("$NODE_BIN" "${BINS[@]}" "${LIBS[@]}")
DIRS=()
for f in "${USED[@]}"; do DIRS+=("${f%/*}"); done
mapfile -t SRC < <(readlink -f -- "${USED[@]}")        # the content: symlinks followed
mapfile -t REALDIR < <(readlink -f -- "${DIRS[@]}")    # where it goes: its directory's real path
DEST=()
for i in "${!USED[@]}"; do DEST+=("${REALDIR[$i]}/${USED[$i]##*/}"); done

FINGERPRINT=$(
  {
    echo "v$SCRIPT_VERSION node=$("$NODE_BIN" --version) script=$(sha256sum <"${BASH_SOURCE[0]}" | cut -c1-64)"
    paste <(printf '%s\n' "${DEST[@]}") <(sha256sum -- "${SRC[@]}" | cut -c1-64) | sort -u
  } | sha256sum | cut -c1-64
)

current=$("$ENGINE" image inspect --format '{{ index .Config.Labels "runnable-ts.fingerprint" }}' "$IMAGE" 2>/dev/null || true)
if [[ "$current" == "$FINGERPRINT" ]]; then
  log "$IMAGE is up to date ($("$NODE_BIN" --version))"
else
  started=$SECONDS
  previous=$("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  # merged /usr as on the host: /bin, /lib, ... are the same links
  for d in bin sbin lib lib32 lib64 libx32; do
    if [[ -L "/$d" ]]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
  done
  for d in "${REALDIR[@]}"; do echo "$root$d"; done | sort -u | xargs mkdir -p
  for i in "${!DEST[@]}"; do [[ -e "$root${DEST[$i]}" ]] || cp --preserve=mode "${SRC[$i]}" "$root${DEST[$i]}"; done
  mkdir -p "$root"/{etc,tmp,root,var/tmp,proc,sys,dev,run,usr/local/bin}
  [[ -e "$root/usr/local/bin/node" ]] || ln -s "$(readlink -f "$(dirname "$NODE_BIN")")/$(basename "$NODE_BIN")" "$root/usr/local/bin/node"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 700 "$root/root"
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
  # git refuses repositories owned by another user; steps run as root on bind-mounted work trees
  printf '[safe]\n\tdirectory = *\n' >"$root/etc/gitconfig"

  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . | "$ENGINE" import -q \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
    --change 'ENV HOME=/root' \
    --change "LABEL runnable-ts.fingerprint=$FINGERPRINT" \
    --change "LABEL runnable-ts.node=$("$NODE_BIN" --version)" \
    --change 'CMD ["/usr/local/bin/node"]' \
    - "$IMAGE" >/dev/null
  log "built $IMAGE ($(du -sh "$root" | cut -f1), $((SECONDS - started))s)"
  # the image it replaces, unless a container still uses it
  if [[ -n "$previous" ]]; then "$ENGINE" rmi "$previous" >/dev/null 2>&1 || true; fi
fi

# ---- smoke test ------------------------------------------------------------------------------
out=$("$ENGINE" run --rm --network=none "$IMAGE" bash -c 'echo "node $(node --version), bash $BASH_VERSION, nofile $(ulimit -n)"') \
  || die "$ENGINE cannot run $IMAGE (see the error above)"
log "$ENGINE run ok: $out"
digest=$("$ENGINE" image inspect --format '{{.Digest}}' "$IMAGE" 2>/dev/null || true)
log "$IMAGE ${digest:-$("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE")}"
