#pragma once
// Building libpq connection strings from a configured database_uri.
//
// Both libpq spellings are accepted: a URI ("postgresql://user@host:5433/db",
// "postgres://...", optionally with "?key=value&...") and a key/value string
// ("host=127.0.0.1 port=5433 dbname=db"). Parameters are added without
// breaking either form: for a URI they are appended to the query string
// (percent-encoded, with '?' or '&' as needed), for a key/value string as
// quoted `key='value'` pairs. A parameter the caller sets replaces one of the
// same name, except `options`, whose server options are appended to those
// already there, so `-c search_path=...` never drops a user's own `-c`.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace protean {

struct PgConnParams {
  // connect_timeout, in whole seconds rounded up (libpq treats 1 as 2).
  std::optional<Duration> connect_timeout;
  // Server options, e.g. {"search_path", "message_store,public"} becomes
  // "-c search_path=message_store,public" in `options`.
  std::vector<std::pair<std::string, std::string>> server_settings;
  // Other parameters (application_name, ...), set as given.
  std::vector<std::pair<std::string, std::string>> params;
};

// kInvalidArgument for an empty string, a URI with a '#' fragment or a
// malformed key/value string.
Result<std::string> BuildPgConninfo(std::string_view database_uri, const PgConnParams& params);

}  // namespace protean
