#!/usr/bin/env python3
"""Mutation testing of the engine (ci/mutate.sh runs this; see docs/mutation.md).

For each mutant of ci/mutants/catalogue.txt: apply its patch to core/, rebuild
incrementally in one build folder, run the memory-mode scenario suites (and,
with --unit, the engine's unit tests), restore the file, and record which
scenarios (and unit tests) killed it. Prints the kill matrix and writes it as
Markdown with --out.

Exit status: 0 when every mutant is killed by the scenario suites alone,
1 when some survive them (or are stale / do not build), 2 on a usage error.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT_TARGETS = ["engine_test", "subscription_config_test", "runtime_test", "wire_format_test"]


class Mutant:
    def __init__(self, name):
        self.name = name
        self.file = ""
        self.area = ""
        self.breaks = ""
        self.hunks = []  # [(find, replace)]


def parse_catalogue(path):
    mutants, cur, mode = [], None, None
    find, repl = [], []

    def close_hunk():
        nonlocal find, repl
        if cur is not None and find:
            cur.hunks.append(("\n".join(find), "\n".join(repl)))
        find, repl = [], []

    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                close_hunk()
                cur, mode = None, None
                continue
            if line.startswith("name: "):
                close_hunk()
                cur = Mutant(line[6:].strip())
                mutants.append(cur)
                continue
            if cur is None:
                sys.exit(f"{path}:{lineno}: text outside a mutant block")
            for key in ("file", "area", "breaks"):
                if line.startswith(key + ": "):
                    setattr(cur, key, line[len(key) + 2:].strip())
                    break
            else:
                if line.startswith("-"):
                    if mode == "+":
                        close_hunk()
                    mode = "-"
                    find.append(line[2:] if line.startswith("- ") else line[1:])
                elif line.startswith("+"):
                    mode = "+"
                    repl.append(line[2:] if line.startswith("+ ") else line[1:])
                else:
                    sys.exit(f"{path}:{lineno}: expected name/file/area/breaks/-/+")
    close_hunk()
    names = [m.name for m in mutants]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"{path}: duplicate mutant names: {', '.join(sorted(dup))}")
    for m in mutants:
        if not m.file.startswith("core/") or not m.hunks:
            sys.exit(f"{path}: mutant {m.name} needs a core/ file and at least one hunk")
    return mutants


def apply(m, text):
    """The mutated text, or None when a hunk does not occur exactly once."""
    for find, repl in m.hunks:
        if text.count(find) != 1:
            return None
        text = text.replace(find, repl)
    return text


def run(cmd, timeout, log):
    """(exit code, output); exit code 124 on timeout."""
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True, errors="replace")
        out = p.stdout
        code = p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        code = 124
    if log:
        log.write(f"$ {' '.join(cmd)}  -> {code}\n{out[-4000:]}\n")
        log.flush()
    return code, out


def scenario_kills(args, log):
    """Scenario ids that failed (or crashed) under the current build."""
    harness = os.path.join(args.build_dir, "harness", "protean-harness")
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "s.json")
        seeds = ["--seeds", str(args.seeds)] if args.seeds > 1 else []
        cmd = [harness, "run", *args.scenarios, "--protean-env", "memory", "--jobs", str(args.jobs),
               "--json", summary, *seeds]
        code, _ = run(cmd, args.timeout, log)
        if code in (0, 1) and os.path.exists(summary):
            with open(summary, encoding="utf-8") as f:
                cases = json.load(f)["cases"]
            return sorted({f"{c['suite']}/{c['scenario']}" for c in cases if c["status"] == "failed"}), ""
        # A crash or a hang takes the whole run down: attribute it file by file.
        files = subprocess.run([harness, "list", *args.scenarios], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True).stdout.splitlines()[1:]
        killed = []
        for line in files:
            parts = line.split()
            if len(parts) < 2:
                continue
            sid = f"{parts[0]}/{parts[1]}"
            # Under the same seeds as the whole run: the crash may need one of them.
            c, _ = run([harness, "run", *args.scenarios, "--filter", sid, "--json", summary, *seeds],
                       max(30, args.timeout // 4), log)
            if c != 0:
                killed.append(sid + ("" if c == 1 else " (crash)" if c != 124 else " (hang)"))
        # Each scenario is tagged with how it ended; the note only tells of a
        # whole-run crash or hang that no single scenario reproduced.
        whole = "crash" if code != 124 else "hang"
        return sorted(killed), "" if killed else f"the whole run: {whole}, no single scenario"


def unit_kills(args, log):
    killed = []
    for t in UNIT_TARGETS:
        exe = None
        for sub in ("tests/unit", "tests/config", "tests"):
            p = os.path.join(args.build_dir, sub, t)
            if os.path.exists(p):
                exe = p
        if exe is None:
            continue
        code, out = run([exe, "--gtest_brief=1"], args.timeout, log)
        if code != 0:
            failed = [l.split()[-1] for l in out.splitlines() if l.startswith("[  FAILED  ]") and "." in l]
            killed += [f"{t}:{n}" for n in failed] or [f"{t} (exit {code})"]
    return sorted(set(killed))


def build(args, targets, log):
    code, out = run(["ninja", "-C", args.build_dir, f"-j{args.jobs}", *targets], 3600, log)
    return code == 0, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalogue", default=os.path.join(ROOT, "ci", "mutants", "catalogue.txt"))
    ap.add_argument("--build-dir", default=os.environ.get("BUILD_DIR", "build"))
    ap.add_argument("--only", default="", help="comma-separated mutant names")
    ap.add_argument("--unit", action="store_true", help="also run the engine's unit tests")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per scenario (default 1)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per suite run")
    ap.add_argument("--out", default="", help="write the kill matrix (Markdown) here")
    ap.add_argument("--log", default="", help="append every command's output here")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("scenarios", nargs="*", default=["scenarios"])
    args = ap.parse_args()
    os.chdir(ROOT)
    mutants = parse_catalogue(args.catalogue)
    if args.only:
        want = set(args.only.split(","))
        unknown = want - {m.name for m in mutants}
        if unknown:
            sys.exit(f"unknown mutants: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.name in want]
    if args.list:
        stale = 0
        for m in mutants:
            with open(os.path.join(ROOT, m.file), encoding="utf-8") as f:
                ok = apply(m, f.read()) is not None
            stale += 0 if ok else 1
            print(f"{'' if ok else 'STALE '}{m.name:40} {m.area:12} {m.file}: {m.breaks}")
        print(f"{len(mutants)} mutants, {stale} stale")
        return 1 if stale else 0
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    targets = ["protean-harness"] + (UNIT_TARGETS if args.unit else [])
    ok, out = build(args, targets, log)
    if not ok:
        print(out[-3000:])
        sys.exit("the unmutated tree does not build")
    base = scenario_kills(args, log)[0]
    if base:
        sys.exit("the unmutated engine already fails: " + ", ".join(base))
    if args.unit and unit_kills(args, log):
        sys.exit("the unmutated engine already fails its unit tests")

    originals = {}

    def restore():
        for path, text in originals.items():
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        originals.clear()

    def on_signal(signum, _frame):
        restore()
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    rows = []
    t_all = time.time()
    for i, m in enumerate(mutants, 1):
        t0 = time.time()
        path = os.path.join(ROOT, m.file)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        mutated = apply(m, text)
        row = {"mutant": m, "status": "", "scenarios": [], "unit": [], "note": ""}
        if mutated is None:
            row["status"] = "STALE"
        else:
            originals[path] = text
            try:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(mutated)
                built, bout = build(args, targets, log)
                if not built:
                    row["status"] = "BUILD-ERROR"
                    row["note"] = next((l for l in bout.splitlines() if "error" in l), "")[:200]
                else:
                    row["scenarios"], row["note"] = scenario_kills(args, log)
                    if args.unit:
                        row["unit"] = unit_kills(args, log)
                    row["status"] = ("KILLED" if row["scenarios"] else
                                     "UNIT-ONLY" if row["unit"] else "SURVIVED")
            finally:
                restore()
        rows.append(row)
        print(f"[{i:2}/{len(mutants)}] {row['status']:11} {m.name:40} "
              f"scenarios={len(row['scenarios'])} unit={len(row['unit'])} ({time.time() - t0:.0f} s)",
              flush=True)
    build(args, targets, log)  # back to the unmutated binaries
    wall = time.time() - t_all
    report = matrix(rows, args, wall)
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report)
    return 0 if all(r["status"] == "KILLED" for r in rows) else 1


def matrix(rows, args, wall):
    count = lambda s: sum(1 for r in rows if r["status"] == s)
    lines = [
        "| mutant | area | breaks | killed by (scenarios) | unit tests |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        m = r["mutant"]
        sc = r["scenarios"]
        shown = ", ".join(f"`{s}`" for s in sc[:4]) + (f" +{len(sc) - 4}" if len(sc) > 4 else "")
        if r["status"] in ("STALE", "BUILD-ERROR", "SURVIVED"):
            shown = f"**{r['status']}** {r['note']}".strip()
        elif r["note"]:
            shown += f" ({r['note']})"
        unit = str(len(r["unit"])) if args.unit else "-"
        lines.append(f"| `{m.name}` | {m.area} | {m.breaks} | {len(sc)}: {shown} | {unit} |")
    one = sum(1 for r in rows if len(r["scenarios"]) == 1)
    summary = (f"{len(rows)} mutants: {count('KILLED')} killed by the scenario suites, "
               f"{count('UNIT-ONLY')} by unit tests only, {count('SURVIVED')} survived, "
               f"{count('STALE')} stale, {count('BUILD-ERROR')} did not build; "
               f"{one} killed by a single scenario. Seeds per scenario: {args.seeds}; "
               f"unit tests {'run' if args.unit else 'not run'}; {wall / 60:.1f} min.")
    return summary + "\n\n" + "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
