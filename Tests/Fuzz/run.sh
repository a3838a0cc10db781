#!/usr/bin/env bash
# Deep fuzzing of the input parsers (JSON, JSON raw spans, LSP/NDJSON framing) with libFuzzer and
# AddressSanitizer, outside the test suite: SwiftPM cannot build a libFuzzer target as part of the package
# without breaking `swift build`, so this script compiles the sources it needs directly.
#
#   Tests/Fuzz/run.sh [SECONDS] [extra libFuzzer flags...]      (default 60 s)
#
# Build and corpus go to $FUZZ_DIR (default .build-fuzz/ in the repo); a crash leaves its input there as
# crash-<sha1>: replay it with `.build-fuzz/fuzz-parsers .build-fuzz/crash-<sha1>`.
set -euo pipefail

seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${FUZZ_DIR:-$root/.build-fuzz}"
mkdir -p "$out/corpus"

# The whole JSON layer, and the frame parser with the one type it uses: one module, so no imports to link.
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name FuzzParsers \
    "$root"/Sources/JSON/*.swift \
    "$root/Sources/JSONRPC/FrameParser.swift" "$root/Sources/JSONRPC/Framing.swift" \
    "$root/Tests/Fuzz/FuzzTarget.swift" \
    -o "$out/fuzz-parsers"

# A few well-formed seeds, so that the fuzzer starts from real requests in both framings.
if [ -z "$(ls -A "$out/corpus")" ]; then
    printf '{"jsonrpc":"2.0","id":1,"method":"health"}\n' > "$out/corpus/ndjson"
    printf 'Content-Length: 42\r\n\r\n{"jsonrpc":"2.0","id":2,"method":"health"}' > "$out/corpus/lsp"
    printf '[{"jsonrpc":"2.0","id":1.5e3,"method":"list","params":{"offset":1e16}},{"id":"a\\ud800"}]\n' > "$out/corpus/batch"
    printf 'Content-Length: 10\r\n\r\n{"jsonrpc":"2.0","id":1,"method":"health"}Content-Length: 42\r\n\r\n{"jsonrpc":"2.0","id":2,"method":"health"}' > "$out/corpus/lie"
fi

cd "$out"
# ASan reports a crash; Swift's own backtracer would only add a helper process that outlives the run.
export SWIFT_BACKTRACE=enable=no
exec ./fuzz-parsers -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 "$@" corpus
