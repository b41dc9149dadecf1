#pragma once
// Parses one [handlers.H] table of TOML text as a scripted handler spec,
// for the scripted-handler tests (windows, decisions).

#include <string>

#include <toml++/toml.h>

#include "core/config/scripted_handler_spec.h"

namespace protean::testing {

inline ScriptedHandlerSpec ParseSpec(const std::string& text) {
  const toml::table t = toml::parse(text);
  config::TableReader r(t, "domain.toml", "handlers.H");
  return ParseScriptedHandler(r, "H");
}

}  // namespace protean::testing
