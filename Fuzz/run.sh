#!/usr/bin/env bash
# Builds the libFuzzer target for the line decoder and JSON parser
# (Fuzz/LineDecoderFuzzer.swift, with JobLogJSON, JobLogModel and JobLogProtocol
# compiled from Sources/ with -sanitize=fuzzer,address) and runs it.
#
#   Fuzz/run.sh [SECONDS [extra libFuzzer flags...]]      default: 60 seconds
#
# The corpus (Fuzz/corpus, not committed) is seeded with the conformance
# vectors' sends and, when present, ../shared/testdata/JSONTestSuite/test_parsing.
# Crashes land in Fuzz/artifacts/; replay one with: .build/fuzz/line-decoder-fuzzer FILE
# For local runs only; not part of CI.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
shift || true
out=$root/.build/fuzz
mkdir -p "$out" Fuzz/corpus Fuzz/artifacts
flags=(-parse-as-library -sanitize=fuzzer,address -O -g -I "$out" -use-ld=lld)
module() {
    local name=$1
    # shellcheck disable=SC2046
    swiftc "${flags[@]}" -module-name "$name" -emit-library -static -emit-module-path "$out/$name.swiftmodule" \
        -o "$out/lib$name.a" $(find "Sources/$name" -name '*.swift' | sort)
}
echo "building (about a minute)..."
module JobLogJSON
module JobLogModel
module JobLogProtocol
swiftc "${flags[@]}" -L "$out" -lJobLogProtocol -lJobLogModel -lJobLogJSON \
    Fuzz/LineDecoderFuzzer.swift -o "$out/line-decoder-fuzzer"

# Seed corpus: each conformance send as one file.
if [ -z "$(ls -A Fuzz/corpus)" ]; then
    python3 - "$root" <<'PY'
import json, sys, glob, os, re, shutil
root = sys.argv[1]
n = 0
for path in sorted(glob.glob(root + "/Spec/conformance/*.jsonl")):
    for line in open(path, encoding="utf-8"):
        v = json.loads(line)
        data = v["send"].encode("utf-8")
        if v.get("sendEncoding") == "escaped-bytes":
            data = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), data)
        open(f"{root}/Fuzz/corpus/vector-{n:04d}", "wb").write(data)
        n += 1
suite = root + "/../shared/testdata/JSONTestSuite/test_parsing"
if os.path.isdir(suite):
    for name in sorted(os.listdir(suite)):
        shutil.copy(os.path.join(suite, name), root + "/Fuzz/corpus/jts-" + name)
print(f"seeded Fuzz/corpus with {len(os.listdir(root + '/Fuzz/corpus'))} inputs")
PY
fi
# libFuzzer and ASan print the stack; the Swift runtime's backtracer would only be slow.
export SWIFT_BACKTRACE=enable=no
echo "fuzzing for $seconds s"
exec "$out/line-decoder-fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=Fuzz/artifacts/ -print_final_stats=1 "$@" Fuzz/corpus
