#!/bin/sh
# Regenerates the checked-in protobuf descriptor sets (FileDescriptorSet, as
# `protoc --include_imports --descriptor_set_out` writes them) from their .proto.
# Usage: scripts/gen-descriptors.sh [OUT_DIR]   (default: next to each .proto)
# test/unit/grpc/descriptors.test.ts regenerates into a temp dir and compares.
set -eu
cd "$(dirname "$0")/.."
out="${1:-}"
dest() { if [ -n "$out" ]; then echo "$out/$1"; else echo "$2/$1"; fi; }

protoc --include_imports -I test/grpc --descriptor_set_out="$(dest payments.pb test/grpc)" test/grpc/payments.proto
