#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Tools/fuzz/harnesses/ with swiftc: `-sanitize=fuzzer,address`.
#
#   Tools/fuzz/build.sh            every harness
#   Tools/fuzz/build.sh NAME...    the named ones (file names without .swift)
#
# SwiftPM cannot link a libFuzzer binary (it wants its own main), so this script compiles the package's
# modules itself, one static library each, in dependency order, instrumented for coverage and
# AddressSanitizer, then links every harness against them with swiftc. libFuzzer is the one shipped
# with the Swift toolchain (/opt/swift/usr/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a), which
# `swiftc -sanitize=fuzzer` links by itself. C libraries (ldns, libpsl, libyaml) come from Debian
# and are not instrumented: coverage guides through the Swift code only.
#
# Outputs go to .build/fuzz/ (AIRLOCK_FUZZ_BUILD overrides): modules/ (libraries and .swiftmodule
# files) and bin/ (one executable per harness). A module or harness is rebuilt only when a source it
# depends on is newer than its output.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${AIRLOCK_FUZZ_BUILD:-$ROOT/.build/fuzz}
MODULE_DIR=$OUT/modules
BIN_DIR=$OUT/bin
mkdir -p "$MODULE_DIR" "$BIN_DIR"

# C targets with sources (SwiftPM's include/ layout), compiled with clang for coverage and ASan; a
# module map is written for each, as SwiftPM would generate it.
C_TARGETS=(CAirlockSys)

# Module: the modules it imports. Order is build order. C modules come in through their modulemaps.
MODULES=(
    "AirlockEvents:"
    "AirlockDNSWire:AirlockEvents"
    "AirlockLDNS:AirlockDNSWire AirlockEvents"
    "AirlockTLS:"
    "AirlockPackets:AirlockEvents"
    "AirlockNames:AirlockEvents"
    "AirlockEngine:AirlockEvents"
    "AirlockPipeline:AirlockEvents AirlockDNSWire AirlockEngine AirlockTLS AirlockNames"
    "AirlockPolicy:AirlockEvents AirlockEngine"
    "AirlockDNSProxy:CAirlockSys AirlockDNSWire AirlockPipeline AirlockPolicy AirlockEngine AirlockEvents"
)
C_MODULE_FLAGS=(-I Sources/CLDNS -I Sources/CPSL -I Sources/CYAML)
for target in "${C_TARGETS[@]}"; do C_MODULE_FLAGS+=(-I "$OUT/cmodules/$target"); done
C_LIBRARIES=(-lldns -lpsl -lyaml -lm)
# -O keeps Swift's bounds and overflow checks (what the fuzzer trips on) and runs far faster than -Onone.
SWIFT_FLAGS=(-swift-version 6 -O -g -sanitize=fuzzer,address -parse-as-library)

# ld.gold warns once per ASan helper symbol it cannot export; nothing else is filtered.
quiet_link() { grep -v "Cannot export local symbol '__asan" || true; }

newer_than() {  # newer_than OUTPUT INPUT... : true when OUTPUT is missing or an input is newer
    local output=$1
    shift
    [[ -e $output ]] || return 0
    [[ -n $(find "$@" -newer "$output" -print -quit 2>/dev/null) ]]
}

build_c_target() {
    local name=$1 lib=$MODULE_DIR/lib$1.a maps=$OUT/cmodules/$1
    newer_than "$lib" Sources/"$name" || return 0
    echo "C target $name" >&2
    mkdir -p "$maps" "$OUT/objects/$name"
    printf 'module %s {\n    umbrella header "%s"\n    export *\n}\n' "$name" \
        "$ROOT/Sources/$name/include/$name.h" >"$maps/module.modulemap"
    local objects=() source
    for source in Sources/"$name"/*.c; do
        objects+=("$OUT/objects/$name/$(basename "$source" .c).o")
        clang -O1 -g -fsanitize=fuzzer-no-link,address -I Sources/"$name"/include -c "$source" -o "${objects[-1]}"
    done
    rm -f "$lib"
    ar rcs "$lib" "${objects[@]}"
}

build_module() {
    local name=$1 deps=$2 lib=$MODULE_DIR/lib$1.a
    local inputs=(Sources/"$name")
    for dep in $deps; do inputs+=("$MODULE_DIR/lib$dep.a"); done
    newer_than "$lib" "${inputs[@]}" || return 0
    echo "module $name" >&2
    mapfile -t sources < <(find Sources/"$name" -name '*.swift' | sort)
    swiftc "${SWIFT_FLAGS[@]}" -wmo -module-name "$name" -emit-library -static -o "$lib" \
        -emit-module -emit-module-path "$MODULE_DIR/$name.swiftmodule" \
        -I "$MODULE_DIR" "${C_MODULE_FLAGS[@]}" "${sources[@]}"
}

build_harness() {
    local name=$1 source=Tools/fuzz/harnesses/$1.swift binary=$BIN_DIR/$1
    [[ -f $source ]] || { echo "no harness $source" >&2; return 1; }
    # Static libraries in reverse build order: each before the ones it uses, as the linker needs.
    local libs=() index
    for ((index = ${#MODULES[@]} - 1; index >= 0; index--)); do libs+=("$MODULE_DIR/lib${MODULES[index]%%:*}.a"); done
    for target in "${C_TARGETS[@]}"; do libs+=("$MODULE_DIR/lib$target.a"); done
    newer_than "$binary" "$source" Tools/fuzz/harnesses/Support "${libs[@]}" || return 0
    echo "harness $name" >&2
    mapfile -t support < <(find Tools/fuzz/harnesses/Support -name '*.swift' | sort)
    swiftc "${SWIFT_FLAGS[@]}" -module-name "Fuzz_$name" -o "$binary" -I "$MODULE_DIR" "${C_MODULE_FLAGS[@]}" \
        "$source" "${support[@]}" "${libs[@]}" "${C_LIBRARIES[@]}" \
        2>&1 | quiet_link
}

for target in "${C_TARGETS[@]}"; do build_c_target "$target"; done
for entry in "${MODULES[@]}"; do build_module "${entry%%:*}" "${entry#*:}"; done

if (($# == 0)); then
    set -- $(find Tools/fuzz/harnesses -maxdepth 1 -name '*.swift' -exec basename {} .swift \; | sort)
fi
for harness in "$@"; do build_harness "$harness"; done
