#!/bin/sh
# Regenerates every checked-in descriptor set from its .proto files, as a user
# makes one for redact.grpc.descriptor_set:
#   protoc --include_imports --descriptor_set_out=OUT.pb -I DIR FILE.proto...
# One line per set: the output, the include directory, the .proto files.
# (protoc 3.21, Debian's protobuf-compiler; google/protobuf/*.proto come with it.)
# With an argument, every set is written into that directory instead (by file
# name), which is how test/unit/grpc/descriptors.test.ts checks they are current.
set -eu
cd "$(dirname "$0")/.."
into="${1:-}"

set_of() {
  out=$1
  dir=$2
  shift 2
  if [ -n "$into" ]; then out="$into/$(basename "$out")"; fi
  protoc --include_imports --descriptor_set_out="$out" -I "$dir" "$@"
  echo "$out"
}

set_of test/grpc/payments.pb test/grpc payments.proto
set_of test/fixtures/proto/shop.pb test/fixtures/proto orders.proto legacy.proto
set_of test/fixtures/proto/legacy.pb test/fixtures/proto legacy.proto
