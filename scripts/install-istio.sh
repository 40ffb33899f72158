#!/usr/bin/env bash
# Builds Istio's pilot-discovery (istiod), pilot-agent (istio-agent, -tags=agent) and, from
# 1.30, test/istio-xds, with Go from the istio.io/istio module, per Istio line of
# scripts/istio-versions.txt: the first candidate of the line the Go module proxy serves,
# into .istio/<label>/bin (gitignored), with the agent's Envoy bootstrap template from the
# same module. Skips what is already built.
#   bash scripts/install-istio.sh                 # every line
#   bash scripts/install-istio.sh 1.30 1.31.1     # lines or labels
# A candidate the proxy refuses is reported in one line and recorded in
# .istio/refused/<label> (the tests name it when they skip); the next candidate is tried.
# A served candidate that does not build is a failure (exit 1).
# ISTIO_BUILD_PARALLEL (default: the number of cores) is passed to go as -p.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null 2>&1 || [ ! -x /usr/local/go/bin/go ] || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null 2>&1 || { echo "install-istio: go not found (Go >= 1.26 is needed)" >&2; exit 1; }
parallel="${ISTIO_BUILD_PARALLEL:-$(nproc)}"
wanted=("$@")
root="$PWD"
mkdir -p .istio/refused
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# istio-xds is rebuilt when its source changes (harness/istio/versions.ts compares the same hash).
xds_sha="$(sha256sum test/istio-xds/main.go | cut -d' ' -f1)"
declare -A chosen=() # line -> the label built for it ("" while none)
while read -r line label modver flags <&3; do
  case "$line" in ''|'#'*) continue ;; esac
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $line "* ]] && [[ ! " ${wanted[*]} " == *" $label "* ]]; then continue; fi
  [ -n "${chosen[$line]:-}" ] && continue # a preferred candidate of this line is built
  chosen[$line]=""
  dir=".istio/$label"
  stamp="$dir/module-version"
  minor="$(echo "$label" | cut -d. -f2)"
  needs_xds=""; [ "$minor" -ge 30 ] && needs_xds="$dir/bin/istio-xds"
  if [ -x "$dir/bin/pilot-discovery" ] && [ -x "$dir/bin/pilot-agent" ] && [ -f "$dir/envoy_bootstrap_tmpl.json" ] \
     && { [ -z "$needs_xds" ] || { [ -x "$needs_xds" ] && [ "$(cat "$dir/istio-xds.sha256" 2>/dev/null)" = "$xds_sha" ]; }; } \
     && [ "$(cat "$stamp" 2>/dev/null)" = "$modver" ]; then
    echo "istio $line: $label already built ($dir/bin)"
    chosen[$line]="$label"
    continue
  fi
  # Ask the proxy first: a refusal (403/404/410) is a fact of the day, not a failure.
  answer="$(cd "$scratch" && go mod download -json "istio.io/istio@$modver" 2>&1 </dev/null || true)"
  error="$(printf '%s\n' "$answer" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | sed 's/\\n\\t/ /g')"
  if [ -n "$error" ]; then
    if printf '%s' "$error" | grep -qE '(403|404|410) |not available|not found'; then
      reason="$(printf '%s' "$error" | sed 's/.*: \(4[0-9][0-9] [^ ].*\)$/\1/')"
      echo "istio $line: $label (istio.io/istio@$modver) refused by the module proxy: $reason"
      printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "istio.io/istio@$modver" "$reason" > ".istio/refused/$label"
      continue
    fi
    echo "istio $line: $label: asking the module proxy for istio.io/istio@$modver failed: $error" >&2
    exit 1
  fi
  for f in $flags; do
    case "$f" in -require=*@*|-replace=*=*@*) ;; *) echo "install-istio: $label: '$f' is neither -require=<module>@<version> nor -replace=<module>=<module>@<version> (scripts/istio-versions.txt)" >&2; exit 1 ;; esac
  done
  rm -rf "$dir"; mkdir -p "$dir/bin"
  start=$(date +%s)
  echo "istio $line: building $label (istio.io/istio@$modver${flags:+ $flags}) into $dir/bin (go -p $parallel)"
  # `go install PKG@VERSION` asks the module proxy about every path prefix of PKG, and the
  # proxy answers 403 (not 404) for istio.io/istio/pilot/cmd/...: build inside a throwaway
  # module that requires istio.io/istio instead, with the line's overrides.
  mod="$root/$dir/build-module"
  mkdir -p "$mod/istio-xds"
  src="$(printf '%s\n' "$answer" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  # Istio's own go.sum vouches for its dependencies (the overrides are checked against sum.golang.org).
  cp "$src/go.sum" "$mod/go.sum" && chmod u+w "$mod/go.sum"
  # Istio's pilot/test/xds fake discovery server, for the lines whose file config ignores WasmPlugin.
  [ -z "$needs_xds" ] || cp test/istio-xds/main.go "$mod/istio-xds/main.go"
  if ! (cd "$mod" && export CGO_ENABLED=0 GOBIN="$mod/../bin" \
     && go mod init mirrorshade.local/istio-build >/dev/null 2>&1 \
     && go mod edit -require="istio.io/istio@$modver" $flags \
     && go install -mod=mod -p "$parallel" -trimpath -ldflags='-s -w' istio.io/istio/pilot/cmd/pilot-discovery \
     && go install -mod=mod -p "$parallel" -trimpath -ldflags='-s -w' -tags=agent istio.io/istio/pilot/cmd/pilot-agent \
     && { [ -z "$needs_xds" ] || go build -mod=mod -p "$parallel" -trimpath -ldflags='-s -w' -o ../bin/istio-xds ./istio-xds; }) </dev/null; then
    echo "istio $line: $label (istio.io/istio@$modver) is served but did not build (above)" >&2
    exit 1
  fi
  cp "$src/tools/packaging/common/envoy_bootstrap.json" "$dir/envoy_bootstrap_tmpl.json"
  chmod u+w "$dir/envoy_bootstrap_tmpl.json"
  [ -z "$needs_xds" ] || echo "$xds_sha" > "$dir/istio-xds.sha256"
  echo "$modver" > "$stamp"
  rm -f ".istio/refused/$label"
  echo "istio $line: $label built in $(( $(date +%s) - start )) s"
  chosen[$line]="$label"
done 3< scripts/istio-versions.txt
for line in "${!chosen[@]}"; do
  [ -n "${chosen[$line]}" ] || echo "istio $line: every candidate refused by the module proxy (.istio/refused); its tests will be skipped"
done
