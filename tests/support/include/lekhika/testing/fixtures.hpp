#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace lekhika::testing {

/// The Lekhika fixtures folder: $LEKHIKA_FIXTURES_DIR, else the one configured at build time;
/// nullopt when neither exists (tests then GTEST_SKIP with a clear message).
[[nodiscard]] std::optional<std::filesystem::path> fixtures_dir();

/// Reads and parses `<fixtures_dir>/<name>`; fails the test when it cannot.
[[nodiscard]] nlohmann::json load_fixture(const std::string& name);

/// The repository's own folder (for examples/).
[[nodiscard]] std::filesystem::path source_dir();

/// Reads and parses a JSON file; fails the test when it cannot.
[[nodiscard]] nlohmann::json load_json_file(const std::filesystem::path& path);

}  // namespace lekhika::testing

/// Skips the current test when the fixtures folder is absent.
#define LEKHIKA_REQUIRE_FIXTURES()                                               \
  do {                                                                           \
    if (!::lekhika::testing::fixtures_dir())                                     \
      GTEST_SKIP() << "Lekhika fixtures not found: set LEKHIKA_FIXTURES_DIR to " \
                      "shared/fixtures/lekhika";                                 \
  } while (false)
