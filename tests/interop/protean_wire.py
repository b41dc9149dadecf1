#!/usr/bin/python3
"""Protean's wire rules, re-implemented in Python from Protean's own source.

A stand-in for a Python Protean producer and consumer in protean-cpp's
interop tests (tests/interop/interop_test.cc). It needs only the standard
library and Debian's python3-redis, and deliberately shares no code with the
C++ decoder: every rule below is read off proteanhq/protean v0.17 (ca7379c),
with the file:line it comes from.

Commands (each prints one JSON document on stdout):
  ping URL                    check that Redis answers (and python3-redis is there).
  produce URL STREAM          XADD messages exactly as Message.to_dict() +
                              RedisBroker._publish write them; prints what each
                              entry must decode to.
  verify URL STREAM           read every entry of STREAM and deserialize it with
                              Protean's rules (strict: extra keys and wrong
                              types fail, as Protean's pydantic models do).
  dlq-write URL STREAM        XADD a DLQ entry to STREAM:dlq as Protean's
                              StreamSubscription.move_to_dlq writes it.
  dlq-verify URL DLQ_STREAM   list DLQ_STREAM with Protean's _parse_dlq_entry
                              and check that each listed entry replays to a
                              message Protean can deserialize.
  consume URL STREAM GROUP N  read N entries of STREAM through consumer group GROUP
                              and XACK them, as Protean's StreamSubscription does
                              (XGROUP CREATE ... 0 MKSTREAM, XREADGROUP >, XACK); prints
                              the message ids it handled.
  list-produce URL STREAM     RPUSH messages onto the list STREAM as Protean's
                              RedisPubSubBroker._publish writes them; prints their ids
                              and identifiers.
  list-consume URL STREAM GROUP N
                              read up to N messages of the list STREAM for GROUP with
                              RedisPubSubBroker._get_next (GET, LINDEX, INCR of
                              position:STREAM:GROUP) and deserialize each with
                              Protean's rules; prints what it read and the position.
  position-record FQN CATEGORY POSITION
                              the message Protean's EventStoreSubscription.write_position
                              hands to the store for FQN on CATEGORY: stream, type,
                              data and metadata as psycopg2.Json serialises them.
  position-read FILE          FILE holds {"type", "data", "metadata"} (texts) of the
                              last message of a position stream; prints the position
                              Protean's fetch_last_position reads from it.
  dumps FILE                  per line of FILE (a JSON text): json.dumps with
                              sort_keys and compact separators, and its sha256.
  floats FILE                 per line of FILE (a C99 hex float): repr(float).
"""

import copy
import datetime
import hashlib
import json
import sys
import uuid

UTC = datetime.timezone.utc


class DeserializationError(Exception):
    pass


# --- eventing.py ------------------------------------------------------------

def compute_checksum(payload):
    # MessageEnvelope.compute_checksum, eventing.py:66-70
    json_data = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(json_data.encode("utf-8")).hexdigest()


# The pydantic models (extra="forbid", value_object.py:71-72) and their fields.
STR, INT, BOOL, TIME, DICT = "str", "int", "bool", "datetime", "dict"
TRACEPARENT = {"trace_id": (STR, False), "parent_id": (STR, False), "sampled": (BOOL, False)}
HEADERS = {  # MessageHeaders, eventing.py:122-147
    "id": (STR, True), "time": (TIME, True), "type": (STR, True), "stream": (STR, True),
    "traceparent": ("traceparent", True), "idempotency_key": (STR, True),
    "deadline": (TIME, True),
}
DOMAIN = {  # DomainMeta, eventing.py:182-222
    "fqn": (STR, True), "kind": (STR, True), "origin_stream": (STR, True),
    "stream_category": (STR, True), "version": (INT, False), "sequence_id": (STR, True),
    "asynchronous": (BOOL, False), "expected_version": (INT, True), "priority": (INT, False),
    "correlation_id": (STR, True), "causation_id": (STR, True),
}
ENVELOPE = {"specversion": (STR, False), "checksum": (STR, True)}  # eventing.py:56-60
EVENT_STORE = {"global_position": (INT, True), "position": (INT, True)}  # eventing.py:225-230
METADATA = {  # Metadata, eventing.py:233-251
    "headers": ("headers", False), "envelope": ("envelope", True), "domain": ("domain", True),
    "event_store": ("event_store", True), "extensions": (DICT, False),
}
MODELS = {"traceparent": TRACEPARENT, "headers": HEADERS, "domain": DOMAIN,
          "envelope": ENVELOPE, "event_store": EVENT_STORE}


def _check(path, value, kind, nullable):
    if value is None:
        if not nullable:
            raise DeserializationError(f"{path}: None is not allowed")
        return
    if kind in MODELS:
        _check_model(path, value, MODELS[kind])
    elif kind == STR and not isinstance(value, str):
        raise DeserializationError(f"{path}: not a string")
    elif kind == INT and (isinstance(value, bool) or not isinstance(value, int)):
        raise DeserializationError(f"{path}: not an int")
    elif kind == BOOL and not isinstance(value, bool):
        raise DeserializationError(f"{path}: not a bool")
    elif kind == DICT and not isinstance(value, dict):
        raise DeserializationError(f"{path}: not a dict")
    elif kind == TIME:
        if not isinstance(value, str):
            raise DeserializationError(f"{path}: not an ISO time")
        datetime.datetime.fromisoformat(value)


def _check_model(path, value, fields):
    if not isinstance(value, dict):
        raise DeserializationError(f"{path}: not an object")
    extra = set(value) - set(fields)
    if extra:
        raise DeserializationError(f"{path}: extra fields {sorted(extra)}")
    for name, (kind, nullable) in fields.items():
        if name in value:
            _check(f"{path}.{name}", value[name], kind, nullable)


def migrate_legacy_metadata(md):
    # Message._migrate_legacy_metadata, eventing.py:605-640
    if "fqn" not in md or "headers" in md:
        return
    md["headers"] = {"id": md.pop("id", None), "time": md.pop("timestamp", None),
                     "type": md.pop("type", None), "stream": md.pop("stream", None)}
    md["domain"] = {"fqn": md.pop("fqn", None), "kind": md.pop("kind", None),
                    "version": md.pop("version", None),
                    "sequence_id": md.pop("sequence_id", None),
                    "asynchronous": md.pop("asynchronous", True),
                    "origin_stream": md.pop("origin_stream", None)}
    md.pop("payload_hash", None)
    md["envelope"] = {"specversion": "1.0", "checksum": None}


def normalize_version(md):
    # Message._normalize_version, eventing.py:642-653
    domain = md.get("domain")
    if domain and isinstance(domain, dict):
        v = domain.get("version")
        if isinstance(v, str):
            domain["version"] = int(v.lstrip("vV"))


def deserialize(message):
    """Message.deserialize(message, validate=True), eventing.py:769-800."""
    try:
        md = message["metadata"]
        migrate_legacy_metadata(md)
        normalize_version(md)
        if "envelope" not in md:  # _build_envelope, :655-666
            env = message.get("envelope", {})
            md["envelope"] = {"specversion": env.get("specversion") or "1.0",
                              "checksum": env.get("checksum")}
        if "headers" not in md:  # _build_headers, :668-688
            h = message.get("headers", {})
            md["headers"] = {k: h.get(k, message.get(k)) for k in ("id", "time", "type", "stream")}
            md["headers"]["idempotency_key"] = h.get("idempotency_key", None)
            md["headers"]["deadline"] = h.get("deadline", None)
            if h.get("traceparent"):
                md["headers"]["traceparent"] = h["traceparent"]
        if "position" in message or "global_position" in message:  # :690-699
            md["event_store"] = {"position": message.get("position"),
                                 "global_position": message.get("global_position")}
        data = message["data"]
    except KeyError as e:
        raise DeserializationError(f"Missing required field {e}")
    except (TypeError, AttributeError, ValueError) as e:
        raise DeserializationError(str(e))
    if not isinstance(data, dict):
        raise DeserializationError("data: not a dict")
    _check_model("metadata", md, METADATA)
    envelope = md.get("envelope")
    if envelope and envelope.get("checksum"):  # :792-795, _validate_and_raise :702-720
        if compute_checksum(data) != envelope["checksum"]:
            raise DeserializationError("Message integrity validation failed - checksum mismatch")
    return {"data": data, "metadata": md}


def metadata_to_dict(headers, domain, extensions=None):
    """Metadata.to_dict(): every field of every model, in declaration order."""
    h = {k: headers.get(k) for k in HEADERS}
    d = {k: domain.get(k) for k in DOMAIN}
    return {"headers": h, "envelope": {"specversion": "1.0", "checksum": None}, "domain": d,
            "event_store": None, "extensions": extensions or {}}


def protean_message(payload, headers, domain, extensions=None):
    """Message.from_domain_object + to_dict (eventing.py:1115-1132, 542-547)."""
    md = metadata_to_dict(headers, domain, extensions)
    md["envelope"]["checksum"] = compute_checksum(payload)  # MessageEnvelope.build
    return {"data": payload, "metadata": md}


# --- adapters/broker/redis.py ----------------------------------------------

def client(url):
    import redis  # Debian's python3-redis
    return redis.Redis.from_url(url)


def publish(r, stream, message):
    # RedisBroker._publish, redis.py:243-247
    return r.xadd(stream, {"data": json.dumps(message or {})}).decode()


def deserialize_fields(fields):
    # RedisBroker._deserialize_message, redis.py:314-334
    data = None
    for key, value in fields.items():
        if key.decode() == "data":
            data = value
            break
    if data is None:
        return {}
    try:
        return json.loads(data.decode())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def parse_dlq_entry(dlq_stream, redis_id, fields):
    # RedisBroker._parse_dlq_entry, redis.py:670-691
    message = deserialize_fields(fields)
    if not message:
        return None
    dlq_meta = message.get("_dlq_metadata", {})
    return {"dlq_id": redis_id, "original_id": dlq_meta.get("original_id", redis_id),
            "stream": dlq_meta.get("original_stream", dlq_stream.removesuffix(":dlq")),
            "consumer_group": dlq_meta.get("consumer_group", ""), "payload": message,
            "failure_reason": dlq_meta.get("failure_reason", "unknown"),
            "failed_at": dlq_meta.get("failed_at"),
            "retry_count": int(dlq_meta.get("retry_count", 0)), "dlq_stream": dlq_stream}


# --- commands ----------------------------------------------------------------

def sample_messages():
    now = datetime.datetime(2026, 8, 21, 10, 0, 0, 123456, tzinfo=UTC)
    oid = "ord-" + uuid.uuid4().hex[:8]
    stream = f"ecommerce::order-{oid}"
    corr = uuid.uuid4().hex
    payloads = [
        {"order_id": oid, "customer": "Zoë Ångström, 日本語 😀", "amount": 12.5, "rate": 1e-05,
         "big": 10**20, "huge": 1e16, "tenth": 0.1, "neg_zero": -0.0, "whole": 3.0, "qty": 3,
         "items": [{"sku": "é-1", "price": 1234567.125, "tags": ["ä", None, True]}],
         "nested": {"z": 1, "a": {"y": [1.5, False]}}, "text": "tab\t\"quote\" \\ \u007f \u2028"},
        {"order_id": oid, "empty": {}, "list": [], "small": 5e-324, "max": 1.7976931348623157e308,
         "pi": 3.141592653589793, "exp": 1e22, "int_neg": -42},
        {"order_id": oid, "inf": float("inf"), "ninf": float("-inf"), "nan": float("nan")},
    ]
    out = []
    for i, payload in enumerate(payloads, start=1):
        headers = {"id": f"{stream}-{i}", "time": now.isoformat(), "type": "Ecommerce.OrderPlaced.v1",
                   "stream": stream,
                   "traceparent": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                                   "parent_id": "00f067aa0ba902b7", "sampled": True},
                   "idempotency_key": None, "deadline": None}
        domain = {"fqn": "ecommerce.order.OrderPlaced", "kind": "EVENT", "origin_stream": None,
                  "stream_category": "ecommerce::order", "version": 1, "sequence_id": str(i),
                  "asynchronous": True, "expected_version": i - 2 if i > 1 else None,
                  "priority": 0, "correlation_id": corr, "causation_id": f"{stream}-cmd"}
        out.append(protean_message(payload, headers, domain, {"tenant": "ü"}))
    # Commands with a deadline and a priority: one live, one already expired
    # (deadlines are absolute, so they are set from the real clock).
    wall = datetime.datetime.now(UTC)
    for suffix, deadline in (("", wall + datetime.timedelta(hours=1)),
                             ("-expired", wall - datetime.timedelta(hours=1))):
        cmd_headers = {"id": f"cmd-{oid}{suffix}", "time": now.isoformat(),
                       "type": "Ecommerce.PlaceOrder.v2",
                       "stream": f"ecommerce::order:command-{oid}", "traceparent": None,
                       "idempotency_key": "idem-1" + suffix, "deadline": deadline.isoformat()}
        cmd_domain = {"fqn": "ecommerce.order.PlaceOrder", "kind": "COMMAND",
                      "origin_stream": None, "stream_category": "ecommerce::order", "version": 2,
                      "sequence_id": None, "asynchronous": True, "expected_version": None,
                      "priority": -5, "correlation_id": corr, "causation_id": None}
        out.append(protean_message({"order_id": oid, "note": "naïve"}, cmd_headers, cmd_domain))
    # Legacy flat metadata with a "v1" version (test_legacy_metadata_migration.py).
    out.append({"data": {"order_id": oid}, "metadata": {
        "id": f"{stream}-legacy", "fqn": "ecommerce.order.OrderPlaced", "kind": "EVENT",
        "type": "Ecommerce.OrderPlaced.v1", "stream": stream, "version": "v1",
        "timestamp": "2026-01-19 09:57:49.404658+00:00", "sequence_id": "3.4",
        "asynchronous": True, "payload_hash": "2522249191255527024", "origin_stream": None}})
    return out


def expected(entry_id, message):
    decoded = deserialize(copy.deepcopy(message))
    md = decoded["metadata"]
    h, d = md["headers"], md["domain"] or {}
    return {"entry_id": entry_id, "id": h.get("id"), "type": h.get("type"), "time": h.get("time"),
            "stream": h.get("stream"), "traceparent": h.get("traceparent"),
            "idempotency_key": h.get("idempotency_key"),
            "deadline": (datetime.datetime.fromisoformat(h["deadline"]).astimezone(UTC).isoformat()
                         if h.get("deadline") else None),
            "fqn": d.get("fqn"), "kind": d.get("kind"), "version": d.get("version"),
            "sequence_id": d.get("sequence_id"), "asynchronous": d.get("asynchronous", True),
            "expected_version": d.get("expected_version"), "priority": d.get("priority", 0),
            "stream_category": d.get("stream_category"),
            "correlation_id": d.get("correlation_id"), "causation_id": d.get("causation_id"),
            "checksum": (md.get("envelope") or {}).get("checksum"),
            "computed_checksum": compute_checksum(message["data"]),
            "payload_json": json.dumps(message["data"]),
            "extensions": md.get("extensions", {})}


def cmd_produce(url, stream):
    r = client(url)
    return [expected(publish(r, stream, m), m) for m in sample_messages()]


def cmd_verify(url, stream):
    r = client(url)
    out = []
    for redis_id, fields in r.xrange(stream):
        entry = {"entry_id": redis_id.decode(), "fields": sorted(k.decode() for k in fields)}
        message = deserialize_fields(fields)
        try:
            msg = deserialize(message)
            md = msg["metadata"]
            checksum = (md.get("envelope") or {}).get("checksum")
            entry.update(ok=True, id=md["headers"].get("id"), type=md["headers"].get("type"),
                         headers=md["headers"], domain=md.get("domain"),
                         extensions=md.get("extensions", {}), checksum=checksum,
                         checksum_ok=checksum == compute_checksum(msg["data"]),
                         canonical=json.dumps(msg["data"], sort_keys=True, separators=(",", ":")))
        except DeserializationError as e:
            entry.update(ok=False, error=str(e))
        out.append(entry)
    return out


def cmd_dlq_write(url, stream):
    # StreamSubscription._create_dlq_message + broker.publish, stream_subscription.py:979-994, 942
    r = client(url)
    message = sample_messages()[0]
    payload = json.loads(json.dumps(message))  # as read back from the stream
    dlq_message = {**payload, "_dlq_metadata": {
        "original_stream": stream, "original_id": "1767225600000-0",
        "consumer_group": "ecommerce.handlers.OrderHandler",
        "consumer": "OrderHandler-host-42-a1b2c3",
        "failed_at": payload.get("metadata", {}).get("headers", {}).get("time"),
        "retry_count": 3}}
    dlq_id = publish(r, stream + ":dlq", dlq_message)
    return {"dlq_id": dlq_id, "expected": expected(dlq_id, message)}


def cmd_dlq_verify(url, dlq_stream):
    r = client(url)
    out = []
    for redis_id, fields in r.xrange(dlq_stream):
        entry = parse_dlq_entry(dlq_stream, redis_id.decode(), fields)
        if entry is None:
            out.append({"dlq_id": redis_id.decode(), "listed": False})
            continue
        payload = entry.pop("payload")
        payload.pop("_dlq_metadata", None)  # _dlq_replay, redis.py:636-639
        try:
            deserialize(payload)
            entry.update(listed=True, replay_ok=True)
        except DeserializationError as e:
            entry.update(listed=True, replay_ok=False, replay_error=str(e))
        out.append(entry)
    return out


def cmd_consume(url, stream, group, n):
    # StreamSubscription.initialize -> _ensure_group (redis.py:833-855), then
    # read_blocking -> XREADGROUP ">" and ack -> XACK (redis.py:249-273, 507-522).
    import redis
    r = client(url)
    try:
        r.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as e:
        if "BUSYGROUP" not in str(e):
            raise
    handled = []
    consumer = "OrderHandler-pyhost-4242-abcdef"
    while len(handled) < int(n):
        reply = r.xreadgroup(group, consumer, {stream: ">"}, count=1)
        if not reply:
            break
        for redis_id, fields in reply[0][1]:
            msg = deserialize(deserialize_fields(fields))
            handled.append(msg["metadata"]["headers"]["id"])
            r.xack(stream, group, redis_id)
    return handled


def list_messages():
    """Protean messages for the list: the samples that deserialize as they are."""
    out = []
    for m in sample_messages():
        try:
            deserialize(copy.deepcopy(m))
        except DeserializationError:
            continue
        if (m["metadata"].get("headers") or {}).get("deadline"):
            continue  # commands with deadlines: the expired one would be skipped, not handled
        out.append(m)
    return out


def cmd_list_produce(url, stream):
    # RedisPubSubBroker._publish, redis_pubsub.py:44-52
    r = client(url)
    out = []
    for m in list_messages():
        identifier = str(uuid.uuid4())
        r.rpush(stream, json.dumps((identifier, m)))
        decoded = deserialize(copy.deepcopy(m))
        out.append({"identifier": identifier, "id": decoded["metadata"]["headers"]["id"],
                    "payload_json": json.dumps(m["data"])})
    return out


def cmd_list_consume(url, stream, group, n):
    # RedisPubSubBroker._read -> _get_next, redis_pubsub.py:54-93
    r = client(url)
    position_key = f"position:{stream}:{group}"
    read = []
    for _ in range(int(n)):
        position = int(r.get(position_key) or 0)
        message_data = r.lindex(stream, position)
        if not message_data:
            break
        identifier, message = json.loads(message_data)
        r.incr(position_key)
        try:
            msg = deserialize(message)
            read.append({"identifier": identifier, "ok": True,
                         "id": msg["metadata"]["headers"]["id"],
                         "type": msg["metadata"]["headers"]["type"],
                         "checksum_ok": (msg["metadata"].get("envelope") or {}).get("checksum")
                         == compute_checksum(msg["data"])})
        except DeserializationError as e:
            read.append({"identifier": identifier, "ok": False, "error": str(e)})
    return {"read": read, "position": int(r.get(position_key) or 0)}


def cmd_position_record(fqn, category, position):
    # EventStoreSubscription.write_position, event_store_subscription.py:368-405,
    # through MessageDBStore._write -> MessageDB._write: data and metadata are
    # psycopg2.Json values, i.e. json.dumps texts.
    stream = f"position-{fqn}-{category}"
    metadata = {"headers": {"id": str(uuid.uuid4()), "type": "Read",
                            "time": datetime.datetime.now(UTC).isoformat(), "stream": stream},
                "domain": {"kind": "READ_POSITION", "origin_stream": category}}
    return {"id": str(uuid.uuid4()), "stream_name": stream, "type": "Read",
            "data": json.dumps({"position": int(position)}), "metadata": json.dumps(metadata)}


def cmd_position_read(path):
    # EventStoreSubscription.fetch_last_position: message["data"]["position"],
    # data being json.loads of the row (message_db client.read_last_message).
    with open(path, encoding="utf-8") as f:
        row = json.load(f)
    data = json.loads(row["data"])
    metadata = json.loads(row["metadata"]) if row.get("metadata") else None
    position: int = data["position"]
    return {"position": position, "type": row["type"],
            "kind": ((metadata or {}).get("domain") or {}).get("kind"),
            "header_type": ((metadata or {}).get("headers") or {}).get("type"),
            "origin_stream": ((metadata or {}).get("domain") or {}).get("origin_stream")}


def cmd_ping(url):
    return bool(client(url).ping())


def cmd_dumps(path):
    out = []
    with open(path, encoding="utf-8", errors="surrogatepass") as f:
        for line in f.read().split("\n"):
            if line:
                text = json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"))
                out.append({"dumps": text, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})
    return out


def cmd_floats(path):
    with open(path) as f:
        return [repr(float.fromhex(line)) for line in f.read().split() if line]


def main(argv):
    commands = {"ping": cmd_ping, "produce": cmd_produce, "verify": cmd_verify, "dlq-write": cmd_dlq_write,
                "dlq-verify": cmd_dlq_verify, "consume": cmd_consume,
                "list-produce": cmd_list_produce, "list-consume": cmd_list_consume,
                "position-record": cmd_position_record, "position-read": cmd_position_read,
                "dumps": cmd_dumps, "floats": cmd_floats}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(commands[argv[1]](*argv[2:]), sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
