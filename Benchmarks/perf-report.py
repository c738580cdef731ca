#!/usr/bin/env python3
"""Turns a `perf record -g` profile into a report of where the time goes, by function.

`perf report` on this machine does not resolve the symbols of executables (perf 6.1 under a newer
kernel gives up on every ELF file it did not find in a build-id cache, Swift or C alike), so this
script reads the raw call chains with `perf script`, resolves every address with `llvm-symbolizer`
(from the Swift toolchain: inlined frames included, from the binary's DWARF) and demangles Swift
names with `swift-demangle`. It prints two tables: self time (the innermost function, inlined code
attributed to the function it was inlined from) and inclusive time (samples with the function
anywhere on the stack), each with the share of all samples.

    python3 Benchmarks/perf-report.py PERF.DATA [--top N] [--comm NAME] [--within TEXT] > report.txt

--within TEXT keeps only the samples with a function named like TEXT on the stack (what a function's
inclusive time is made of); shares stay shares of all samples.
"""
import argparse
import bisect
import collections
import json
import os
import re
import shutil
import subprocess
import sys

FRAME = re.compile(r"^\s+([0-9a-f]+) \((.*)\)$")


def tool(name):
    for folder in ("/opt/swift/usr/bin", os.path.dirname(shutil.which("swift") or "") or "/usr/bin"):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if not found:
        sys.exit(f"perf-report: {name} not found (it comes with the Swift toolchain)")
    return found


def load_segments(path):
    """(file offset, size, virtual address) of each LOAD segment: perf gives file offsets."""
    try:
        out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True).stdout
    except OSError:
        return []
    segments = []
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == "LOAD":
            segments.append((int(parts[1], 16), int(parts[4], 16), int(parts[2], 16)))
    return segments


def samples(data, comm):
    """Yields each sample's thread id and frames, innermost first, as (dso, address) pairs."""
    cmd = ["perf", "script", "-i", data, "-F", "comm,tid,ip,dso"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    frames, keep, tid = [], True, 0
    for line in proc.stdout:
        if not line.strip():
            if frames and keep:
                yield tid, frames
            frames = []
            continue
        match = FRAME.match(line)
        if match:
            address = int(match.group(1), 16)
            # Callers' frames hold return addresses, which can fall on the next (inlined) line of code:
            # the call instruction is the byte before.
            frames.append((match.group(2), address - 1 if frames and address > 0 else address))
        else:
            fields = line.split()
            keep = comm is None or fields[0] == comm
            tid = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    if frames and keep:
        yield tid, frames
    proc.wait()


def symbolize(dso, offsets, segments):
    """Maps each file offset in `dso` to its chain of functions, outermost first (inlining)."""
    def vaddr(offset):
        for start, size, virtual in segments:
            if start <= offset < start + size:
                return offset - start + virtual
        return offset

    addresses = sorted(offsets)
    if not os.path.exists(dso):
        return {a: [f"[{os.path.basename(dso)}]"] for a in addresses}
    text = "\n".join(hex(vaddr(a)) for a in addresses) + "\n"
    out = subprocess.run(
        [tool("llvm-symbolizer"), f"--obj={dso}", "--output-style=JSON", "--no-demangle"],
        input=text, capture_output=True, text=True).stdout
    result = {}
    for address, line in zip(addresses, out.splitlines()):
        entry = json.loads(line)
        names = [s.get("FunctionName") or "??" for s in entry.get("Symbol", [])]
        names = [n for n in names if n != "??"] or [f"{os.path.basename(dso)}+{address:#x}"]
        result[address] = list(reversed(names))  # llvm-symbolizer lists the innermost first
    return result


def kernel_symbols():
    """Sorted (address, name) of the kernel's text symbols, when /proc/kallsyms shows addresses."""
    symbols = []
    try:
        with open("/proc/kallsyms") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] in ("T", "t") and parts[0] != "0" * len(parts[0]):
                    symbols.append((int(parts[0], 16), parts[2]))
    except OSError:
        pass
    symbols.sort()
    return symbols


def demangle(names):
    names = sorted(names)
    out = subprocess.run(
        [tool("swift-demangle"), "--simplified", "--compact"], input="\n".join(names) + "\n",
        capture_output=True, text=True).stdout.splitlines()
    return dict(zip(names, out)) if len(out) == len(names) else {n: n for n in names}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--comm", help="only samples of this command (thread) name")
    ap.add_argument("--thread", type=int, help="only the Nth busiest thread (1: the busiest)")
    ap.add_argument("--callers", action="append", default=[], metavar="TEXT",
                    help="also list who calls the functions whose name contains TEXT (repeatable)")
    ap.add_argument("--within", metavar="TEXT",
                    help="only samples with a function whose name contains TEXT on the stack")
    args = ap.parse_args()

    tagged = list(samples(args.data, args.comm))
    threads = collections.Counter(tid for tid, _ in tagged)
    print("Samples per thread: " + ", ".join(f"thread {i + 1} (tid {tid}) {count}" for i, (tid, count) in
                                               enumerate(threads.most_common())))
    print()
    if args.thread:
        ranked = [tid for tid, _ in threads.most_common()]
        chosen = ranked[args.thread - 1] if args.thread <= len(ranked) else None
        tagged = [(tid, frames) for tid, frames in tagged if tid == chosen]
    all_samples = [frames for _, frames in tagged]
    wanted = collections.defaultdict(set)
    for frames in all_samples:
        for dso, address in frames:
            if not dso.startswith("["):
                wanted[dso].add(address)
    chains = {}
    for dso, offsets in wanted.items():
        for address, names in symbolize(dso, offsets, load_segments(dso)).items():
            chains[(dso, address)] = names
    readable = demangle({n for names in chains.values() for n in names})

    kernel = kernel_symbols()
    kernel_starts = [a for a, _ in kernel]

    def frame_names(dso, address):
        if dso.startswith("["):
            if "kernel" in dso and kernel:
                i = bisect.bisect_right(kernel_starts, address) - 1
                return ["[k] " + kernel[i][1]] if i >= 0 else ["[kernel]"]
            return ["[kernel]" if "kernel" in dso else dso]
        return [readable.get(n, n) for n in chains[(dso, address)]]

    total = len(all_samples)
    self_time = collections.Counter()
    inclusive = collections.Counter()
    callers = {text: collections.Counter() for text in args.callers}
    for frames in all_samples:
        frames = [f for f in frames if not (f[0] == "[unknown]" and f[1] == 0)]
        if not frames:
            continue
        stack = []  # innermost first, inlined functions expanded
        for dso, address in frames:
            stack.extend(reversed(frame_names(dso, address)))
        if args.within and not any(args.within in name for name in stack):
            continue
        self_time[stack[0]] += 1
        inclusive.update(set(stack))
        for text, counter in callers.items():
            # The innermost function matching TEXT, and the first different function outside it.
            for i, name in enumerate(stack):
                if text in name:
                    outside = next((n for n in stack[i + 1:] if text not in n and not n.startswith(
                        ("specialized", "outlined", "protocol witness", "partial apply", "[unknown]"))), "?")
                    counter[outside] += 1
                    break

    def table(title, counter):
        print(f"{title} ({total} samples)")
        for name, count in counter.most_common(args.top):
            print(f"{100 * count / max(1, total):6.2f}%  {name[:200]}")
        print()

    table("Self time by function (inlined code under the function it was inlined from)", self_time)
    table("Inclusive time by function", inclusive)
    for text, counter in callers.items():
        table(f"Callers of functions named like '{text}' (first caller outside them)", counter)


if __name__ == "__main__":
    main()
