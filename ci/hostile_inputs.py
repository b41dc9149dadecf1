#!/usr/bin/env python3
"""Hostile configuration and scenario files against `protean` and `protean-harness`.

Generates COUNT inputs by mutating the repository's own valid files (every
domain.toml tracked by git for configuration, scenarios/**/*.toml for
scenarios), runs each under a timeout and classifies every run:

  ok          exit 0
  rejected    a clean error exit whose message names the file, a line or the key
  failed      (scenarios) the case loaded and ran, its checkers failed (exit 1)
  unlocated   rejected, but the message names neither the file nor a line nor the key
  crash       killed by a signal, exit >= 128, or a sanitizer report, "terminate
              called", "Assertion", "check failed" in the output
  hang        still running at the timeout (its process group is killed)

and flags per input:

  accepted       the mutation is invalid by construction (a value past every
                 bound, a fault naming an instance the scenario never starts,
                 a duplicate key, ...) and nothing rejected it
  check_vs_load  `protean check` exited 0 but `protean config show` failed

Commands: `protean check --domain F [--env E]` and `protean config show --domain F`
(PROTEAN_ENV=E) for configuration files; `protean-harness run F --protean-env memory`
for scenario files. Generation is deterministic: input i of seed S is the same
on every machine (random.Random(f"{S}:{i}")).

Every crash, hang, unlocated, accepted and check_vs_load input is kept in
OUT/<outcome>/<id>-<kind>/ with the commands, exit codes and outputs; OUT/summary.txt
and OUT/summary.json hold the counts. Exit: 0 no crash or hang; 1 some input
crashed or hung; 2 usage (binaries or seed files missing).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808
MIB = 1 << 20

HOSTILE_NUMBERS = [
    "0", "-1", "1e-9", "1e300", "inf", "-inf", "nan", "+inf", "-nan",
    str(INT64_MAX), str(INT64_MIN), "9223372036854775808", "1e19", "-1e19",
    "5e-324", "1e-300", "-0.0", "1e12", "1000000000001", "0x7fffffffffffffff",
    "[0, 9223372036854775807]", "[1e300, inf]", "[-1, 1]", "[5, 1]",
    "[9223372036854775807, 9223372036854775807]",
]
WRONG_TYPES = [
    '"x"', '"1"', '""', "true", "false", "[]", "[1, 2, 3]", '["a"]', "{}",
    "{a = 1}", "1979-05-27T07:32:00Z", "07:32:00", "[[1]]",
]
HUGE_STRING_LEN = 100_000

# (table, key) pairs a loader reads as numbers: inserted with a hostile value.
CONFIG_NUMERIC_KEYS = [
    ("server", k) for k in ("drain_timeout", "messages_per_tick", "tick_interval", "workers")
] + [
    ("server.dlq", k)
    for k in ("retention_hours", "alert_threshold", "check_interval_seconds")
] + [
    ("server.health", "port"),
    ("server.priority_lanes", "threshold"),
    ("brokers.default", "socket_timeout"),
    ("brokers.default", "max_connections"),
    ("databases.default", "pool_size"),
    ("caches.default", "TTL"),
] + [
    ("server.event_store_subscription", k)
    for k in ("position_update_interval", "max_retries", "retry_delay_seconds",
              "recovery_interval_seconds")
]
SUBSCRIPTION_NUMERIC_KEYS = [
    "messages_per_tick", "tick_interval", "blocking_timeout_ms", "max_retries",
    "retry_delay_seconds", "retry_backoff_max_seconds", "retry_jitter",
    "position_update_interval", "dlq_retention_hours", "dlq_alert_threshold",
    "handler_timeout_seconds", "claim_idle_seconds", "concurrency",
    "circuit_breaker_threshold", "circuit_breaker_reset_seconds", "retention_maxlen",
    "consumer_group_member", "consumer_group_size",
]
CONFIG_NUMERIC_KEYS += [("server.stream_subscription", k) for k in SUBSCRIPTION_NUMERIC_KEYS]
CONFIG_NUMERIC_KEYS += [("server.profiles.hostile", k) for k in SUBSCRIPTION_NUMERIC_KEYS]
HANDLER_NUMERIC_KEYS = ["duration_ms", "fail_first"]
SCENARIO_NUMERIC_KEYS = [
    ("phases", "heal_at_ms"), ("phases", "converge_within_ms"), ("phases", "min_duration_ms"),
    ("instances", "count"),
]

FAULT_INSTANCE_KINDS = ["consumer_crash", "sigterm", "remove_worker"]
FAULT_WINDOWED_INSTANCE_KINDS = ["broker_unavailable", "lost_ack", "broker_partition"]
FAULT_HANDLER_KINDS = ["handler_errors"]

CRASH_RE = re.compile(
    r"AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer|"
    r"UndefinedBehaviorSanitizer|runtime error:|terminate called|Assertion|"
    r"check failed|CHECK failed|Segmentation fault|stack overflow|std::bad_alloc"
)
LOCATION_RE = re.compile(r":\d+:\d+|:\d+: |line \d+")
KEEP_OUTPUT = 64 * 1024

# The kinds, each with the targets it applies to and a weight.
KINDS = {
    "hostile_number": (("config", "scenario"), 14),
    "wrong_type": (("config", "scenario"), 6),
    "huge_string": (("config", "scenario"), 2),
    "hostile_key_insert": (("config", "scenario"), 12),
    "deep_dotted_key": (("config", "scenario"), 4),
    "deep_nesting": (("config", "scenario"), 4),
    "long_line": (("config", "scenario"), 2),
    "large_file": (("config", "scenario"), 2),
    "truncated": (("config", "scenario"), 8),
    "byte_flip": (("config", "scenario"), 10),
    "duplicate_key": (("config", "scenario"), 5),
    "unknown_key": (("config", "scenario"), 5),
    "unknown_section": (("config", "scenario"), 4),
    "invalid_utf8": (("config", "scenario"), 4),
    "empty_file": (("config", "scenario"), 2),
    "env_overlay": (("config", "scenario"), 6),
    "fault_bad_ref": (("scenario",), 5),
    "fault_time_overflow": (("scenario",), 5),
}


# ---------------------------------------------------------------- TOML lines

HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\]#]+?)\s*\]\]?\s*(#.*)?$")
ASSIGN_RE = re.compile(r"^(\s*)([A-Za-z0-9_\-.\"']+)(\s*=\s*)(.*?)(\s*#[^\"']*)?$")
NUMBER_RE = re.compile(r"^[+-]?(\d[\d_]*)(\.\d+)?([eE][+-]?\d+)?$|^\[\s*-?\d+\s*,\s*-?\d+\s*\]$")


@dataclass
class Line:
    index: int
    table: str  # the current [table] ("" at the top), [[x]] as "x"
    key: str | None
    value: str | None
    is_header: bool = False
    is_array_header: bool = False


def scan(text: str) -> list[Line]:
    """Lines of a TOML text with their table; lines inside multi-line strings or
    arrays are reported with key None."""
    out = []
    table = ""
    in_multi = None
    depth = 0
    for i, raw in enumerate(text.split("\n")):
        if in_multi:
            if raw.count(in_multi) % 2 == 1:
                in_multi = None
            out.append(Line(i, table, None, None))
            continue
        if depth > 0:
            depth += raw.count("[") - raw.count("]")
            out.append(Line(i, table, None, None))
            continue
        m = HEADER_RE.match(raw)
        if m and "=" not in raw.split("#")[0]:
            table = m.group(2).strip()
            out.append(Line(i, table, None, None, True, m.group(1) == "[["))
            continue
        m = ASSIGN_RE.match(raw)
        if m:
            value = m.group(4)
            for q in ('"""', "'''"):
                if value.startswith(q) and value.count(q) == 1:
                    in_multi = q
            if value.startswith("[") and value.count("[") > value.count("]"):
                depth = value.count("[") - value.count("]")
            out.append(Line(i, table, m.group(2), value))
            continue
        out.append(Line(i, table, None, None))
    return out


def set_value(lines: list[str], index: int, value: str) -> None:
    m = ASSIGN_RE.match(lines[index])
    if m:
        lines[index] = m.group(1) + m.group(2) + m.group(3) + value
    else:
        lines[index] = value


def table_insert(text: str, table: str, line: str) -> tuple[str, int]:
    """`line` placed in [table]: after its header when the file has one (not an
    array of tables), else in a new header at the end. Returns the text and the
    1-based line number of `line`."""
    rows = text.split("\n")
    for ln in scan(text):
        if ln.is_header and not ln.is_array_header and ln.table == table:
            rows.insert(ln.index + 1, line)
            return "\n".join(rows), ln.index + 2
    if table == "":
        rows.insert(0, line)
        return "\n".join(rows), 1
    if rows and rows[-1] == "":
        rows.pop()
    rows += ["", f"[{table}]", line, ""]
    return "\n".join(rows), len(rows) - 1


# ---------------------------------------------------------------- cases

@dataclass
class Case:
    index: int
    kind: str
    target: str  # config | scenario
    seed_file: Path
    data: bytes = b""
    env: str | None = None
    must_reject: bool = False
    keys: list[str] = field(default_factory=list)  # names the message may give
    note: str = ""


def numeric_lines(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.key and ln.value and NUMBER_RE.match(ln.value.strip())]


def handler_names(lines: list[Line], prefix: str) -> list[str]:
    names = []
    for ln in lines:
        if ln.is_header and ln.table.startswith(prefix):
            name = ln.table[len(prefix):].split(".")[0]
            if name and name not in names:
                names.append(name)
    return names


def scenario_facts(text: str) -> dict:
    lines = scan(text)
    facts = {"instances": 1, "adds": 0, "heal": 0, "handlers": handler_names(lines, "handlers.")}
    for ln in lines:
        if ln.table == "instances" and ln.key == "count":
            facts["instances"] = int(ln.value)
        if ln.table == "phases" and ln.key == "heal_at_ms":
            facts["heal"] = int(ln.value)
        if ln.key == "kind" and ln.value and "add_worker" in ln.value:
            facts["adds"] += 1
    return facts


OVERLAYS = ("production", "test", "memory", "staging", "development")
PASS_THROUGH = ("outbox", "server.partitioning", "server.transient_retry", "server.version_retry",
                "server.broker_subscription", "consume_idempotency", "idempotency", "logging",
                "observatory", "telemetry", "lint", "custom", "email_providers", "expect",
                "domain.custom", "server.priority_lanes")


def select_overlay(case: Case, table: str) -> bool:
    """True when a value in `table` is applied by the run: a configuration
    overlay ([production.x]) is selected with --env / PROTEAN_ENV; a
    scenario's [domain.test.x] is not applied in memory mode."""
    parts = table.split(".")
    if case.target == "config" and parts[0] in OVERLAYS:
        parts = parts[1:]
    # Keys this engine passes through (read by Protean's domain layer, or
    # unsupported: a warning) and [expect] counts take any value.
    if ".".join(parts).startswith(PASS_THROUGH) or parts[-1:] == ["threshold"]:
        if case.target == "config" and table.split(".")[0] in OVERLAYS:
            case.env = table.split(".")[0]
        return False
    parts = table.split(".")
    if case.target == "config":
        if parts[0] in OVERLAYS:
            case.env = parts[0]
        return True
    return not (len(parts) > 1 and parts[0] == "domain" and parts[1] in OVERLAYS
                and parts[1] != "memory")


def mutate(case: Case, text: str, rng: random.Random) -> None:
    """Fills case.data (and env, must_reject, keys, note) from the seed text."""
    kind = case.kind
    lines = scan(text)
    rows = text.split("\n")
    scen = case.target == "scenario"
    dom = "domain." if scen else ""

    def done(new_text: str | bytes, note: str, must_reject: bool = False, keys=()) -> None:
        case.data = new_text if isinstance(new_text, bytes) else new_text.encode()
        case.note = note
        case.must_reject = must_reject
        case.keys = [k.split(".")[-1].strip('"') for k in keys]

    def pick_numeric() -> Line | None:
        nums = numeric_lines(lines)
        return rng.choice(nums) if nums else None

    if kind in ("hostile_number", "wrong_type", "huge_string"):
        ln = pick_numeric()
        if ln is None:
            case.kind = kind = "hostile_key_insert"
        else:
            if kind == "hostile_number":
                value = rng.choice(HOSTILE_NUMBERS)
            elif kind == "wrong_type":
                value = rng.choice(WRONG_TYPES)
            else:
                value = '"' + "9" * HUGE_STRING_LEN + '"'
            set_value(rows, ln.index, value)
            applied = select_overlay(case, ln.table)
            # Past every bound (or not a number at all): must be refused.
            must = applied and (kind != "hostile_number" or value in (
                "inf", "-inf", "nan", "+inf", "-nan", str(INT64_MAX), str(INT64_MIN),
                "9223372036854775808", "1e300", "1e19", "-1e19", "[1e300, inf]", "[5, 1]",
                "[9223372036854775807, 9223372036854775807]", "[0, 9223372036854775807]"))
            done("\n".join(rows), f"line {ln.index + 1}: [{ln.table}] {ln.key} = {value[:40]}",
                 must, [ln.key])
            return

    if kind == "hostile_key_insert":
        value = rng.choice(HOSTILE_NUMBERS + WRONG_TYPES)
        choices = [(dom + t, k) for t, k in CONFIG_NUMERIC_KEYS]
        prefix = "handlers."
        handlers = handler_names(lines, prefix)
        for h in handlers:
            choices += [(f"{prefix}{h}.subscription_config", k) for k in SUBSCRIPTION_NUMERIC_KEYS]
            if scen:
                choices += [(f"{prefix}{h}", k) for k in HANDLER_NUMERIC_KEYS]
        if scen:
            choices += SCENARIO_NUMERIC_KEYS
        table, key = rng.choice(choices)
        existing = [ln for ln in lines if ln.table == table and ln.key == key]
        if existing:
            set_value(rows, existing[0].index, f"{value}")
            new_text, at = "\n".join(rows), existing[0].index + 1
        else:
            new_text, at = table_insert(text, table, f"{key} = {value}")
        must = select_overlay(case, table) and value in (
            "inf", "-inf", "nan", "+inf", "-nan", "1e300", str(INT64_MAX),
            "9223372036854775808", "1e19", "[1e300, inf]")
        done(new_text, f"line {at}: [{table}] {key} = {value[:40]}", must, [key])
        return

    if kind == "deep_dotted_key":
        depth = rng.choice([65, 200, 1000, 100_000])
        as_header = rng.random() < 0.4
        chain = ".".join(["a"] * depth)
        if as_header:
            new_text = text + f"\n[{chain}]\nx = 1\n"
        else:
            table = rng.choice(["", dom + "custom", dom + "server"])
            new_text, _ = table_insert(text, table, f"{chain} = 1")
        done(new_text, f"{depth} levels, {'header' if as_header else 'key'}", True)
        return

    if kind == "deep_nesting":
        depth = rng.choice([65, 300, 10_000, 100_000])
        if rng.random() < 0.5:
            value = "{a = " * depth + "1" + " }" * depth
        else:
            value = "[" * depth + "1" + "]" * depth
        new_text, _ = table_insert(text, dom + "custom", f"nested = {value}")
        done(new_text, f"{depth} levels of {value[0]}", True)
        return

    if kind == "long_line":
        size = rng.choice([MIB, 5 * MIB])
        where = rng.choice(["comment", "string", "key"])
        if where == "comment":
            line = "# " + "x" * size
        elif where == "string":
            line = 'long = "' + "y" * size + '"'
        else:
            line = "k" * size + " = 1"
        table = "" if where == "comment" else dom + "custom"
        new_text, _ = table_insert(text, table, line)
        done(new_text, f"one {where} line of {size // MIB} MiB", size > 4 * MIB)
        return

    if kind == "large_file":
        n = rng.choice([120_000, 300_000])
        body = "\n".join(f"k{i} = {i}" for i in range(n))
        new_text, _ = table_insert(text, dom + "custom", body)
        done(new_text, f"{n} keys in [{dom}custom]", len(new_text) > 4 * MIB)
        return

    if kind == "truncated":
        raw = text.encode()
        cut = rng.randrange(0, max(1, len(raw)))
        done(raw[:cut], f"cut at byte {cut} of {len(raw)}")
        return

    if kind == "byte_flip":
        raw = bytearray(text.encode())
        n = rng.choice([1, 1, 2, 4, 8])
        where = []
        for _ in range(n):
            pos = rng.randrange(len(raw))
            raw[pos] = rng.randrange(256)
            where.append(pos)
        done(bytes(raw), f"bytes {where} changed")
        return

    if kind == "duplicate_key":
        keyed = [ln for ln in lines if ln.key]
        headers = [ln for ln in lines if ln.is_header and not ln.is_array_header]
        if headers and (not keyed or rng.random() < 0.3):
            ln = rng.choice(headers)
            new_text = text + f"\n{rows[ln.index]}\n"
            done(new_text, f"[{ln.table}] defined twice", True, [ln.table])
        else:
            ln = rng.choice(keyed)
            rows.insert(ln.index + 1, rows[ln.index])
            done("\n".join(rows), f"line {ln.index + 2}: {ln.key} twice in [{ln.table}]", True,
                 [ln.key])
        return

    if kind == "unknown_key":
        tables = sorted({ln.table for ln in lines if ln.is_header and not ln.is_array_header})
        table = rng.choice(tables + [""])
        key = f"hostile_unknown_{rng.randrange(1000)}"
        value = rng.choice(["1", '"x"', "true"])
        new_text, at = table_insert(text, table, f"{key} = {value}")
        done(new_text, f"line {at}: {key} in [{table}]", False, [key])
        return

    if kind == "unknown_section":
        section = rng.choice(["hostile_section", "server.hostile", dom + "server.hostile",
                              dom + "server.dlq.hostile", "handlers.Nope.hostile"])
        done(text + f"\n[{section}]\nx = 1\n", f"[{section}] added", False, [section])
        return

    if kind == "invalid_utf8":
        bad = rng.choice([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf",
                          b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80"])
        where = rng.choice(["string", "key", "comment"])
        if where == "string":
            line = b'bad = "a' + bad + b'b"'
        elif where == "key":
            line = b"b" + bad + b"d = 1"
        else:
            line = b"# " + bad
        new_text, _ = table_insert(text, "" if where == "comment" else dom + "custom", "@@BAD@@")
        data = new_text.encode().replace(b"@@BAD@@", line)
        done(data, f"{bad!r} in a {where}", where != "comment")
        return

    if kind == "empty_file":
        data = rng.choice([b"", b"\n", b" \t\n\n", b"\xef\xbb\xbf", b"# nothing\n"])
        done(data, f"{data!r}", scen)
        return

    if kind == "env_overlay":
        env = rng.choice(["production", "test", "memory", "staging"])
        table, key = rng.choice(CONFIG_NUMERIC_KEYS)
        value = rng.choice(["1e-9", "inf", "nan", "1e300", str(INT64_MAX), '"x"', "-1", "0",
                            "[1, 2]", "{a = 1}"])
        if scen:
            # The harness applies the mode's overlay ("memory") of [domain].
            env = rng.choice(["memory", "test"])
        full = f"{dom}{env}.{table}"
        new_text, at = table_insert(text, full, f"{key} = {value}")
        case.env = None if scen else env
        must = value in ("inf", "nan", "1e300", str(INT64_MAX))
        if scen and env != "memory":
            must = False  # the test overlay is not applied in memory mode
        done(new_text, f"line {at}: [{full}] {key} = {value} (env {env})", must, [key])
        return

    if kind in ("fault_bad_ref", "fault_time_overflow"):
        facts = scenario_facts(text)
        started = facts["instances"] + facts["adds"]
        heal = facts["heal"]
        if kind == "fault_bad_ref":
            choice = rng.random()
            if choice < 0.5 or not facts["handlers"] or heal < 2:
                fk = rng.choice(FAULT_INSTANCE_KINDS)
                inst = rng.choice([started, started + 1, 63, 64, 1000, 1001, -1, INT64_MAX])
                block = f'[[faults]]\nkind = "{fk}"\nat_ms = 0\ninstance = {inst}\n'
                note = f"{fk} of instance {inst} ({started} started)"
                keys = ["instance"]
            else:
                handler = rng.choice(["NoSuchHandler", "", facts["handlers"][0] + "x"])
                block = (f'[[faults]]\nkind = "{rng.choice(FAULT_HANDLER_KINDS)}"\nat_ms = 0\n'
                         f'duration_ms = 1\nhandler = "{handler}"\n')
                note = f"handler_errors of handler {handler!r}"
                keys = ["handler"]
            done(text.rstrip("\n") + "\n\n" + block, note, True, keys)
            return
        variant = rng.randrange(6)
        new_text = text
        keys = ["at_ms", "duration_ms", "heal_at_ms"]
        if variant == 0:
            block = f'[[faults]]\nkind = "consumer_crash"\nat_ms = {INT64_MAX}\ninstance = 0\n'
            note = "consumer_crash at_ms = INT64_MAX"
        elif variant == 1:
            block = (f'[[faults]]\nkind = "consumer_crash"\nat_ms = {INT64_MAX - 10}\ninstance = 0\n'
                     f"restart_after_ms = 100\n")
            note = "at_ms + restart_after_ms overflows"
            keys.append("restart_after_ms")
        elif variant == 2:
            block = (f'[[faults]]\nkind = "broker_unavailable"\nat_ms = {INT64_MAX - 10}\n'
                     f"duration_ms = 100\n")
            note = "at_ms + duration_ms overflows"
        elif variant == 3:
            block = f'[[faults]]\nkind = "broker_unavailable"\nat_ms = 0\nduration_ms = {INT64_MAX}\n'
            note = "duration_ms = INT64_MAX"
        elif variant == 4:
            new_text, _ = table_insert(text, "phases", f"heal_at_ms = {INT64_MAX}")
            if "heal_at_ms" in text:
                new_text = re.sub(r"heal_at_ms = \d+", f"heal_at_ms = {INT64_MAX}", text)
            block = (f'[[faults]]\nkind = "broker_unavailable"\nat_ms = {INT64_MAX // 2}\n'
                     f"duration_ms = {INT64_MAX // 2}\n")
            note = "heal_at_ms = INT64_MAX and a fault window up to it"
        else:
            key = rng.choice(["at_ms", "interval_ms"])
            value = rng.choice([str(INT64_MAX), f"[0, {INT64_MAX}]", "1000000000001"])
            hits = [ln for ln in lines if ln.table == "workload" and ln.key == key]
            if hits:
                set_value(rows, hits[0].index, value)
                new_text = "\n".join(rows)
            else:
                new_text = re.sub(r"(\[\[workload\]\]\n)", rf"\1{key} = {value}\n", text, count=1)
            block = ""
            note = f"workload {key} = {value}"
            keys = [key]
        done(new_text.rstrip("\n") + "\n\n" + block, note, True, keys)
        return

    raise AssertionError(kind)


# ---------------------------------------------------------------- runs

@dataclass
class Run:
    name: str
    cmd: list[str]
    env: dict
    rc: int | None = None
    timed_out: bool = False
    output: str = ""
    seconds: float = 0.0
    outcome: str = ""


def run_one(run: Run, timeout: float, mem_mb: int, workdir: Path) -> None:
    out_path = workdir / f"{run.name}.out"
    cmd = run.cmd
    if mem_mb > 0:
        cmd = ["sh", "-c", f'ulimit -v {mem_mb * 1024}; exec "$@"', "sh"] + cmd
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             env=run.env, cwd=workdir, start_new_session=True)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            run.timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    run.seconds = time.monotonic() - t0
    run.rc = p.returncode
    size = out_path.stat().st_size
    with open(out_path, "rb") as f:
        if size <= 2 * KEEP_OUTPUT:
            raw = f.read()
        else:
            head = f.read(KEEP_OUTPUT)
            f.seek(size - KEEP_OUTPUT)
            raw = head + b"\n[... %d bytes left out ...]\n" % (size - 2 * KEEP_OUTPUT) + f.read()
    run.output = raw.decode("utf-8", "replace")
    out_path.unlink()


def classify(run: Run, case: Case, file_name: str, harness: bool) -> str:
    if run.timed_out:
        return "hang"
    if run.rc < 0 or run.rc >= 128 or CRASH_RE.search(run.output):
        return "crash"
    if run.rc == 0:
        return "ok"
    if harness and run.rc == 1 and "[CONFIG_" not in run.output:
        return "failed"  # loaded and ran; the mutated scenario's expectations failed
    located = (file_name in run.output or LOCATION_RE.search(run.output)
               or any(k and k in run.output for k in case.keys))
    return "rejected" if located else "unlocated"


SEVERITY = ["crash", "hang", "unlocated", "failed", "rejected", "ok"]
FLAGS = ["accepted", "check_vs_load"]


def execute(case: Case, args, work_root: Path) -> tuple[str, list[str], list[Run]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"{case.index:05d}-", dir=work_root))
    try:
        env = {k: v for k, v in os.environ.items() if k != "PROTEAN_ENV"}
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
        if case.target == "config":
            path = workdir / "domain.toml"
            path.write_bytes(case.data)
            check = [str(args.protean), "check", "--domain", str(path)]
            if case.env:
                check += ["--env", case.env]
            show_env = dict(env)
            if case.env:
                show_env["PROTEAN_ENV"] = case.env
            runs = [Run("check", check, env),
                    Run("show", [str(args.protean), "config", "show", "--domain", str(path)],
                        show_env)]
        else:
            suite = workdir / case.seed_file.parent.name
            suite.mkdir()
            for sibling in case.seed_file.parent.iterdir():  # payloads_file and the like
                if sibling.is_file() and sibling.suffix != ".toml":
                    shutil.copy(sibling, suite / sibling.name)
            path = suite / case.seed_file.name
            path.write_bytes(case.data)
            runs = [Run("run", [str(args.harness), "run", str(path), "--protean-env", "memory"],
                        env)]
        for run in runs:
            run_one(run, args.timeout, args.mem_mb, workdir)
            run.outcome = classify(run, case, path.name, case.target == "scenario")
        outcome = min((r.outcome for r in runs), key=SEVERITY.index)
        flags = []
        if case.target == "config":
            if runs[0].rc == 0 and runs[1].outcome not in ("ok", "hang", "crash"):
                flags.append("check_vs_load")
            refused = runs[0].rc == 2 or runs[1].rc != 0
        else:
            refused = runs[0].outcome not in ("ok", "failed")
        if case.must_reject and not refused:
            flags.append("accepted")
        return outcome, flags, runs
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def keep(case: Case, outcome: str, flags: list[str], runs: list[Run], out: Path) -> None:
    for label in ([outcome] if outcome in ("crash", "hang", "unlocated") else []) + flags:
        d = out / label / f"{case.index:05d}-{case.kind}"
        d.mkdir(parents=True, exist_ok=True)
        name = "domain.toml" if case.target == "config" else case.seed_file.name
        (d / name).write_bytes(case.data)
        with open(d / "runs.txt", "w", encoding="utf-8") as f:
            f.write(f"kind: {case.kind}\nseed file: {case.seed_file.relative_to(ROOT)}\n"
                    f"mutation: {case.note}\nmust be refused: {case.must_reject}\n"
                    f"outcome: {outcome} {' '.join(flags)}\n")
            for r in runs:
                env = f"PROTEAN_ENV={r.env['PROTEAN_ENV']} " if "PROTEAN_ENV" in r.env else ""
                f.write(f"\n$ {env}{' '.join(r.cmd)}\n# exit {r.rc}"
                        f"{' (timed out)' if r.timed_out else ''}, {r.seconds:.2f} s, {r.outcome}\n")
                f.write(r.output if len(r.output) < 20000 else r.output[:20000] + "\n[...]\n")


# ---------------------------------------------------------------- main

def seed_files() -> tuple[list[Path], list[Path]]:
    try:
        listed = subprocess.run(["git", "-C", str(ROOT), "ls-files"], check=True,
                                capture_output=True, text=True).stdout.split("\n")
        files = [ROOT / p for p in listed if p]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in ROOT.rglob("*.toml")
                 if not any(part.startswith(("build", ".")) or part == "reports"
                            for part in p.relative_to(ROOT).parts)]
    configs = sorted(p for p in files if p.name == "domain.toml" and p.is_file())
    scenarios = sorted(p for p in files if p.suffix == ".toml" and p.is_file()
                       and p.relative_to(ROOT).parts[0] == "scenarios")
    return configs, scenarios


def make_case(i: int, kind: str, args, configs, scenarios) -> Case:
    rng = random.Random(f"{args.seed}:{i}")
    targets = KINDS[kind][0]
    target = rng.choice(targets)
    seed_file = rng.choice(configs if target == "config" else scenarios)
    case = Case(i, kind, target, seed_file)
    mutate(case, seed_file.read_text(encoding="utf-8"), rng)
    return case


def table(counts: dict, kinds: list[str]) -> str:
    cols = ["inputs", "ok", "rejected", "failed", "unlocated", "crash", "hang"] + FLAGS
    width = max(len(k) for k in kinds + ["total"]) + 2
    lines = ["kind".ljust(width) + "".join(c.rjust(max(len(c) + 2, 8)) for c in cols)]
    total = {c: 0 for c in cols}
    for k in kinds:
        row = counts.get(k, {})
        for c in cols:
            total[c] += row.get(c, 0)
        lines.append(k.ljust(width) + "".join(str(row.get(c, 0)).rjust(max(len(c) + 2, 8))
                                              for c in cols))
    lines.append("-" * len(lines[0]))
    lines.append("total".ljust(width) + "".join(str(total[c]).rjust(max(len(c) + 2, 8))
                                                 for c in cols))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build", help="where app/protean and "
                    "harness/protean-harness are (default build)")
    ap.add_argument("--count", type=int, default=5000, help="inputs to generate (default 5000)")
    ap.add_argument("--seed", type=int, default=1, help="generation seed (default 1)")
    ap.add_argument("--out", default="reports/hostile", help="folder for the kept inputs and "
                    "the summary (default reports/hostile; emptied first)")
    ap.add_argument("--jobs", type=int, default=2, help="inputs run at once (default 2)")
    ap.add_argument("--timeout", type=float, default=10, help="seconds per command (default 10)")
    ap.add_argument("--mem-mb", type=int, default=2048, help="address-space limit per command "
                    "in MiB (ulimit -v; default 2048, 0: none; use 0 under ASan)")
    ap.add_argument("--kinds", help="comma-separated subset of the mutation kinds")
    ap.add_argument("--list-kinds", action="store_true", help="print the kinds and exit")
    args = ap.parse_args()

    if args.list_kinds:
        for k, (targets, weight) in KINDS.items():
            print(f"{k:22} {'/'.join(targets):16} weight {weight}")
        return 0
    build = Path(args.build_dir)
    if not build.is_absolute():
        build = Path.cwd() / build
    args.protean = build / "app" / "protean"
    args.harness = build / "harness" / "protean-harness"
    for b in (args.protean, args.harness):
        if not os.access(b, os.X_OK):
            print(f"hostile_inputs: {b} not built", file=sys.stderr)
            return 2
    kinds = list(KINDS)
    if args.kinds:
        kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            print(f"hostile_inputs: unknown kinds {unknown}; see --list-kinds", file=sys.stderr)
            return 2
    configs, scenarios = seed_files()
    if not configs or not scenarios:
        print("hostile_inputs: no domain.toml or scenario files found", file=sys.stderr)
        return 2
    out = Path(args.out)
    if not out.is_absolute():
        out = Path.cwd() / out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    master = random.Random(args.seed)
    weights = [KINDS[k][1] for k in kinds]
    plan = master.choices(kinds, weights=weights, k=args.count)

    counts: dict = {}
    runs_total = {"commands": 0, "seconds": 0.0}
    lock = threading.Lock()
    done_n = [0]
    t0 = time.monotonic()
    work_root = Path(tempfile.mkdtemp(prefix="protean-hostile-"))
    print(f"hostile_inputs: {args.count} inputs (seed {args.seed}) from {len(configs)} "
          f"domain.toml and {len(scenarios)} scenario files, {args.jobs} jobs, "
          f"{args.timeout:g} s per command", file=sys.stderr)

    def task(i: int) -> None:
        case = make_case(i, plan[i], args, configs, scenarios)
        outcome, flags, runs = execute(case, args, work_root)
        with lock:
            row = counts.setdefault(case.kind, {})
            row["inputs"] = row.get("inputs", 0) + 1
            row[outcome] = row.get(outcome, 0) + 1
            for fl in flags:
                row[fl] = row.get(fl, 0) + 1
            runs_total["commands"] += len(runs)
            runs_total["seconds"] += sum(r.seconds for r in runs)
            if outcome in ("crash", "hang", "unlocated") or flags:
                keep(case, outcome, flags, runs, out)
                print(f"  {outcome:9} {' '.join(flags):14} #{i} {case.kind} "
                      f"({case.seed_file.relative_to(ROOT)}: {case.note[:80]})", file=sys.stderr)
            done_n[0] += 1
            if done_n[0] % 500 == 0:
                print(f"  [{done_n[0]}/{args.count}] {time.monotonic() - t0:.0f} s",
                      file=sys.stderr)

    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for f in [pool.submit(task, i) for i in range(args.count)]:
                f.result()
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    took = time.monotonic() - t0

    shown = [k for k in KINDS if k in counts]
    text = table(counts, shown)
    header = (f"hostile inputs: {args.count} (seed {args.seed}), {runs_total['commands']} "
              f"commands, {args.jobs} jobs, timeout {args.timeout:g} s, took {took:.0f} s\n"
              f"command: python3 ci/hostile_inputs.py --build-dir {args.build_dir} --count "
              f"{args.count} --seed {args.seed} --jobs {args.jobs}\n")
    print(header + text)
    (out / "summary.txt").write_text(header + text + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(
        {"count": args.count, "seed": args.seed, "seconds": round(took, 1),
         "commands": runs_total["commands"], "kinds": counts}, indent=2) + "\n",
        encoding="utf-8")
    bad = sum(row.get("crash", 0) + row.get("hang", 0) for row in counts.values())
    if bad:
        print(f"hostile_inputs: {bad} input(s) crashed or hung: {out}/crash, {out}/hang",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
