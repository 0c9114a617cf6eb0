// fake-provider: OpenAI, Anthropic and Gemini wire formats over loopback, with injectable
// latency and faults, for tests, benchmarks and demos. See tests/fake_provider/README.md.

#include <sys/resource.h>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "server.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: fake-provider [--port N] [--host ADDR] [--threads N] [--no-auth]\n"
    "                     [--latency-ms N] [--ttft-ms N] [--words N] [--chunks N]\n"
    "                     [--exit-on-stdin-close]\n"
    "Prints 'listening on <port>' once it accepts connections; SIGINT/SIGTERM stop it.\n";

bool parse_int(std::string_view text, int min, int max, int& out) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return false;
  if (value < min || value > max) return false;
  out = value;
  return true;
}

// Thousands of concurrent streams need thousands of descriptors.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  fake_provider::server_options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    const std::string_view value = has_value ? std::string_view{argv[i + 1]} : std::string_view{};
    int number = 0;
    auto numeric = [&](int min, int max) {
      if (!has_value || !parse_int(value, min, max, number)) {
        std::cerr << "fake-provider: " << arg << " needs a number in [" << min << ", " << max
                  << "]\n"
                  << kUsage;
        std::exit(2);
      }
      ++i;
      return number;
    };
    if (arg == "--port") {
      options.port = static_cast<std::uint16_t>(numeric(0, 65535));
    } else if (arg == "--host" && has_value) {
      options.host = std::string{value};
      ++i;
    } else if (arg == "--threads") {
      options.threads = numeric(1, 64);
    } else if (arg == "--latency-ms") {
      options.answer_defaults.latency_ms = numeric(0, 86400000);
    } else if (arg == "--ttft-ms") {
      options.answer_defaults.ttft_ms = numeric(0, 86400000);
    } else if (arg == "--words") {
      options.answer_defaults.words = numeric(0, 1000000);
    } else if (arg == "--chunks") {
      options.answer_defaults.chunks = numeric(1, 100000);
    } else if (arg == "--no-auth") {
      options.require_auth = false;
    } else if (arg == "--exit-on-stdin-close") {
      options.exit_on_stdin_close = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "fake-provider: unknown argument " << arg << "\n" << kUsage;
      return 2;
    }
  }

  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  try {
    fake_provider::server server{options};
    std::printf("listening on %u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "fake-provider: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
