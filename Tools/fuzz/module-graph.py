#!/usr/bin/env python3
"""Prints the package modules the fuzz harnesses need, in build order, for Tools/fuzz/build.sh.

    swift package dump-package | python3 Tools/fuzz/module-graph.py HARNESS-FILE...

Reads the manifest (JSON on stdin) and the `import` lines of the given Swift files, takes the
dependency closure of the imported package targets, and prints one line per target, dependencies
first:  `system NAME LIB...` (a system-library target and the libraries its module map links),
`c NAME` (a C target) or `swift NAME DEP...`. The harness build then follows Package.swift as it
changes, with no list of its own to keep in step.
"""
import json
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def main():
    manifest = json.load(sys.stdin)
    targets = {t["name"]: t for t in manifest["targets"] if t["type"] in ("regular", "system")}
    deps = {name: [next(iter(d.values()))[0] for d in t["dependencies"]] for name, t in targets.items()}
    wanted = set()
    for path in sys.argv[1:]:
        with open(path) as f:
            for match in re.finditer(r"^\s*(?:@\w+\s+)*(?:\w+\s+)?import\s+(\w+)", f.read(), re.M):
                if match.group(1) in targets:
                    wanted.add(match.group(1))
    order, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        for dep in deps[name]:
            if dep in targets:
                visit(dep)
        order.append(name)

    for name in sorted(wanted):
        visit(name)
    for name in order:
        target = targets[name]
        folder = os.path.join(ROOT, target.get("path") or os.path.join("Sources", name))
        if target["type"] == "system":
            with open(os.path.join(folder, "module.modulemap")) as f:
                libs = re.findall(r'link\s+"([^"]+)"', f.read())
            print("system", name, *libs)
        elif any(n.endswith(".c") for n in os.listdir(folder)):
            print("c", name)
        else:
            print("swift", name, *deps[name])


if __name__ == "__main__":
    main()
