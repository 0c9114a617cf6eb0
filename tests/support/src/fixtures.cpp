#include "lekhika/testing/fixtures.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lekhika::testing {

std::optional<std::filesystem::path> fixtures_dir() {
  if (const char* env = std::getenv("LEKHIKA_FIXTURES_DIR"); env != nullptr && *env != '\0') {
    std::filesystem::path p{env};
    if (std::filesystem::is_directory(p)) return p;
    return std::nullopt;
  }
  std::filesystem::path configured{LEKHIKA_DEFAULT_FIXTURES_DIR};
  if (std::filesystem::is_directory(configured)) return configured;
  return std::nullopt;
}

std::filesystem::path source_dir() { return std::filesystem::path{LEKHIKA_SOURCE_DIR}; }

nlohmann::json load_json_file(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded()) ADD_FAILURE() << "not JSON: " << path;
  return parsed;
}

nlohmann::json load_fixture(const std::string& name) {
  auto dir = fixtures_dir();
  if (!dir) {
    ADD_FAILURE() << "fixtures folder not found";
    return nullptr;
  }
  return load_json_file(*dir / name);
}

}  // namespace lekhika::testing
