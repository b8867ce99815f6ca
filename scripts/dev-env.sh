#!/usr/bin/env bash
# Prepare (or, with --check, only inspect) the shipshape test environment on a
# Debian bookworm machine, as root:
#   1. apt packages: docker.io debootstrap docker-registry docker-compose strace
#      wrk python3-venv chromium (the report's browser test) (+ curl, iptables, keyring)
#   2. a running Docker engine (systemd if it works, else dockerd in background)
#   3. a local registry on 127.0.0.1:5000 (Debian's distribution registry)
#   4. a Python venv with the test oracles moto[server], cfn-lint and checkov, and
#      actionlint (Go, built with `go install` into /usr/local/bin; shellcheck from apt checks
#      the workflows' scripts) for the workflows `shipshape ci github` writes
#   5. offline stand-ins for the public base images used by the examples
#      (debian:bookworm-slim, node:20-bookworm-slim, python:3.11-slim-bookworm,
#      nginx:stable-bookworm for `shipshape up --lb nginx`, the datastores mariadb:11 and
#      redis:7 for the backing-service tests, and the task init image (busybox) for
#      `up --fargate`), built only when the tag is absent, labelled io.shipshape.standin=true.
# Idempotent; a run on a prepared machine takes a few seconds.
#
# Environment overrides:
#   SHIPSHAPE_VENV            venv for the PyPI oracles   (/opt/shipshape-venv)
#   SHIPSHAPE_CACHE_DIR       rootfs/deb cache            (/var/cache/shipshape)
#   SHIPSHAPE_DEBIAN_MIRROR   mirror for debootstrap      (taken from apt sources)
#   SHIPSHAPE_REGISTRY_PORT   registry port on 127.0.0.1  (5000)
#   GO                        the Go toolchain for actionlint (go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/dev-env.sh [--check] [--help]
  (no flag)  install/start whatever is missing (needs root on Debian bookworm)
  --check    only report; exit 1 if anything is missing
EOF
}

CHECK=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

VENV="${SHIPSHAPE_VENV:-/opt/shipshape-venv}"
CACHE_DIR="${SHIPSHAPE_CACHE_DIR:-/var/cache/shipshape}"
REGISTRY_PORT="${SHIPSHAPE_REGISTRY_PORT:-5000}"
REGISTRY_ADDR="127.0.0.1:${REGISTRY_PORT}"
REGISTRY_DIR=/var/lib/shipshape-registry
DOCKERD_LOG=/var/log/shipshape-dockerd.log
REGISTRY_LOG=/var/log/shipshape-registry.log
LOCK_FILE=/var/lock/shipshape-dev-env.lock
# Bump when the stand-in recipe changes, so cached rootfs tarballs are rebuilt.
STANDIN_REV=1
STANDIN_LABEL=io.shipshape.standin
IMG_DEBIAN=debian:bookworm-slim
IMG_NODE=node:20-bookworm-slim
IMG_PYTHON=python:3.11-slim-bookworm
IMG_NGINX=nginx:stable-bookworm
STANDINS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/standins"
IMG_MARIADB=mariadb:11
IMG_REDIS=redis:7
# The task init container's image (src/runtime/task.ts INIT_IMAGE), for `up --fargate`.
IMG_BUSYBOX=public.ecr.aws/docker/library/busybox:1.36.1
APT_PACKAGES=(docker.io debootstrap docker-registry docker-compose strace wrk python3-venv
  curl iptables debian-archive-keyring musl-tools gcc chromium shellcheck)
export DEBIAN_FRONTEND=noninteractive

T0=$SECONDS
MISSING=()
WORKDIR=""

say() { printf '%s\n' "$*"; }
die() { printf 'dev-env: error: %s\n' "$*" >&2; exit 1; }
missing() { MISSING+=("$1"); say "missing $1"; }

cleanup() {
  if [ -n "$WORKDIR" ] && [ -d "$WORKDIR" ]; then
    # Never recurse into something debootstrap left mounted (proc, sys, ...).
    awk -v d="$WORKDIR" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$WORKDIR"
  fi
}
trap cleanup EXIT

if [ "$CHECK" -eq 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "must run as root (or use --check)"
  command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian bookworm"
fi

# Serialise concurrent runs. fd 9 must not leak into the daemons started below.
if [ -w "$(dirname "$LOCK_FILE")" ]; then
  exec 9>"$LOCK_FILE"
  flock 9
fi

# ---------------------------------------------------------------- 1. apt
apt_missing=()
for p in "${APT_PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]; then
    apt_missing+=("$p")
  fi
done
if [ "${#apt_missing[@]}" -eq 0 ]; then
  say "ok apt packages (${#APT_PACKAGES[@]})"
elif [ "$CHECK" -eq 1 ]; then
  missing "apt packages: ${apt_missing[*]}"
else
  say "installing apt packages: ${apt_missing[*]}"
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- 2. docker engine
docker_up() { docker info >/dev/null 2>&1; }
if ! docker_up; then
  if [ "$CHECK" -eq 1 ]; then
    missing "docker engine (docker info fails)"
  else
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ] &&
      systemctl start docker >/dev/null 2>&1; then
      say "starting docker engine (systemd)"
    else
      command -v dockerd >/dev/null || die "dockerd not found"
      say "starting dockerd (log: $DOCKERD_LOG)"
      setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
      disown || true
    fi
    for _ in $(seq 1 60); do docker_up && break; sleep 1; done
    docker_up || die "docker engine did not answer within 60 s; see $DOCKERD_LOG"
  fi
fi
DOCKER_OK=0
if docker_up; then
  DOCKER_OK=1
  DOCKER_API=$(docker version --format '{{.Server.APIVersion}}' 2>/dev/null || echo '?')
  say "ok docker engine (API $DOCKER_API)"
fi

# ---------------------------------------------------------------- 3. registry
registry_up() { curl -fsS -o /dev/null --max-time 2 "http://${REGISTRY_ADDR}/v2/" 2>/dev/null; }
if ! registry_up; then
  if [ "$CHECK" -eq 1 ]; then
    missing "registry on $REGISTRY_ADDR"
  else
    command -v docker-registry >/dev/null || die "docker-registry not found"
    mkdir -p "$REGISTRY_DIR/data"
    cat >"$REGISTRY_DIR/config.yml" <<EOF
# Written by shipshape scripts/dev-env.sh: loopback only.
version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    say "starting registry on $REGISTRY_ADDR (log: $REGISTRY_LOG)"
    setsid nohup docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_LOG" 2>&1 </dev/null 9>&- &
    disown || true
    for _ in $(seq 1 60); do registry_up && break; sleep 0.5; done
    registry_up || die "registry did not answer on $REGISTRY_ADDR within 30 s; see $REGISTRY_LOG"
  fi
fi
registry_up && say "ok registry http://$REGISTRY_ADDR"

# ---------------------------------------------------------------- 4. PyPI oracles
venv_ok() { [ -x "$VENV/bin/moto_server" ] && [ -x "$VENV/bin/cfn-lint" ] && [ -x "$VENV/bin/checkov" ]; }
if ! venv_ok; then
  if [ "$CHECK" -eq 1 ]; then
    missing "venv $VENV with moto[server], cfn-lint and checkov"
  else
    if [ ! -x "$VENV/bin/python" ]; then
      say "creating venv $VENV"
      python3 -m venv "$VENV"
    fi
    say "installing moto[server] cfn-lint checkov into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]' cfn-lint checkov
    venv_ok || die "moto_server/cfn-lint/checkov missing from $VENV after pip install"
  fi
fi
if venv_ok; then
  ORACLES=$("$VENV/bin/python" - <<'EOF'
from importlib.metadata import version
print(f"moto {version('moto')}, cfn-lint {version('cfn-lint')}, checkov {version('checkov')}")
EOF
  )
  say "ok venv $VENV ($ORACLES)"
fi

# ---------------------------------------------------------------- 4b. actionlint
ACTIONLINT_VERSION=v1.7.12
actionlint_ok() { [ "$(actionlint -version 2>/dev/null | head -n 1)" = "$ACTIONLINT_VERSION" ]; }
if ! actionlint_ok; then
  if [ "$CHECK" -eq 1 ]; then
    missing "actionlint $ACTIONLINT_VERSION"
  else
    GO="${GO:-$(command -v go || true)}"
    [ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
    [ -n "$GO" ] || die "actionlint is built with Go (1.22 or newer): install it from https://go.dev/dl into /usr/local/go, then run this again"
    say "installing actionlint $ACTIONLINT_VERSION into /usr/local/bin (go install)"
    GOBIN=/usr/local/bin "$GO" install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
    actionlint_ok || die "actionlint $ACTIONLINT_VERSION is not on PATH after go install into /usr/local/bin"
  fi
fi
actionlint_ok && say "ok actionlint $ACTIONLINT_VERSION"

# ---------------------------------------------------------------- 5. base images
image_present() { docker image inspect "$1" >/dev/null 2>&1; }
image_kind() {
  local l
  l=$(docker image inspect -f "{{ index .Config.Labels \"$STANDIN_LABEL\" }}" "$1" 2>/dev/null || true)
  if [ "$l" = true ]; then echo stand-in; else echo upstream; fi
}
image_size() { docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%d MB", $1 / 1000000 }'; }

# Mirror debootstrap should use: the one apt uses for bookworm here.
detect_mirror() {
  if [ -n "${SHIPSHAPE_DEBIAN_MIRROR:-}" ]; then echo "$SHIPSHAPE_DEBIAN_MIRROR"; return; fi
  local f m=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    m=$(awk 'BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^[ \t]*#/ || index($i, ":") == 0) continue
          key = tolower(substr($i, 1, index($i, ":") - 1))
          val = substr($i, index($i, ":") + 1); gsub(/^[ \t]+|[ \t]+$/, "", val)
          if (key == "types") types = " " val " "
          else if (key == "uris") uris = val
          else if (key == "suites") suites = " " val " "
          else if (key == "enabled") enabled = tolower(val)
        }
        if (enabled != "no" && types ~ / deb / && suites ~ / bookworm / && uris != "") {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' "$f")
    [ -n "$m" ] && break
  done
  if [ -z "$m" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      m=$(awk '$1 == "deb" {
          i = 2
          if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          if ($(i + 1) == "bookworm") { print $i; exit }
        }' "$f")
      [ -n "$m" ] && break
    done
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

workdir() {
  if [ -z "$WORKDIR" ]; then
    mkdir -p "$CACHE_DIR"
    WORKDIR=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
  fi
}

# Strip a debootstrapped tree the way the official -slim images are stripped.
slim_rootfs() {
  local r=$1
  mkdir -p "$r/etc/dpkg/dpkg.cfg.d" "$r/etc/apt/apt.conf.d" "$r/etc/apt/sources.list.d"
  cat >"$r/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$r/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::AutoRemove::SuggestsImportant "false";\n' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  # Like the official image: deb822 sources for the public mirror, no sources.list.
  rm -f "$r/etc/apt/sources.list"
  cat >"$r/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$r"/usr/share/man/* "$r"/usr/share/groff/* "$r"/usr/share/info/* \
    "$r"/usr/share/lintian/* "$r"/usr/share/linda/* "$r"/usr/share/locale/*
  rm -rf "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
    "$r"/var/cache/apt/archives/partial/* "$r"/var/lib/apt/lists/*
  mkdir -p "$r/var/lib/apt/lists/partial"
  rm -rf "$r"/var/log/* "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old \
    "$r"/var/cache/ldconfig/aux-cache "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.bash_history
  rm -rf "${r:?}"/dev/* "${r:?}"/proc/* "${r:?}"/sys/* "${r:?}"/run/*
  # Host-specific files debootstrap copied in; Docker bind-mounts its own.
  : >"$r/etc/resolv.conf"
  : >"$r/etc/machine-id"
  printf 'localhost\n' >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
}

build_debian() {
  local t=$SECONDS tarball="$CACHE_DIR/debian-bookworm-slim.rootfs.v${STANDIN_REV}.tar"
  if [ -s "$tarball" ]; then
    say "building $IMG_DEBIAN stand-in from cached rootfs $tarball"
  else
    local mirror root
    mirror=$(detect_mirror)
    workdir
    root="$WORKDIR/debian-rootfs"
    mkdir -p "$CACHE_DIR/debs"
    say "building $IMG_DEBIAN stand-in: debootstrap minbase from $mirror"
    debootstrap --variant=minbase --cache-dir="$CACHE_DIR/debs" bookworm "$root" "$mirror" \
      >"$WORKDIR/debootstrap.log" 2>&1 ||
      { tail -20 "$WORKDIR/debootstrap.log" >&2; die "debootstrap failed"; }
    slim_rootfs "$root"
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$root"
  fi
  # docker import cannot set LABEL; add it with a metadata-only build step.
  local base="shipshape-standin/debian-rootfs:bookworm"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$tarball" "$base" >/dev/null
  printf 'FROM %s\nLABEL %s=true\n' "$base" "$STANDIN_LABEL" |
    docker build -q -t "$IMG_DEBIAN" - >/dev/null 2>"$CACHE_DIR/label-build.log" ||
    { cat "$CACHE_DIR/label-build.log" >&2; die "docker build (LABEL) of $IMG_DEBIAN failed"; }
  rm -f "$CACHE_DIR/label-build.log"
  docker rmi "$base" >/dev/null 2>&1 || true
  docker run --rm --network none "$IMG_DEBIAN" bash -c 'test -x /usr/sbin/useradd' ||
    die "$IMG_DEBIAN stand-in smoke test failed"
  say "built $IMG_DEBIAN stand-in in $((SECONDS - t))s ($(image_size "$IMG_DEBIAN"))"
}

build_node() {
  local t=$SECONDS node npm_dir corepack_dir ctx version
  node=$(readlink -f "$(command -v node)") || die "node not found on this machine"
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")") || die "npm not found"
  [ -f "$npm_dir/package.json" ] || die "cannot locate the npm package dir (got $npm_dir)"
  corepack_dir="$(dirname "$npm_dir")/corepack"
  version=$("$node" --version)
  case "$version" in v20.*) ;; *) say "warning: host node is $version, not v20" ;; esac
  # Only glibc/libstdc++/libgcc_s may be needed; minbase ships them (apt needs libstdc++6).
  local lib
  while read -r lib; do
    case "$lib" in
      linux-vdso.so.* | linux-gate.so.* | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libstdc++.so.* | libgcc_s.so.* | ld-linux*) ;;
      *) die "host node needs $lib, which the $IMG_DEBIAN stand-in lacks" ;;
    esac
  done < <(ldd "$node" | awk '$1 ~ /\.so/ { sub(".*/", "", $1); print $1 }')
  say "building $IMG_NODE stand-in with host node $version ($node, npm from $npm_dir)"
  workdir
  ctx="$WORKDIR/node-ctx"
  mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/usr/local/lib/node_modules"
  cp "$node" "$ctx/rootfs/usr/local/bin/node"
  cp -a "$npm_dir" "$ctx/rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/rootfs/usr/local/bin/npx"
  if [ -f "$corepack_dir/dist/corepack.js" ]; then
    cp -a "$corepack_dir" "$ctx/rootfs/usr/local/lib/node_modules/corepack"
    ln -s ../lib/node_modules/corepack/dist/corepack.js "$ctx/rootfs/usr/local/bin/corepack"
  fi
  # Same entrypoint as the official node image.
  cat >"$ctx/rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
  chmod 0755 "$ctx/rootfs/usr/local/bin/docker-entrypoint.sh"
  cat >"$ctx/Dockerfile" <<EOF
FROM $IMG_DEBIAN
RUN groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=${version#v}
COPY rootfs/ /
RUN node --version && npm --version >/dev/null
LABEL $STANDIN_LABEL=true
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
  docker build -q -t "$IMG_NODE" "$ctx" >/dev/null 2>"$WORKDIR/node-build.log" ||
    { cat "$WORKDIR/node-build.log" >&2; die "docker build of $IMG_NODE failed"; }
  docker run --rm --network none --user node "$IMG_NODE" node -e 'require("http"); process.exit(0)' ||
    die "$IMG_NODE stand-in smoke test failed"
  say "built $IMG_NODE stand-in in $((SECONDS - t))s ($(image_size "$IMG_NODE"))"
}

# Build stand-in IMAGE from debian:bookworm-slim plus Debian packages, offline: debootstrap
# downloads (or reuses from the cache) the package set, which is streamed into a container with
# no network and installed there with apt (not dpkg -i, so Pre-Depends are ordered). PRE runs
# before the install, POST after it (shell snippets, inside the container); the remaining
# arguments are `docker commit --change` values. With STANDIN_FILES set, that directory's files
# are streamed along and found under /tmp/debs/files/ (the image's own scripts).
#   [STANDIN_FILES=DIR] standin_from_debs IMAGE SLUG PACKAGES PRE POST CHANGE...
standin_from_debs() {
  local image=$1 slug=$2 packages=$3 pre=$4 post=$5 mirror dl name
  shift 5
  mirror=$(detect_mirror)
  workdir
  dl="$WORKDIR/$slug-debs"
  mkdir -p "$CACHE_DIR/debs"
  say "building $image stand-in: Debian $packages via debootstrap --download-only"
  debootstrap --variant=minbase --download-only --cache-dir="$CACHE_DIR/debs" \
    --include="$packages" bookworm "$dl" "$mirror" >"$WORKDIR/debootstrap-$slug.log" 2>&1 ||
    { tail -20 "$WORKDIR/debootstrap-$slug.log" >&2; die "debootstrap --download-only failed"; }
  name="shipshape-standin-$slug-$$"
  docker rm -f "$name" >/dev/null 2>&1 || true
  # shellcheck disable=SC2016 # $d, $p and $@ expand inside the container's shell.
  local extra=()
  if [ -n "${STANDIN_FILES:-}" ]; then
    rm -rf "$WORKDIR/$slug-files" && mkdir -p "$WORKDIR/$slug-files"
    cp -R "$STANDIN_FILES" "$WORKDIR/$slug-files/files"
    extra=(-C "$WORKDIR/$slug-files" files)
  fi
  tar -c -C "$dl/var/cache/apt/archives" --exclude=partial . "${extra[@]}" |
    docker run -i --name "$name" --network none "$IMG_DEBIAN" sh -ec "
      mkdir /tmp/debs && tar -x -C /tmp/debs
      $pre
      set --
      for d in /tmp/debs/*.deb; do
        p=\$(dpkg-deb -f \"\$d\" Package)
        [ \"\$(dpkg-query -W -f='\${db:Status-Status}' \"\$p\" 2>/dev/null)\" = installed ] || set -- \"\$@\" \"\$d\"
      done
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \"\$@\" \
        >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log >&2; exit 1; }
      $post
      rm -rf /tmp/debs /tmp/dpkg.log /var/log/dpkg.log /var/log/apt/* \
        /var/cache/debconf/*-old /var/lib/dpkg/*-old /var/cache/ldconfig/aux-cache \
        /var/lib/apt/lists/auxfiles
    " || { docker rm -f "$name" >/dev/null 2>&1; die "installing $packages into the $image stand-in failed"; }
  local changes=(--change "LABEL $STANDIN_LABEL=true") c
  for c in "$@"; do changes+=(--change "$c"); done
  docker commit "${changes[@]}" "$name" "$image" >/dev/null ||
    { docker rm -f "$name" >/dev/null 2>&1; die "docker commit of $image failed"; }
  docker rm -f "$name" >/dev/null
}

build_python() {
  local t=$SECONDS pyver
  standin_from_debs "$IMG_PYTHON" python python3,ca-certificates,netbase,tzdata '' '
      ln -s /usr/bin/python3 /usr/local/bin/python3
      ln -s /usr/bin/python3 /usr/local/bin/python
      python3 -c "import ssl, sqlite3, http.server, urllib.request"' \
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV LANG=C.UTF-8' \
    'CMD ["python3"]'
  pyver=$(docker run --rm --network none "$IMG_PYTHON" python --version 2>&1) ||
    die "$IMG_PYTHON stand-in smoke test failed"
  say "built $IMG_PYTHON stand-in ($pyver) in $((SECONDS - t))s ($(image_size "$IMG_PYTHON"))"
}

# Debian's nginx-light (1.22, with the http upstream/proxy modules shipshape's generated config
# uses); user nginx 101:101, logs to stdout/stderr and `nginx -g "daemon off;"` as in the
# official image, so either image runs the same config.
build_nginx() {
  local t=$SECONDS ver
  standin_from_debs "$IMG_NGINX" nginx nginx-light,ca-certificates '
      # The official image has user nginx 101:101; create it before the package would pick ids.
      groupadd --system --gid 101 nginx
      useradd --system --uid 101 --gid nginx --no-create-home --home-dir /nonexistent \
        --shell /bin/false nginx' '
      ln -sf /dev/stdout /var/log/nginx/access.log
      ln -sf /dev/stderr /var/log/nginx/error.log
      mkdir -p /var/cache/nginx && chown nginx:nginx /var/cache/nginx
      nginx -v' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'EXPOSE 80' \
    'CMD ["nginx", "-g", "daemon off;"]'
  ver=$(docker run --rm --network none --user 101:101 "$IMG_NGINX" nginx -v 2>&1) ||
    die "$IMG_NGINX stand-in smoke test failed"
  say "built $IMG_NGINX stand-in ($ver) in $((SECONDS - t))s ($(image_size "$IMG_NGINX"))"
}

# The official mariadb image's contract, on Debian's MariaDB (10.11 in bookworm: a stand-in for the
# tag, not the version): user mysql 999:999, an empty /var/lib/mysql owned by it, /run/mysqld for
# the socket, MARIADB_*/MYSQL_* settings (and *_FILE twins) applied on first start,
# /docker-entrypoint-initdb.d, all interfaces, healthcheck.sh --connect/--innodb_initialized. The
# entrypoint and health check are scripts/standins/mariadb/.
build_mariadb() {
  local t=$SECONDS ver
  STANDIN_FILES="$STANDINS_DIR/mariadb" standin_from_debs "$IMG_MARIADB" mariadb \
    mariadb-server-core,mariadb-client-core,ca-certificates '
      groupadd --system --gid 999 mysql
      useradd --system --uid 999 --gid mysql --home-dir /var/lib/mysql --no-create-home \
        --shell /bin/false mysql' '
      rm -rf /var/lib/mysql && mkdir -p /var/lib/mysql /run/mysqld /docker-entrypoint-initdb.d
      chown mysql:mysql /var/lib/mysql /run/mysqld && chmod 1777 /run/mysqld
      install -D -m 0644 /tmp/debs/files/docker.cnf /etc/mysql/conf.d/docker.cnf
      install -m 0755 /tmp/debs/files/docker-entrypoint.sh /tmp/debs/files/healthcheck.sh /usr/local/bin/
      mariadbd --version' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'VOLUME /var/lib/mysql' \
    'EXPOSE 3306' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["mariadbd"]'
  ver=$(docker run --rm --network none --user 999:999 "$IMG_MARIADB" mariadbd --version 2>/dev/null) ||
    { docker rmi "$IMG_MARIADB" >/dev/null 2>&1; die "$IMG_MARIADB stand-in smoke test failed (removed it)"; }
  say "built $IMG_MARIADB stand-in (${ver%% for*}) in $((SECONDS - t))s ($(image_size "$IMG_MARIADB"))"
}

# The official redis image's contract, on Debian's redis-server (7.0 in bookworm): user redis
# 999:999, /data as the working directory owned by it, protected mode off (the official image
# builds it off), and its entrypoint (scripts/standins/redis/): flags get redis-server prepended,
# run as root it switches to redis.
build_redis() {
  local t=$SECONDS ver
  STANDIN_FILES="$STANDINS_DIR/redis" standin_from_debs "$IMG_REDIS" redis redis-server '
      groupadd --system --gid 999 redis
      useradd --system --uid 999 --gid redis --home-dir /data --no-create-home --shell /bin/false redis' '
      mkdir -p /data && chown redis:redis /data
      install -m 0755 /tmp/debs/files/docker-entrypoint.sh /usr/local/bin/
      redis-server --version' \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'WORKDIR /data' \
    'VOLUME /data' \
    'EXPOSE 6379' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' \
    'CMD ["redis-server"]'
  ver=$(docker run --rm --network none --user 999:999 "$IMG_REDIS" redis-server --version 2>/dev/null) ||
    { docker rmi "$IMG_REDIS" >/dev/null 2>&1; die "$IMG_REDIS stand-in smoke test failed (removed it)"; }
  say "built $IMG_REDIS stand-in (${ver%% sha=*}) in $((SECONDS - t))s ($(image_size "$IMG_REDIS"))"
}

# The init container only needs a POSIX sh, printf, mkdir, dirname, chmod and chown: the Debian
# stand-in has them (dash and coreutils), so it stands in for BusyBox under BusyBox's name.
build_busybox() {
  local t=$SECONDS
  printf 'FROM %s\nLABEL %s=true\nCMD ["sh"]\n' "$IMG_DEBIAN" "$STANDIN_LABEL" |
    docker build -q -t "$IMG_BUSYBOX" - >/dev/null || die "docker build of the $IMG_BUSYBOX stand-in failed"
  docker run --rm --network none --user 0 --cap-drop ALL --cap-add CHOWN "$IMG_BUSYBOX" \
    sh -c 'set -eu; umask 022; mkdir -p /tmp/a/b; printf x > /tmp/a/b/f; chmod 0400 /tmp/a/b/f; chown 1000:1000 /tmp/a/b/f' ||
    die "$IMG_BUSYBOX stand-in smoke test failed"
  say "built $IMG_BUSYBOX stand-in in $((SECONDS - t))s ($(image_size "$IMG_BUSYBOX"))"
}

IMAGES_OK=()
if [ "$DOCKER_OK" -eq 1 ]; then
  for img in "$IMG_DEBIAN" "$IMG_NODE" "$IMG_PYTHON" "$IMG_NGINX" "$IMG_MARIADB" "$IMG_REDIS" "$IMG_BUSYBOX"; do
    if image_present "$img"; then
      say "ok image $img ($(image_kind "$img"))"
      IMAGES_OK+=("$img")
      continue
    fi
    if [ "$CHECK" -eq 1 ]; then
      missing "image $img"
      continue
    fi
    case "$img" in
      "$IMG_DEBIAN") build_debian ;;
      "$IMG_NODE") build_node ;;
      "$IMG_PYTHON") build_python ;;
      "$IMG_NGINX") build_nginx ;;
      "$IMG_MARIADB") build_mariadb ;;
      "$IMG_REDIS") build_redis ;;
      "$IMG_BUSYBOX") build_busybox ;;
    esac
    IMAGES_OK+=("$img")
  done
elif [ "$CHECK" -eq 1 ]; then
  missing "base images (docker engine down)"
fi

# ---------------------------------------------------------------- 6. summary
if [ "${#MISSING[@]}" -gt 0 ]; then
  say "dev-env: NOT ready, ${#MISSING[@]} missing (run scripts/dev-env.sh as root to fix) [$((SECONDS - T0))s]"
  exit 1
fi
say "dev-env ready in $((SECONDS - T0))s: docker API ${DOCKER_API:-?}, registry $REGISTRY_ADDR, venv $VENV, images ${IMAGES_OK[*]}"
