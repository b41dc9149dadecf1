#pragma once
// A Lua script run with EVALSHA: loaded with SCRIPT LOAD on first use, and
// sent whole with EVAL when the server answers NOSCRIPT (restart, SCRIPT
// FLUSH), which caches it again. A script runs atomically on the server, but
// Redis does not undo the writes it made before a failing call: scripts are
// written so that the last write is the one that commits (see RedisBroker).
//
// Thread-safety: Eval may be called from any thread, each with its own
// connection; the cached SHA1 is guarded by a mutex.

#include <string>
#include <string_view>
#include <vector>

#include "adapters/real/redis_connection.h"
#include "core/mutex.h"
#include "core/status.h"

namespace protean {

class RedisScript {
 public:
  // `name` appears in error messages ("MoveToDlq script").
  RedisScript(std::string name, std::string source)
      : name_(std::move(name)), source_(std::move(source)) {}

  // Runs the script; an ERROR reply (including one the script returned) is
  // mapped by RedisStatus.
  Result<RedisReply> Eval(RedisConnection& connection, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args);

  // Tests: pretend the script was loaded under `sha` (a wrong one makes
  // the next Eval take the NOSCRIPT path).
  void SetShaForTesting(std::string sha) {
    MutexLock lock(&mu_);
    sha_ = std::move(sha);
  }

 private:
  Result<std::string> Sha(RedisConnection& connection);
  RedisArgs Build(std::string_view verb, std::string_view body,
                  const std::vector<std::string>& keys, const std::vector<std::string>& args) const;

  const std::string name_;
  const std::string source_;
  Mutex mu_;
  std::string sha_ PROTEAN_GUARDED_BY(mu_);  // empty until loaded
};

}  // namespace protean
