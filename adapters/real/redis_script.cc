#include "adapters/real/redis_script.h"

#include "adapters/real/redis_reply.h"

namespace protean {

Result<std::string> RedisScript::Sha(RedisConnection& connection) {
  {
    MutexLock lock(&mu_);
    if (!sha_.empty()) return sha_;
  }
  auto loaded = connection.Command(RedisArgs{"SCRIPT", "LOAD"}.Add(source_));
  if (!loaded.ok()) {
    return Status(loaded.status().code(), name_ + ": " + loaded.status().message());
  }
  const auto sha = redis_internal::Text(loaded->get());
  if (!sha) return redis_internal::BadShape("SCRIPT LOAD", "the SHA1 is not a string");
  MutexLock lock(&mu_);
  sha_ = std::string(*sha);
  return sha_;
}

RedisArgs RedisScript::Build(std::string_view verb, std::string_view body,
                             const std::vector<std::string>& keys,
                             const std::vector<std::string>& args) const {
  RedisArgs command{verb, body};
  command.Add(static_cast<int64_t>(keys.size()));
  for (const std::string& key : keys) command.Add(key);
  for (const std::string& arg : args) command.Add(arg);
  return command;
}

Result<RedisReply> RedisScript::Eval(RedisConnection& connection,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  auto sha = Sha(connection);
  if (!sha.ok()) return sha.status();
  auto replies = connection.Pipeline({Build("EVALSHA", *sha, keys, args)});
  if (!replies.ok()) return replies.status();
  RedisReply reply = std::move(replies->front());
  if (RedisErrorContains(reply.get(), "NOSCRIPT")) {
    replies = connection.Pipeline({Build("EVAL", source_, keys, args)});
    if (!replies.ok()) return replies.status();
    reply = std::move(replies->front());
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    const Status status = RedisStatus(nullptr, reply.get(), "EVALSHA");
    return Status(status.code(), name_ + ": " + status.message());
  }
  return reply;
}

}  // namespace protean
