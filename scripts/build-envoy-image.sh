#!/usr/bin/env bash
# Builds a local Envoy image for the harness's "container" backend without any
# registry: a minimal root filesystem (the Envoy binary, the shared libraries it
# links, the dynamic loader, passwd/group, /tmp, CA certificates) is assembled
# in a temp dir and turned into an image with `docker import`.
#
# The image gets the tag the upstream image would have (ENVOY_IMAGE, default
# envoyproxy/envoy:v1.40-latest) so the harness default works offline, plus
# mirrorshade/envoy:sha256-<first 12 hex of the binary's sha256>. The full
# sha256 is stored in the label mirrorshade.envoy.sha256; when an image with
# the same binary already exists nothing is rebuilt (a rerun takes well under
# a second).
#
# Environment: ENVOY_IMAGE (tag to produce), ENVOY_BIN (binary to package;
# otherwise resolved like the harness: .venv from scripts/install-envoy.sh,
# then `envoy` on PATH), FORCE_REBUILD=1 (ignore an existing image).
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="${ENVOY_IMAGE:-envoyproxy/envoy:v1.40-latest}"
LABEL_KEY="mirrorshade.envoy.sha256"

die() { echo "build-envoy-image: $*" >&2; exit 1; }
log() { echo "build-envoy-image: $*" >&2; }

command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed"
if ! err="$(docker version --format '{{.Server.Version}}' 2>&1 >/dev/null)"; then
  die "cannot reach the Docker daemon (${DOCKER_HOST:-unix:///var/run/docker.sock}): ${err}"
fi

# Serialize concurrent runs (e.g. parallel test workers) so only one builds.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/mirrorshade-build-envoy-image.lock"
  flock 9
fi

# --- the binary -------------------------------------------------------------
if [ -n "${ENVOY_BIN:-}" ]; then
  bin="$ENVOY_BIN"
  [ -e "$bin" ] || die "ENVOY_BIN=$bin does not exist"
else
  # install-envoy.sh resolves (and if needed installs) the binary and checks it has V8.
  bin="$(bash scripts/install-envoy.sh | sed -n 's/^envoy: //p')"
  [ -n "$bin" ] || die "scripts/install-envoy.sh did not report an Envoy binary"
fi
bin="$(readlink -f "$bin")"
[ "$(head -c 4 "$bin" | od -An -c | tr -d ' ')" = '177ELF' ] \
  || die "$bin is not an ELF executable (a wrapper script?); set ENVOY_BIN to the real binary"

sha="$(sha256sum "$bin" | cut -d' ' -f1)"
SHA_TAG="mirrorshade/envoy:sha256-${sha:0:12}"

label_of() { docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$1" 2>/dev/null || true; }

if [ -z "${FORCE_REBUILD:-}" ]; then
  if [ "$(label_of "$TAG")" = "$sha" ]; then
    log "$TAG is up to date (envoy sha256 ${sha:0:12})"
    echo "$TAG"
    exit 0
  fi
  if [ "$(label_of "$SHA_TAG")" = "$sha" ]; then
    docker tag "$SHA_TAG" "$TAG"
    log "tagged existing $SHA_TAG as $TAG"
    echo "$TAG"
    exit 0
  fi
fi

# --- the root filesystem ----------------------------------------------------
start_ms=$(($(date +%s%N) / 1000000))
work="$(mktemp -d "${TMPDIR:-/tmp}/mirrorshade-envoy-rootfs.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{usr/local/bin,etc,tmp,dev,proc,sys,root,home/envoy}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

cp "$bin" "$root/usr/local/bin/envoy"
chmod 0755 "$root/usr/local/bin/envoy"

# Copy a host path into the rootfs at the same path. A symlink is copied as a
# symlink (same link text) and its target is copied too, recursively, so both
# the name the loader asks for and the file behind it exist. Host directory
# symlinks (merged /usr: /lib -> usr/lib) are followed; in the rootfs the
# directories are real.
copy_path() {
  local p="$1" target
  [ -e "$root$p" ] || [ -L "$root$p" ] && return 0
  mkdir -p "$root$(dirname "$p")"
  if [ -L "$p" ]; then
    cp -P "$p" "$root$p"
    target="$(readlink "$p")"
    case "$target" in
      /*) ;;
      *) target="$(dirname "$p")/$target" ;;
    esac
    copy_path "$(realpath -s "$target")"
  else
    cp -p "$p" "$root$p"
  fi
}

libs=0
if ldd_out="$(ldd "$bin" 2>&1)"; then
  # "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
  while read -r path; do
    [ -n "$path" ] || continue
    copy_path "$path"
    libs=$((libs + 1))
  done < <(printf '%s\n' "$ldd_out" | awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }')
  printf '%s\n' "$ldd_out" | grep -q 'not found' && die "unresolved libraries for $bin:
$ldd_out"
else
  case "$ldd_out" in
    *"not a dynamic executable"*|*"statically linked"*) log "$bin is statically linked" ;;
    *) die "ldd $bin failed: $ldd_out" ;;
  esac
fi
# The ELF interpreter, in case ldd did not list it under the requested name.
interp="$(readelf -l "$bin" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p' || true)"
[ -n "$interp" ] && copy_path "$interp"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
envoy:x:101:101:envoy:/home/envoy:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
envoy:x:101:
nogroup:x:65534:
EOF
# Name resolution through files first (Docker provides /etc/hosts, /etc/resolv.conf).
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"

if [ -d /etc/ssl/certs ]; then
  mkdir -p "$root/etc/ssl"
  # Dereference: the entries are links into /usr/share/ca-certificates.
  cp -rL /etc/ssl/certs "$root/etc/ssl/" 2>/dev/null || log "warning: some CA certificates could not be copied"
fi

# --- import -----------------------------------------------------------------
version="$("$bin" --version 2>/dev/null | sed -n 's#.*version: [0-9a-f]*/\([^/ ]*\)/.*#\1#p' | head -n1)"
old_ids="$(docker image inspect --format '{{.Id}}' "$TAG" "$SHA_TAG" 2>/dev/null | sort -u || true)"
log "importing $TAG from $bin (${libs} libraries, envoy ${version:-unknown})"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
  docker import \
    --change 'ENTRYPOINT ["/usr/local/bin/envoy"]' \
    --change 'WORKDIR /' \
    --change "LABEL $LABEL_KEY=$sha" \
    --change "LABEL mirrorshade.envoy.version=${version:-unknown}" \
    --message "mirrorshade: envoy ${version:-unknown} from ${bin}" \
    - "$SHA_TAG" >/dev/null
docker tag "$SHA_TAG" "$TAG"
# A forced or changed rebuild leaves the previous image untagged: drop it unless something still uses it.
for id in $old_ids; do
  [ "$(docker image inspect --format '{{len .RepoTags}}' "$id" 2>/dev/null)" = 0 ] && docker rmi "$id" >/dev/null 2>&1 || true
done
elapsed_ms=$(($(date +%s%N) / 1000000 - start_ms))
size="$(docker image inspect --format '{{.Size}}' "$TAG")"
log "built $TAG (= $SHA_TAG), $((size / 1024 / 1024)) MiB, in $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100))s"
echo "$TAG"
