// A generator of hostile domain.toml files: nesting 100,000 levels deep,
// huge, tiny, non-finite and overflowing numbers in every duration and count
// key, random bytes, mutated valid files, long strings and keys. Each one goes
// through the loader, `protean check` and `protean config show`; each must end
// with a verdict (exit 0, 1 or 2 with a message), never a crash or a hang. A
// watchdog aborts the run (naming the case) if one takes longer than 20 s
// (120 s under a sanitizer, which runs the parser several times slower).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "app/check_command.h"
#include "app/config_command.h"
#include "core/config/domain_config.h"
#include "core/runtime/prng.h"
#include "tests/config/binary_util.h"
#include "tests/config/test_util.h"

namespace protean::cli {
namespace {

using config::testing::TempDir;

struct Hostile {
  std::string category;
  std::string name;
  std::string text;
  bool must_fail = false;  // a value no key may take, or a file past a bound
};

std::string Repeat(std::string_view unit, size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (size_t i = 0; i < times; ++i) out += unit;
  return out;
}

constexpr size_t kDeep = 100000;

void AddDeep(std::vector<Hostile>& out) {
  const std::vector<std::pair<std::string, std::string>> deep = {
      {"dotted key", Repeat("a.", kDeep) + "z = 1\n"},
      {"dotted key in [server]", "[server]\n" + Repeat("a.", kDeep) + "z = 1\n"},
      {"dotted key in an overlay", "[production]\n" + Repeat("a.", kDeep) + "z = 1\n"},
      {"header", "[" + Repeat("a.", kDeep) + "z]\n"},
      {"array of tables", "[[" + Repeat("a.", kDeep) + "z]]\n"},
      {"inline tables", "x = " + Repeat("{a = ", kDeep) + "1" + Repeat("}", kDeep) + "\n"},
      {"arrays", "x = " + Repeat("[", kDeep) + Repeat("]", kDeep) + "\n"},
      {"arrays of inline tables", "x = " + Repeat("[{a = ", kDeep) + "1" + Repeat("}]", kDeep)},
      {"unclosed arrays", "x = " + Repeat("[", kDeep)},
      {"quoted dotted key", Repeat("\"a\".", kDeep) + "z = 1\n"},
      {"subscription table", "[server.subscriptions.A]\n" + Repeat("b.", kDeep) + "c = 1\n"},
      {"handler table", "[handlers.A]\nstream = \"s\"\n" + Repeat("b.", kDeep) + "c = 1\n"},
  };
  for (const auto& [name, text] : deep) out.push_back({"deep nesting", name, text, true});
}

// Every duration and count key, as (table header, key).
const std::vector<std::pair<std::string, std::string>>& NumericKeys() {
  static const std::vector<std::pair<std::string, std::string>> keys = {
      {"", "command_default_timeout"},
      {"", "snapshot_threshold"},
      {"[server]", "drain_timeout"},
      {"[server]", "workers"},
      {"[server]", "worker_threads"},
      {"[server]", "tick_interval"},
      {"[server]", "messages_per_tick"},
      {"[server.dlq]", "retention_hours"},
      {"[server.dlq]", "alert_threshold"},
      {"[server.dlq]", "check_interval_seconds"},
      {"[server.health]", "port"},
      {"[server.stream_subscription]", "claim_idle_seconds"},
      {"[server.stream_subscription]", "retry_delay_seconds"},
      {"[server.stream_subscription]", "retry_backoff_max_seconds"},
      {"[server.stream_subscription]", "retry_jitter"},
      {"[server.stream_subscription]", "blocking_timeout_ms"},
      {"[server.stream_subscription]", "max_retries"},
      {"[server.stream_subscription]", "handler_timeout_seconds"},
      {"[server.stream_subscription]", "circuit_breaker_threshold"},
      {"[server.stream_subscription]", "circuit_breaker_reset_seconds"},
      {"[server.stream_subscription]", "retention_maxlen"},
      {"[server.event_store_subscription]", "position_update_interval"},
      {"[server.subscriptions.A]", "dlq_retention_hours"},
      {"[server.subscriptions.A]", "dlq_alert_threshold"},
      {"[server.profiles.p]", "messages_per_tick"},
      {"[databases.default]\nprovider = \"memory\"", "pool_size"},
      {"[databases.default]\nprovider = \"memory\"", "max_overflow"},
      {"[databases.default]\nprovider = \"memory\"", "pool_recycle"},
      {"[databases.default]\nprovider = \"memory\"", "pool_timeout"},
      {"[caches.default]\nprovider = \"memory\"", "TTL"},
      {"[brokers.default]\nprovider = \"inline\"", "max_connections"},
      {"[brokers.default]\nprovider = \"inline\"", "socket_timeout"},
      {"[handlers.A]\nstream = \"s\"", "fail_first"},
      {"[handlers.A]\nstream = \"s\"", "duration_ms"},
  };
  return keys;
}

void AddNumbers(std::vector<Hostile>& out) {
  const std::vector<std::string> values = {"1e-9",
                                           "inf",
                                           "-inf",
                                           "nan",
                                           "1e300",
                                           "-1e300",
                                           "-1",
                                           "0",
                                           "9223372036854775807",
                                           "-9223372036854775808",
                                           "1e19",
                                           "99999999999999999999",
                                           "\"5\"",
                                           "[1, 2]",
                                           "{ a = 1 }",
                                           "true",
                                           "1979-05-27",
                                           "0x7fffffffffffffff",
                                           "1_000_000_000_000"};
  // Values no duration or count key accepts: non-finite, overflowing, out of
  // any range, or not a number.
  const std::vector<std::string> never = {"inf",
                                          "-inf",
                                          "nan",
                                          "1e300",
                                          "-1e300",
                                          "9223372036854775807",
                                          "-9223372036854775808",
                                          "1e19",
                                          "99999999999999999999",
                                          "\"5\"",
                                          "{ a = 1 }",
                                          "true",
                                          "1979-05-27",
                                          "0x7fffffffffffffff"};
  for (const auto& [header, key] : NumericKeys()) {
    for (const std::string& value : values) {
      const std::string body =
          header.empty() ? key + " = " + value + "\n" : header + "\n" + key + " = " + value + "\n";
      bool must_fail = std::find(never.begin(), never.end(), value) != never.end();
      must_fail |= value == "[1, 2]" && key != "duration_ms";  // [lo, hi] is a duration_ms
      out.push_back({"numbers", key + " = " + value, body, must_fail});
    }
  }
}

void AddRandom(std::vector<Hostile>& out) {
  Prng prng(20260101);
  for (int i = 0; i < 40; ++i) {
    std::string text(static_cast<size_t>(prng.UniformInt(1, 65536)), '\0');
    for (char& c : text) c = static_cast<char>(prng.UniformInt(0, 255));
    out.push_back({"random bytes", "random " + std::to_string(i), std::move(text)});
  }
  const std::string valid = config::testing::ReadFile(
      PROTEAN_SOURCE_DIR "/tests/config/fixtures/protean_full/domain.toml");
  const std::string specials = "[]{}=\".,#'\\\n\t${|}";
  for (int i = 0; i < 60; ++i) {
    std::string text = valid;
    const int64_t edits = prng.UniformInt(1, 8);
    for (int64_t e = 0; e < edits; ++e) {
      const size_t at =
          static_cast<size_t>(prng.UniformInt(0, static_cast<int64_t>(text.size()) - 1));
      text[at] = specials[static_cast<size_t>(
          prng.UniformInt(0, static_cast<int64_t>(specials.size()) - 1))];
    }
    out.push_back({"mutated valid file", "mutation " + std::to_string(i), std::move(text)});
  }
}

void AddLarge(std::vector<Hostile>& out) {
  const size_t mib = size_t{1} << 20;
  out.push_back({"large", "3 MiB string", "s = \"" + std::string(3 * mib, 'x') + "\"\n"});
  out.push_back({"large", "3 MiB key", std::string(3 * mib, 'k') + " = 1\n"});
  out.push_back({"large", "5 MiB comment", "# " + std::string(5 * mib, 'c') + "\n", true});
  out.push_back({"large", "200k keys", [] {
                   std::string text = "[custom]\n";
                   for (int i = 0; i < 200000; ++i) text += "k" + std::to_string(i) + " = 1\n";
                   return text;
                 }()});
  out.push_back({"large", "nested defaults",
                 "[custom]\nv = \"" + Repeat("${A|", 100000) + "x" + Repeat("}", 100000) + "\"\n"});
  out.push_back({"large", "many unresolved variables",
                 "[custom]\nv = \"" + Repeat("${NOPE_", 1) + Repeat("x", 1000) + "}" +
                     Repeat("${B}", 100000) + "\"\n"});
  out.push_back({"large", "1M-item array", "[custom]\na = [" + Repeat("1,", 1000000) + "]\n"});
  out.push_back({"odd bytes", "NUL bytes", std::string("debug = true\n\0\0\0[server]\n", 25)});
  out.push_back({"odd bytes", "BOM and CRLF", "\xEF\xBB\xBF[server]\r\ndrain_timeout = 5\r\n"});
  out.push_back({"odd bytes", "unicode keys", "[custom]\n\"\xF0\x9F\x92\xA5\" = 1\nclé = 2\n"});
  out.push_back({"odd bytes", "invalid utf-8", "[custom]\nv = \"\xC3\x28\"\n"});
  out.push_back(
      {"odd bytes", "unterminated string", "[custom]\nv = \"\"\"" + std::string(1000, 'x')});
}

// Aborts the process (naming the case) when a case runs past its bound: a
// hang is a failure, not a test that never ends.
class Watchdog {
 public:
  Watchdog() : thread_([this] { Watch(); }) {}
  ~Watchdog() {
    done_ = true;
    thread_.join();
  }
  void Start(const std::string& name) {
    std::snprintf(name_, sizeof(name_), "%s", name.c_str());
    started_ = Now();
  }

 private:
  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void Watch() {
    while (!done_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (Now() - started_.load() > kHangMs) {
        std::fprintf(stderr, "hostile_files_test: case \"%s\" hung for %lld s\n", name_,
                     static_cast<long long>(kHangMs / 1000));
        std::abort();
      }
    }
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  static constexpr int64_t kHangMs = 120000;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  static constexpr int64_t kHangMs = 120000;
#else
  static constexpr int64_t kHangMs = 20000;
#endif
#else
  static constexpr int64_t kHangMs = 20000;
#endif
  std::atomic<bool> done_{false};
  std::atomic<int64_t> started_{Now()};
  char name_[200] = {};
  std::thread thread_;
};

TEST(HostileFilesTest, EveryFileGetsAVerdictWithoutCrashingOrHanging) {
  std::vector<Hostile> files;
  AddDeep(files);
  AddNumbers(files);
  AddRandom(files);
  AddLarge(files);
  ASSERT_GE(files.size(), 700u);

  TempDir dir;
  Watchdog watchdog;
  std::map<std::string, std::map<int, int>> verdicts;  // category -> exit code -> files
  for (size_t i = 0; i < files.size(); ++i) {
    const Hostile& file = files[i];
    watchdog.Start(file.category + ": " + file.name.substr(0, 100));
    const std::filesystem::path folder = dir.MakeDir("f" + std::to_string(i));
    dir.Write(folder.filename() / "domain.toml", file.text);

    CheckCommandOptions check;
    check.domain = folder.string();
    check.env = "";
    check.env_lookup = config::testing::FakeEnv();
    std::ostringstream check_out, check_err;
    const int check_exit = RunCheck(check, check_out, check_err);
    const bool load_failed = !check_err.str().empty();  // only a load error goes to stderr
    EXPECT_TRUE(check_exit == 0 || check_exit == 1 || check_exit == 2) << file.name;
    if (load_failed || file.must_fail) {
      EXPECT_EQ(check_exit, 2) << file.category << ": " << file.name;
    }

    ConfigShowOptions show;
    show.domain = folder.string();
    show.env = "";
    show.env_lookup = config::testing::FakeEnv();
    std::ostringstream show_out, show_err;
    const int show_exit = RunConfigShow(show, show_out, show_err);
    // config show fails exactly when the configuration does not load.
    EXPECT_EQ(show_exit == 2, load_failed) << file.category << ": " << file.name;
    if (show_exit == 2) {
      EXPECT_NE(show_err.str().find("error: "), std::string::npos) << file.name;
    } else {
      EXPECT_EQ(show_exit, 0) << file.name;
    }
    ++verdicts[file.category][check_exit];
  }
  std::cout << "hostile files: " << files.size() << "\n";
  int rejected = 0;
  for (const auto& [category, by_exit] : verdicts) {
    std::cout << "  " << category << ":";
    for (const auto& [code, n] : by_exit) {
      std::cout << " exit " << code << " x" << n;
      if (code == 2) rejected += n;
    }
    std::cout << "\n";
  }
  ::testing::Test::RecordProperty("files", static_cast<int>(files.size()));
  ::testing::Test::RecordProperty("rejected", rejected);
  EXPECT_GT(rejected, 500);
}

TEST(HostileFilesTest, TheBinaryRefusesDeepFilesInEveryCommand) {
  // The shapes that overflowed the stack of `config show` (100,000 levels).
  std::vector<Hostile> deep;
  AddDeep(deep);
  TempDir dir;
  for (size_t i = 0; i < deep.size(); i += 3) {
    const std::filesystem::path folder = dir.MakeDir("d" + std::to_string(i));
    dir.Write(folder.filename() / "domain.toml", deep[i].text);
    const std::string domain = " --domain " + testing::ShellQuote(folder.string());
    for (const std::string command : {"config show", "check", "server --run-for 0.1"}) {
      testing::RunResult run = testing::RunBinary(command + domain, "", 20);
      EXPECT_EQ(run.exit_code, 2) << command << " on " << deep[i].name << ": " << run.err;
      EXPECT_NE(run.err.find("nest deeper than 64 levels [CONFIG_PARSE_ERROR]"), std::string::npos)
          << command << ": " << run.err;
    }
  }
}

}  // namespace
}  // namespace protean::cli
