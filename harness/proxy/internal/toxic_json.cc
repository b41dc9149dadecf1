#include "harness/proxy/internal/toxic_json.h"

#include <array>
#include <string_view>
#include <vector>

namespace protean::harness::proxy::internal {
namespace {

struct Attribute {
  std::string_view key;
  int64_t Toxic::*field;
};

// Toxiproxy's attribute names per toxic type.
std::vector<Attribute> AttributesOf(ToxicType type) {
  switch (type) {
    case ToxicType::kLatency:
      return {{"latency", &Toxic::latency_ms}, {"jitter", &Toxic::jitter_ms}};
    case ToxicType::kBandwidth:
      return {{"rate", &Toxic::rate_kbps}};
    case ToxicType::kTimeout:
    case ToxicType::kResetPeer:
      return {{"timeout", &Toxic::timeout_ms}};
    case ToxicType::kSlicer:
      return {{"average_size", &Toxic::average_size},
              {"size_variation", &Toxic::size_variation},
              {"delay", &Toxic::delay_us}};
    case ToxicType::kLimitData:
      return {{"bytes", &Toxic::bytes}};
    case ToxicType::kDown:
      return {};
    case ToxicType::kLostAck:
      return {{"applied", &Toxic::applied}};
  }
  return {};
}

// Toxiproxy's "<type>_<stream>"; `down` has no stream: "down".
std::string DefaultName(const Toxic& t) {
  if (t.type == ToxicType::kDown) return "down";
  return std::string(ToxicTypeName(t.type)) + "_" + std::string(StreamName(t.stream));
}

Status Bad(const std::string& what) { return Status::InvalidArgument(what); }

Status ReadAttributes(const nlohmann::json& attributes, Toxic* t) {
  if (!attributes.is_object()) return Bad("toxic " + t->name + ": attributes must be an object");
  const std::vector<Attribute> known = AttributesOf(t->type);
  for (const auto& [key, value] : attributes.items()) {
    const Attribute* a = nullptr;
    for (const Attribute& k : known) {
      if (k.key == key) a = &k;
    }
    if (a == nullptr) {
      return Bad("toxic " + t->name + ": unknown attribute '" + key + "' for type " +
                 std::string(ToxicTypeName(t->type)));
    }
    if (!value.is_number_integer()) {
      return Bad("toxic " + t->name + ": attribute " + key + " must be an integer");
    }
    t->*(a->field) = value.get<int64_t>();
  }
  return Status::Ok();
}

}  // namespace

Status ToxicFromJson(const nlohmann::json& json, Toxic* out, const Toxic* base) {
  if (!json.is_object()) return Bad("a toxic must be a JSON object");
  for (const auto& [key, value] : json.items()) {
    if (key != "name" && key != "type" && key != "stream" && key != "toxicity" &&
        key != "attributes") {
      return Bad("toxic: unknown key '" + key + "'");
    }
  }
  Toxic t = base != nullptr ? *base : Toxic{};
  auto string_at = [&](const char* key, std::string* value) -> Status {
    if (!json.contains(key)) return Status::Ok();
    if (!json[key].is_string()) return Bad(std::string("toxic: ") + key + " must be a string");
    *value = json[key].get<std::string>();
    return Status::Ok();
  };
  std::string type, stream, name;
  PROTEAN_RETURN_IF_ERROR(string_at("type", &type));
  PROTEAN_RETURN_IF_ERROR(string_at("stream", &stream));
  PROTEAN_RETURN_IF_ERROR(string_at("name", &name));
  if (base == nullptr && type.empty()) return Bad("toxic: type is required");
  if (!type.empty()) {
    const auto parsed = ParseToxicType(type);
    if (!parsed) return Bad("toxic: unknown type '" + type + "'");
    if (base != nullptr && *parsed != base->type) return Bad("toxic: type cannot change");
    t.type = *parsed;
  }
  if (!stream.empty()) {
    const auto parsed = ParseStream(stream);
    if (!parsed) return Bad("toxic: stream must be upstream or downstream, not '" + stream + "'");
    t.stream = *parsed;
  }
  if (base != nullptr && !name.empty() && name != base->name) {
    return Bad("toxic: name cannot change");
  }
  if (base == nullptr) t.name = !name.empty() ? name : DefaultName(t);
  if (json.contains("toxicity")) {
    if (!json["toxicity"].is_number())
      return Bad("toxic " + t.name + ": toxicity must be a number");
    t.toxicity = json["toxicity"].get<double>();
  }
  if (json.contains("attributes")) PROTEAN_RETURN_IF_ERROR(ReadAttributes(json["attributes"], &t));
  PROTEAN_RETURN_IF_ERROR(ValidateToxic(t));
  *out = std::move(t);
  return Status::Ok();
}

nlohmann::json ToxicToJson(const Toxic& toxic) {
  nlohmann::json attributes = nlohmann::json::object();
  for (const Attribute& a : AttributesOf(toxic.type))
    attributes[std::string(a.key)] = toxic.*(a.field);
  return {{"name", toxic.name},
          {"type", std::string(ToxicTypeName(toxic.type))},
          {"stream", std::string(StreamName(toxic.stream))},
          {"toxicity", toxic.toxicity},
          {"attributes", attributes}};
}

}  // namespace protean::harness::proxy::internal
