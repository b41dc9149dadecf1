#include "app/envelope.h"

#include <nlohmann/json.hpp>

namespace protean::cli {

std::string EnvelopeJson(std::string_view status, nlohmann::json data, nlohmann::json diagnostics) {
  nlohmann::json envelope{{"version", kEnvelopeVersion},
                          {"status", status},
                          {"data", std::move(data)},
                          {"diagnostics", std::move(diagnostics)}};
  return envelope.dump(2, ' ', true) + "\n";
}

std::string EnvelopeJson(std::string_view status, nlohmann::json data) {
  return EnvelopeJson(status, std::move(data), nlohmann::json::array());
}

}  // namespace protean::cli
