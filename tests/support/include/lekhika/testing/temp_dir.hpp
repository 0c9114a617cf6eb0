#pragma once

#include <filesystem>

namespace lekhika::testing {

/// A fresh directory under the system temp folder, removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace lekhika::testing
