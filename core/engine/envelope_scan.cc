// The fast path of ReadEnvelope (envelope_json.cc): Protean's envelope read
// straight off the text, without building a py_json document of the
// metadata. It reads only the shape Protean's Message.to_dict() and this
// engine's encoder write: the nested metadata (headers and envelope
// present), each model's known keys with plain values. Anything else (an
// unknown or repeated key, a string with an escape or a non-ASCII byte, a
// float where an int goes, a time pydantic would read some other way, a
// version written as a string, flat metadata, a checksum that does not
// match) makes it decline, and the general path decides, with its error
// message where there is one. So where it answers, it answers what the
// general path would: tests/unit/wire_format_test.cc holds the two to the
// same result on every fixture and on mutations of them, and the
// message_decoder fuzz target on whatever it finds.

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "core/engine/internal/envelope.h"
#include "core/internal/iso_time.h"
#include "core/internal/py_json.h"

namespace protean::envelope_internal {
namespace {

// Reads one object's members in order; each value is read by the caller
// through the scanner's typed reads, which fail (decline) on anything else.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  bool AtEnd() {
    SkipWs();
    return pos_ == s_.size();
  }
  bool Consume(char c) {
    SkipWs();
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // Iterates the members of the object that starts here: `member(key)` reads
  // the value and returns false to decline. Keys are plain strings.
  template <class OnMember>
  bool Object(OnMember&& member) {
    if (!Consume('{')) return false;
    if (Consume('}')) return true;
    do {
      std::string_view key;
      if (!PlainString(&key) || !Consume(':') || !member(key)) return false;
    } while (Consume(','));
    return Consume('}');
  }
  bool Null() { return Word("null"); }
  // A JSON string of plain ASCII (no escape, no control character).
  bool PlainString(std::string_view* out) {
    if (!Consume('"')) return false;
    const size_t start = pos_;
    pos_ = py_json::PlainRunEnd(s_, pos_);
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    *out = s_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }
  // str | None into `out` ("" for null).
  bool StrOrNull(std::string* out) {
    if (Null()) {
      out->clear();
      return true;
    }
    std::string_view v;
    if (!PlainString(&v)) return false;
    out->assign(v);
    return true;
  }
  bool Bool(bool* out) {
    if (Word("true")) {
      *out = true;
      return true;
    }
    if (Word("false")) {
      *out = false;
      return true;
    }
    return false;
  }
  // An int as JSON writes it (no fraction, no exponent, not -0) within int64.
  bool Int(int64_t* out) {
    SkipWs();
    const size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    const size_t digits = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    const size_t n = pos_ - digits;
    if (n == 0 || (n > 1 && s_[digits] == '0')) return false;
    if (pos_ < s_.size() && (s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E')) return false;
    const std::string_view text = s_.substr(start, pos_ - start);
    if (text == "-0") return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && ptr == text.data() + text.size();
  }
  bool IntOrNull(std::optional<int64_t>* out) {
    if (Null()) {
      out->reset();
      return true;
    }
    int64_t v = 0;
    if (!Int(&v)) return false;
    *out = v;
    return true;
  }
  // datetime | None written as ISO-8601 text; `text` (may be null) gets it.
  bool TimeOrNull(std::optional<TimePoint>* out, std::string* text) {
    if (Null()) {
      out->reset();
      if (text != nullptr) text->clear();
      return true;
    }
    std::string_view v;
    if (!PlainString(&v)) return false;
    *out = internal::ParseIsoTime(v);
    if (!*out) return false;  // pydantic's other readings: the general path
    if (text != nullptr) text->assign(v);
    return true;
  }
  // The bytes of the object or array that starts here, for a caller that
  // parses them itself: matched brackets outside strings, nothing checked.
  // Nested deeper than kSpanDepthMax: declined (the general path applies
  // py_json's depth limit to the whole envelope, not to this part alone).
  bool Span(std::string_view* out) {
    constexpr int kSpanDepthMax = 64;
    SkipWs();
    const size_t start = pos_;
    int depth = 0;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') {
        // To the closing quote: plain runs whole, an escape's next byte skipped.
        while ((pos_ = py_json::PlainRunEnd(s_, pos_)) < s_.size() && s_[pos_] != '"') {
          pos_ += s_[pos_] == '\\' ? 2 : 1;
        }
        if (pos_ >= s_.size()) return false;
        ++pos_;
      } else if (c == '{' || c == '[') {
        if (++depth > kSpanDepthMax) return false;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) {
          *out = s_.substr(start, pos_ - start);
          return true;
        }
      } else if (depth == 0) {
        return false;  // not an object or array
      }
    }
    return false;
  }

 private:
  void SkipWs() {
    while (pos_ < s_.size() && py_json::IsWhitespace(s_[pos_])) ++pos_;
  }
  bool Word(std::string_view w) {
    SkipWs();
    if (s_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// Each key once: `seen` has a bit per key of the model.
bool First(uint32_t* seen, int bit) {
  if ((*seen & (1u << bit)) != 0) return false;
  *seen |= 1u << bit;
  return true;
}

bool ScanTraceParent(Scanner& s, std::optional<TraceParent>* out) {
  if (s.Null()) {
    out->reset();
    return true;
  }
  TraceParent tp;
  uint32_t seen = 0;
  const bool ok = s.Object([&](std::string_view key) {
    if (key == "trace_id") return First(&seen, 0) && s.StrOrNull(&tp.trace_id);
    if (key == "parent_id") return First(&seen, 1) && s.StrOrNull(&tp.parent_id);
    if (key == "sampled") return First(&seen, 2) && s.Bool(&tp.sampled);
    return false;
  });
  if (!ok) return false;
  *out = std::move(tp);
  return true;
}

bool ScanHeaders(Scanner& s, MessageMetadata* m) {
  uint32_t seen = 0;
  return s.Object([&](std::string_view key) {
    if (key == "id") return First(&seen, 0) && s.StrOrNull(&m->id);
    if (key == "time") {
      std::optional<TimePoint> t;
      return First(&seen, 1) && s.TimeOrNull(&t, &m->time);
    }
    if (key == "type") return First(&seen, 2) && s.StrOrNull(&m->type);
    if (key == "stream") return First(&seen, 3) && s.StrOrNull(&m->stream);
    if (key == "traceparent") return First(&seen, 4) && ScanTraceParent(s, &m->traceparent);
    if (key == "idempotency_key") return First(&seen, 5) && s.StrOrNull(&m->idempotency_key);
    if (key == "deadline") return First(&seen, 6) && s.TimeOrNull(&m->deadline, nullptr);
    return false;
  });
}

bool ScanDomain(Scanner& s, MessageMetadata* m) {
  if (s.Null()) {
    m->has_domain = false;
    return true;
  }
  uint32_t seen = 0;
  return s.Object([&](std::string_view key) {
    if (key == "fqn") return First(&seen, 0) && s.StrOrNull(&m->fqn);
    if (key == "kind") return First(&seen, 1) && s.StrOrNull(&m->kind);
    if (key == "origin_stream") return First(&seen, 2) && s.StrOrNull(&m->origin_stream);
    if (key == "stream_category") return First(&seen, 3) && s.StrOrNull(&m->stream_category);
    if (key == "version") return First(&seen, 4) && s.Int(&m->version);
    if (key == "sequence_id") return First(&seen, 5) && s.StrOrNull(&m->sequence_id);
    if (key == "asynchronous") return First(&seen, 6) && s.Bool(&m->asynchronous);
    if (key == "expected_version") return First(&seen, 7) && s.IntOrNull(&m->expected_version);
    if (key == "priority") return First(&seen, 8) && s.Int(&m->priority);
    if (key == "correlation_id") return First(&seen, 9) && s.StrOrNull(&m->correlation_id);
    if (key == "causation_id") return First(&seen, 10) && s.StrOrNull(&m->causation_id);
    return false;
  });
}

bool ScanEnvelopeModel(Scanner& s, MessageMetadata* m) {
  if (s.Null()) return true;  // no checksum to verify
  uint32_t seen = 0;
  return s.Object([&](std::string_view key) {
    if (key == "specversion") {
      std::string_view v;
      if (!First(&seen, 0) || !s.PlainString(&v)) return false;
      m->specversion.assign(v);
      return true;
    }
    if (key == "checksum") return First(&seen, 1) && s.StrOrNull(&m->checksum);
    return false;
  });
}

bool ScanEventStore(Scanner& s, MessageMetadata* m) {
  if (s.Null()) return true;
  uint32_t seen = 0;
  return s.Object([&](std::string_view key) {
    if (key == "global_position") return First(&seen, 0) && s.IntOrNull(&m->global_position);
    if (key == "position") return First(&seen, 1) && s.IntOrNull(&m->position);
    return false;
  });
}

// extensions: an object, written sorted and compact as the general path does.
bool ScanExtensions(Scanner& s, MessageMetadata* m) {
  std::string_view text;
  if (!s.Span(&text)) return false;
  if (text.front() == '{' && py_json::DumpSortedPlain(text, &m->extensions)) return true;
  Result<py_json::Value> ext = py_json::Parse(text);
  if (!ext.ok() || !ext->is_object()) return false;
  m->extensions = py_json::DumpSorted(*ext);
  return true;
}

// The metadata object that starts here (an envelope's or a row's).
bool ScanMetadataObject(Scanner& s, MessageMetadata* meta) {
  uint32_t seen = 0;
  const bool ok = s.Object([&](std::string_view key) {
    if (key == "headers") return First(&seen, 0) && ScanHeaders(s, meta);
    if (key == "envelope") return First(&seen, 1) && ScanEnvelopeModel(s, meta);
    if (key == "domain") return First(&seen, 2) && ScanDomain(s, meta);
    if (key == "event_store") return First(&seen, 3) && ScanEventStore(s, meta);
    if (key == "extensions") return First(&seen, 4) && ScanExtensions(s, meta);
    return false;
  });
  // No domain key: no domain, as a null one (the general path's Object("domain")).
  if ((seen & 0b100) == 0) meta->has_domain = false;
  // Without headers or envelope the general path builds them from the top level.
  return ok && (seen & 0b11) == 0b11;
}

// The payload text is a JSON object, and its checksum is the envelope's
// where the envelope holds one. Plain payloads are read off the text; the
// rest are parsed.
bool VerifiedPayload(std::string_view text, const MessageMetadata& meta) {
  std::string_view own;
  std::string checksum;
  return ReadPayload(text, "data", &own, &checksum).ok() &&
         (meta.checksum.empty() || checksum == meta.checksum);
}

}  // namespace

bool ScanEnvelope(std::string_view text, MessageMetadata* meta, std::string* payload) {
  Scanner s(text);
  uint32_t seen = 0;
  std::string_view data;
  const bool ok = s.Object([&](std::string_view key) {
    if (key == "data") return First(&seen, 0) && s.Span(&data);  // an object: checked below
    if (key == "metadata") return First(&seen, 1) && ScanMetadataObject(s, meta);
    return false;  // headers, envelope, position...: read by the general path
  });
  if (!ok || !s.AtEnd() || seen != 0b11 || !VerifiedPayload(data, *meta)) return false;
  payload->assign(data);
  return true;
}

bool ScanRowMetadata(const EventMessage& row, MessageMetadata* meta) {
  Scanner s(row.metadata);
  if (!ScanMetadataObject(s, meta) || !s.AtEnd()) return false;
  // Protean's _build_event_store_meta: the row's positions replace metadata.event_store.
  meta->global_position = row.global_position;
  meta->position = row.position;
  return VerifiedPayload(row.data, *meta);
}

}  // namespace protean::envelope_internal
