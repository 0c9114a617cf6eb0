#include "lekhika/testing/fake_provider.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <thread>

#ifndef LEKHIKA_FAKE_PROVIDER_BINARY
#error "LEKHIKA_FAKE_PROVIDER_BINARY must name the fake-provider executable"
#endif

namespace lekhika::testing {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

struct easy_deleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads the child's first line ("listening on <port>") within `timeout`.
std::string read_first_line(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = steady::now() + timeout;
  while (line.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buffer[256];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child exited
    line.append(buffer, static_cast<std::size_t>(n));
  }
  return line;
}

fake_provider_stats::counts counts_of(const json& value) {
  fake_provider_stats::counts c;
  c.requests = value.value("requests", std::int64_t{0});
  c.completed = value.value("completed", std::int64_t{0});
  c.aborted = value.value("aborted", std::int64_t{0});
  c.errors = value.value("errors", std::int64_t{0});
  return c;
}

}  // namespace

fake_provider_process::fake_provider_process(fake_provider_options options) {
  std::vector<std::string> args{LEKHIKA_FAKE_PROVIDER_BINARY,
                                "--port",
                                "0",
                                "--host",
                                "127.0.0.1",
                                "--threads",
                                std::to_string(options.threads),
                                "--exit-on-stdin-close"};
  if (!options.require_auth) args.emplace_back("--no-auth");
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  int in_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("fake provider: pipe failed");
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("fake provider: pipe failed");
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec.
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    // Hold none of the test's sockets open: a client socket the test closes must really close.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  if (pid_ < 0) {
    ::close(out_pipe[0]);
    close_fd(stdin_fd_);
    throw std::runtime_error("fake provider: fork failed");
  }
  const std::string line = read_first_line(out_pipe[0], options.start_timeout);
  ::close(out_pipe[0]);
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) == 0) {
    try {
      const int port = std::stoi(line.substr(prefix.size()));
      if (port > 0 && port < 65536) port_ = static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
      port_ = 0;
    }
  }
  if (port_ == 0) {
    stop();
    throw std::runtime_error("fake provider did not start (" LEKHIKA_FAKE_PROVIDER_BINARY
                             "); it printed: '" +
                             line + "'");
  }
}

fake_provider_process::~fake_provider_process() { stop(); }

void fake_provider_process::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const auto deadline = steady::now() + std::chrono::seconds{5};
    bool reaped = false;
    while (steady::now() < deadline) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{2});
    }
    if (!reaped) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = -1;
  }
  close_fd(stdin_fd_);
}

std::string fake_provider_process::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string fake_provider_process::admin(const std::string& method, const std::string& path,
                                         const std::string& body) const {
  std::unique_ptr<CURL, easy_deleter> easy{curl_easy_init()};
  if (!easy) throw std::runtime_error("fake provider: curl_easy_init failed");
  const std::string url = base_url() + path;
  std::string response;
  curl_easy_setopt(easy.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 10000L);
  if (method != "GET") {
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(easy.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &response);
  const CURLcode code = curl_easy_perform(easy.get());
  if (code != CURLE_OK) {
    throw std::runtime_error("fake provider " + method + " " + path + ": " +
                             curl_easy_strerror(code));
  }
  long status = 0;
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    throw std::runtime_error("fake provider " + method + " " + path + ": HTTP " +
                             std::to_string(status) + " " + response);
  }
  return response;
}

fake_provider_stats fake_provider_process::stats() const {
  fake_provider_stats s;
  s.raw = json::parse(admin("GET", "/_stats"));
  const auto totals = counts_of(s.raw);
  s.requests = totals.requests;
  s.completed = totals.completed;
  s.aborted = totals.aborted;
  s.errors = totals.errors;
  s.active = s.raw.value("active", std::int64_t{0});
  s.protocol_errors = s.raw.value("protocol_errors", std::int64_t{0});
  if (auto it = s.raw.find("by_model"); it != s.raw.end() && it->is_object()) {
    for (const auto& [model, value] : it->items()) s.by_model[model] = counts_of(value);
  }
  if (auto it = s.raw.find("by_status"); it != s.raw.end() && it->is_object()) {
    for (const auto& [status, value] : it->items()) {
      s.by_status[std::stoi(status)] = value.get<std::int64_t>();
    }
  }
  return s;
}

void fake_provider_process::reset() const { (void)admin("POST", "/_reset"); }

json fake_provider_process::log(std::size_t limit, std::uint64_t since) const {
  std::string path = "/_log?since=" + std::to_string(since);
  if (limit > 0) path += "&limit=" + std::to_string(limit);
  return json::parse(admin("GET", path));
}

json fake_provider_process::configure(const json& defaults) const {
  return json::parse(admin("POST", "/_config", defaults.dump()));
}

bool fake_provider_process::wait_until(const std::function<bool(const fake_provider_stats&)>& done,
                                       std::chrono::milliseconds timeout) const {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    if (done(stats())) return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

}  // namespace lekhika::testing
