// End to end: the real `protean-harness proxy --config FILE --control ...`
// binary, its port lines, a connection through it, the control API, and a
// clean exit 0 on SIGTERM. Every wait is bounded; the child is killed if it
// does not stop.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include <httplib.h>

#include <gtest/gtest.h>

#include "tests/harness/proxy_test_util.h"

extern char** environ;

namespace protean::harness::proxy {
namespace {

using namespace protean::harness::proxy::testing;  // NOLINT(build/namespaces)

// A child process with its stdout on a pipe.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    out_ = Fd(fds[0]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  bool started() const { return pid_ > 0; }

  // The next stdout line, or "" after `timeout`.
  std::string ReadLine(Millis timeout = Millis(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !Readable(out_.get(), left)) return "";
      char chunk[512];
      const ssize_t n = ::read(out_.get(), chunk, sizeof(chunk));
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // The exit code after `sig`, or -1 if it has not exited within `timeout`.
  int SignalAndWait(int sig, Millis timeout = Millis(5000)) {
    ::kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(Millis(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  Fd out_;
  std::string buffer_;
};

std::string WriteConfig(const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "proxy_command_test_" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << text;
  return path;
}

int PortIn(const std::string& line, const std::regex& pattern) {
  std::smatch m;
  return std::regex_search(line, m, pattern) ? std::stoi(m[1]) : 0;
}

TEST(ProxyCommandTest, RunsFromAConfigFileUntilSigterm) {
  Upstream upstream;
  const std::string config = WriteConfig(R"({"proxies": [{"name": "redis", "upstream": ")" +
                                         upstream.address() + R"("}]})");
  Child child({PROTEAN_HARNESS_PATH, "proxy", "--config", config, "--control", "127.0.0.1:0"});
  ASSERT_TRUE(child.started());
  const std::string line = child.ReadLine();
  const int port = PortIn(line, std::regex("^proxy redis listening on 127\\.0\\.0\\.1:(\\d+) -> " +
                                           upstream.address() + "$"));
  ASSERT_GT(port, 0) << "unexpected first line: " << line;
  const std::string control_line = child.ReadLine();
  const int control =
      PortIn(control_line, std::regex("^control listening on 127\\.0\\.0\\.1:(\\d+)$"));
  ASSERT_GT(control, 0) << "unexpected second line: " << control_line;

  Pair p = OpenPair(port, upstream);
  ASSERT_TRUE(p.ok());
  EXPECT_GE(RoundTripMs(p), 0.0);
  httplib::Client api("127.0.0.1", control);
  api.set_read_timeout(5, 0);
  auto res = api.Post("/proxies/redis/toxics",
                      R"({"type": "latency", "attributes": {"latency": 200}})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_GE(RoundTripMs(p), 200.0);

  EXPECT_EQ(child.SignalAndWait(SIGTERM), 0);
  EXPECT_TRUE(ReadToEnd(p.client.get(), Millis(2000)).end != End::kTimeout);
  std::remove(config.c_str());
}

TEST(ProxyCommandTest, BadConfigExitsTwo) {
  const std::string config = WriteConfig(R"({"proxies": [{"name": "x"}]})");
  Child child({PROTEAN_HARNESS_PATH, "proxy", "--config", config});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.SignalAndWait(0), 2);  // signal 0: only wait
  std::remove(config.c_str());
}

}  // namespace
}  // namespace protean::harness::proxy
