#!/usr/bin/env python3
"""Clang's thread-safety analysis over the translation units that use core/mutex.h.

Usage: thread_safety.py BUILD_DIR [CLANG]

Reads BUILD_DIR/compile_commands.json (the gcc build's) and `ninja -t deps`
(which headers each object included), keeps the product and harness units
(not tests/) whose dependencies include core/mutex.h, and re-runs each as
`clang++ -fsyntax-only -Wthread-safety -Werror=thread-safety` with the same
defines and include folders and none of gcc's warning flags. Prints each
finding and exits 1 when there is any, 2 when the build folder cannot be read.
"""
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys

SCOPES = ("core/", "adapters/", "app/", "harness/")
ANALYSIS = ["-fsyntax-only", "-Wthread-safety", "-Wthread-safety-beta",
            "-Werror=thread-safety", "-Werror=thread-safety-beta"]


def objects_using_mutex(build_dir):
    out = subprocess.run(["ninja", "-C", build_dir, "-t", "deps"], check=True,
                         capture_output=True, text=True).stdout
    users, current = set(), None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            current = line.split(":", 1)[0]
        elif current and line.strip().endswith("core/mutex.h"):
            users.add(current)
    return users


def arguments(entry):
    return shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])


def output_of(entry):
    args = arguments(entry)
    return args[args.index("-o") + 1] if "-o" in args else entry.get("output", "")


def clang_command(entry, clang):
    args = arguments(entry)
    kept, skip = [clang], False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-c", "-MD", "-MMD") or arg.startswith("-W") or arg == "-pedantic":
            continue
        kept.append(arg)
    return kept + ANALYSIS


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build_dir = sys.argv[1]
    clang = sys.argv[2] if len(sys.argv) > 2 else "clang++"
    try:
        with open(os.path.join(build_dir, "compile_commands.json")) as f:
            entries = json.load(f)
        users = objects_using_mutex(build_dir)
    except (OSError, subprocess.CalledProcessError, json.JSONDecodeError) as e:
        print(f"thread_safety: cannot read build folder {build_dir}: {e}", file=sys.stderr)
        return 2
    root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    units = []
    for e in entries:
        src = os.path.relpath(os.path.realpath(os.path.join(e["directory"], e["file"])), root)
        if "/Unity/unity_" in e["file"]:
            # A unity batch (PROTEAN_UNITY_BUILD) lives in the build folder; its
            # object's path there mirrors the sources' folder (core/engine/...).
            src = output_of(e)
        if src.startswith(SCOPES) and output_of(e) in users:
            units.append((src, e))
    if not units:
        print("thread_safety: no unit includes core/mutex.h (was the tree built?)", file=sys.stderr)
        return 2

    def analyse(item):
        src, e = item
        r = subprocess.run(clang_command(e, clang), cwd=e["directory"], capture_output=True,
                           text=True)
        return src, r.returncode, r.stderr

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for src, rc, err in pool.map(analyse, sorted(units)):
            if rc != 0:
                failed += 1
                sys.stderr.write(err)
    print(f"thread_safety: {len(units)} units analysed, {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
