#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Tools/fuzz/harnesses/ with swiftc: `-sanitize=fuzzer,address`.
#
#   Tools/fuzz/build.sh            every harness
#   Tools/fuzz/build.sh NAME...    the named ones (file names without .swift)
#
# SwiftPM cannot link a libFuzzer binary (it wants its own main), so this script compiles the package
# modules the harnesses import itself, one static library each, dependencies first, instrumented for
# coverage and AddressSanitizer, then links every harness against them with swiftc. Which modules,
# their order, their C libraries and C targets come from Package.swift (module-graph.py reads
# `swift package dump-package`). libFuzzer is the one shipped with the Swift toolchain
# (/opt/swift/usr/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a), which `swiftc -sanitize=fuzzer`
# links by itself; C targets are compiled with the toolchain's clang (-fsanitize=fuzzer-no-link,address).
# System C libraries (ldns, libpsl, libyaml) come from Debian uninstrumented: coverage guides through
# the project's code only, and ASan still catches a bad free() in them.
#
# Outputs go to .build/fuzz/ (AIRLOCK_FUZZ_BUILD overrides): modules/ (libraries and .swiftmodule
# files), cmodules/ (generated module maps) and bin/ (one executable per harness). A module or harness
# is rebuilt only when a source it depends on is newer than its output.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${AIRLOCK_FUZZ_BUILD:-$ROOT/.build/fuzz}
MODULE_DIR=$OUT/modules
BIN_DIR=$OUT/bin
HARNESSES=Tools/fuzz/harnesses
mkdir -p "$MODULE_DIR" "$BIN_DIR"

# -O keeps Swift's bounds and overflow checks (what the fuzzer trips on) and runs far faster than -Onone;
# AIRLOCK_FUZZ_OPT=-Onone compiles about four times faster (the CI smoke uses it, in its own folder).
# One package name for every module, as SwiftPM passes it: `package` declarations cross modules.
# AIRLOCK_FUZZ_SANITIZE=fuzzer builds without ASan (in a folder of its own): for the engine and proxy-core
# harnesses, whose code under test holds no unsafe pointer, ASan can only find what Swift's own bounds,
# overflow and exclusivity checks already trap, and it halves their speed.
SANITIZE=${AIRLOCK_FUZZ_SANITIZE:-fuzzer,address}
SWIFT_FLAGS=(-swift-version 6 "${AIRLOCK_FUZZ_OPT:--O}" -g -sanitize="$SANITIZE" -parse-as-library -package-name airlock)
INCLUDES=(-I "$MODULE_DIR")
LINK_LIBRARIES=(-lm)
SWIFT_MODULES=()
C_MODULES=()

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
    INCLUDES+=(-I "$maps")
    C_MODULES+=("$name")
    newer_than "$lib" Sources/"$name" || return 0
    echo "C target $name" >&2
    mkdir -p "$maps" "$OUT/objects/$name"
    # The module map SwiftPM would generate for an include/ folder holding NAME.h.
    printf 'module %s {\n    umbrella header "%s"\n    export *\n}\n' "$name" \
        "$ROOT/Sources/$name/include/$name.h" >"$maps/module.modulemap"
    local objects=() source
    for source in Sources/"$name"/*.c; do
        objects+=("$OUT/objects/$name/$(basename "$source" .c).o")
        clang -O1 -g -fsanitize=fuzzer-no-link${SANITIZE#fuzzer} -I Sources/"$name"/include -c "$source" -o "${objects[-1]}"
    done
    rm -f "$lib"
    ar rcs "$lib" "${objects[@]}"
}

build_module() {
    local name=$1 lib=$MODULE_DIR/lib$1.a
    shift
    SWIFT_MODULES+=("$name")
    local inputs=(Sources/"$name") dep
    for dep in "$@"; do [[ -e $MODULE_DIR/lib$dep.a ]] && inputs+=("$MODULE_DIR/lib$dep.a"); done
    newer_than "$lib" "${inputs[@]}" || return 0
    echo "module $name" >&2
    local sources
    mapfile -t sources < <(find Sources/"$name" -name '*.swift' | sort)
    swiftc "${SWIFT_FLAGS[@]}" -wmo -module-name "$name" -emit-library -static -o "$lib" \
        -emit-module -emit-module-path "$MODULE_DIR/$name.swiftmodule" "${INCLUDES[@]}" "${sources[@]}"
}

build_harness() {
    local name=$1 source=$HARNESSES/$1.swift binary=$BIN_DIR/$1
    [[ -f $source ]] || { echo "no harness $source" >&2; return 1; }
    # Static libraries with each before the ones it uses (reverse build order), as the linker needs.
    local libs=() index
    for ((index = ${#SWIFT_MODULES[@]} - 1; index >= 0; index--)); do
        libs+=("$MODULE_DIR/lib${SWIFT_MODULES[index]}.a")
    done
    for name in "${C_MODULES[@]}"; do libs+=("$MODULE_DIR/lib$name.a"); done
    name=$1
    newer_than "$binary" "$source" "$HARNESSES/Support" "${libs[@]}" || return 0
    echo "harness $name" >&2
    local support
    mapfile -t support < <(find "$HARNESSES/Support" -name '*.swift' | sort)
    swiftc "${SWIFT_FLAGS[@]}" -module-name "Fuzz_$name" -o "$binary" "${INCLUDES[@]}" \
        "$source" "${support[@]}" "${libs[@]}" "${LINK_LIBRARIES[@]}" 2>&1 | quiet_link
}

if (($# == 0)); then
    set -- $(find "$HARNESSES" -maxdepth 1 -name '*.swift' -exec basename {} .swift \; | sort)
fi
# The modules every harness (and the shared support code) imports, from Package.swift.
graph=$(swift package dump-package | python3 Tools/fuzz/module-graph.py "$HARNESSES"/*.swift "$HARNESSES"/Support/*.swift)
while read -r kind name deps; do
    case $kind in
        system)
            INCLUDES+=(-I Sources/"$name")
            for lib in $deps; do LINK_LIBRARIES+=("-l$lib"); done
            ;;
        c) build_c_target "$name" ;;
        swift) build_module "$name" $deps ;;
    esac
done <<<"$graph"
for harness in "$@"; do build_harness "$harness"; done
