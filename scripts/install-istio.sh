#!/usr/bin/env bash
# Builds Istio's pilot-discovery (istiod) and pilot-agent (istio-agent, -tags=agent) with
# `go install` from the istio.io/istio module at the versions pinned in
# scripts/istio-versions.txt, into .istio/<release>/bin (gitignored), and copies the
# agent's Envoy bootstrap template from the same module. Skips what is already built.
#   bash scripts/install-istio.sh            # every pinned release
#   bash scripts/install-istio.sh 1.29.3     # one of them
# ISTIO_BUILD_PARALLEL (default: the number of cores) is passed to go as -p.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "install-istio: go not found (Go >= 1.26 is needed)" >&2; exit 1; }
parallel="${ISTIO_BUILD_PARALLEL:-$(nproc)}"
wanted=("$@")
while read -r release modver deps; do
  case "$release" in ''|'#'*) continue ;; esac
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $release "* ]]; then continue; fi
  dir=".istio/$release"
  stamp="$dir/module-version"
  needs_xds=""; [ "$(echo "$release" | cut -d. -f2)" -ge 30 ] && needs_xds="$dir/bin/istio-xds"
  if [ -x "$dir/bin/pilot-discovery" ] && [ -x "$dir/bin/pilot-agent" ] && [ -f "$dir/envoy_bootstrap_tmpl.json" ] \
     && { [ -z "$needs_xds" ] || [ -x "$needs_xds" ]; } \
     && [ "$(cat "$stamp" 2>/dev/null)" = "$modver" ]; then
    echo "istio $release: already built ($dir/bin)"
    continue
  fi
  mkdir -p "$dir/bin"
  start=$(date +%s)
  echo "istio $release: building istio.io/istio@$modver into $dir/bin (go -p $parallel)"
  # `go install PKG@VERSION` asks the module proxy about every path prefix of PKG, and the
  # proxy answers 403 (not 404) for istio.io/istio/pilot/cmd/...: build inside a throwaway
  # module that requires istio.io/istio instead (its go.mod has no replace directives, so
  # the build list is Istio's own).
  mod="$PWD/$dir/build-module"
  rm -rf "$mod"; mkdir -p "$mod"
  # Istio's own go.sum vouches for its dependencies (no checksum-database look-ups).
  (cd "$mod" && go mod download "istio.io/istio@$modver" \
     && cp "$(go mod download -json "istio.io/istio@$modver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/go.sum" go.sum \
     && chmod u+w go.sum \
     && go mod init mirrorshade.local/istio-build >/dev/null 2>&1 \
     && go mod edit -require="istio.io/istio@$modver" $(for d in $deps; do printf -- ' -require=%s' "$d"; done) \
     && export CGO_ENABLED=0 GOBIN="$PWD/../bin" \
     && go install -mod=mod -p "$parallel" -trimpath -ldflags='-s -w' istio.io/istio/pilot/cmd/pilot-discovery \
     && go install -mod=mod -p "$parallel" -trimpath -ldflags='-s -w' -tags=agent istio.io/istio/pilot/cmd/pilot-agent)
  minor="$(echo "$release" | cut -d. -f2)"
  if [ "$minor" -ge 30 ]; then
    # From 1.30 file-based config ignores WasmPlugin: test/istio-xds serves Istio's own
    # translation and xDS generation (pilot/test/xds) to the real agent instead.
    mkdir -p "$mod/istio-xds" && cp test/istio-xds/main.go "$mod/istio-xds/main.go"
    # Not yet built on this machine (2026-12-02): a failure leaves the release's tests skipped, not the script failed.
    (cd "$mod" && CGO_ENABLED=0 go build -mod=mod -p "$parallel" -trimpath -ldflags='-s -w' -o ../bin/istio-xds ./istio-xds) \
      || echo "istio $release: test/istio-xds did not build (above); its tests will be skipped" >&2
  fi
  src="$(cd "$mod" && go list -m -f '{{.Dir}}' istio.io/istio)"
  cp "$src/tools/packaging/common/envoy_bootstrap.json" "$dir/envoy_bootstrap_tmpl.json"
  chmod u+w "$dir/envoy_bootstrap_tmpl.json"
  echo "$modver" > "$stamp"
  echo "istio $release: built in $(( $(date +%s) - start )) s"
done < scripts/istio-versions.txt
