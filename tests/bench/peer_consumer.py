#!/usr/bin/python3
"""A Protean-shaped Redis Streams consumer, the Python peer of the engine's
consume benchmark (tests/bench/redis_benchmark.cc, peer_python_consume_ack_msgs_per_s).

It does per batch what Protean's StreamSubscription does with redis-py
(Debian's python3-redis; run it with /usr/bin/python3): XREADGROUP of the
consumer's own pending entries first (id "0"), then of new ones (">", with a
blocking timeout), each entry's one field "data" parsed as JSON (Protean's
envelope: {"data": ..., "metadata": ...}), the handler called, and one XACK
per message. Protean does more per message (pydantic models, the checksum),
so this is an upper bound of Protean's rate.

Usage: peer_consumer.py --url URL --stream S --group G --count N
                        [--batch 100] [--block-ms 100] [--timeout 60]
The group must exist. Stops after N messages; prints one JSON line
{"handled": N, "seconds": S, "msgs_per_s": R}. Exit 1 when --timeout passes
first ("waited T s for N messages acked: got a of N" on stderr), 2 on a bad
argument or a missing redis module.
"""

import argparse
import json
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--stream", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--consumer", default="peer-1")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--block-ms", type=int, default=100)
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()
    try:
        import redis  # Debian's python3-redis
    except ImportError as e:
        print(f"peer_consumer: {e} (install python3-redis; run with /usr/bin/python3)",
              file=sys.stderr)
        return 2
    r = redis.Redis.from_url(a.url)
    handled = 0

    def handle(message):
        # The handler: a no-op that looks at the payload, as the engine's does.
        return message["data"] is not None

    started = time.monotonic()
    deadline = started + a.timeout
    while handled < a.count:
        if time.monotonic() > deadline:
            print(f"peer_consumer: waited {a.timeout:g} s for {a.count} messages acked: "
                  f"got {handled} of {a.count}", file=sys.stderr)
            return 1
        # Pending first (a restart's or a lost reply's entries), then new ones.
        batch = r.xreadgroup(a.group, a.consumer, {a.stream: "0"}, count=a.batch)
        entries = batch[0][1] if batch else []
        if not entries:
            batch = r.xreadgroup(a.group, a.consumer, {a.stream: ">"}, count=a.batch,
                                 block=a.block_ms)
            entries = batch[0][1] if batch else []
        for entry_id, fields in entries:
            message = json.loads(fields[b"data"])
            handle(message)
            r.xack(a.stream, a.group, entry_id)
            handled += 1
    seconds = time.monotonic() - started
    print(json.dumps({"handled": handled, "seconds": seconds, "msgs_per_s": handled / seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
