#include "lekhika/persistence/artifact_files.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>
#include <utility>

namespace lekhika::persistence {

namespace {

namespace fs = std::filesystem;

/// Owns a POSIX file descriptor; closes it once.
class unique_fd {
 public:
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  /// Closes now and reports errors, which for a written file can mean lost data.
  [[nodiscard]] bool close() noexcept {
    const int fd = std::exchange(fd_, -1);
    return fd < 0 || ::close(fd) == 0;
  }

 private:
  int fd_;
};

/// Removes a temporary file unless released (after the rename made it the real file).
class temp_file_guard {
 public:
  explicit temp_file_guard(fs::path path) : path_(std::move(path)) {}
  temp_file_guard(const temp_file_guard&) = delete;
  temp_file_guard& operator=(const temp_file_guard&) = delete;
  ~temp_file_guard() {
    if (!path_.empty()) {
      std::error_code ignored;
      fs::remove(path_, ignored);
    }
  }
  void release() noexcept { path_.clear(); }

 private:
  fs::path path_;
};

[[nodiscard]] bool is_plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

[[nodiscard]] std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0x0f]);
  }
  return out;
}

// Unique enough that two writers of the same artifact never share a temporary file.
[[nodiscard]] std::string random_suffix() {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    std::random_device device;
    for (auto& b : bytes) b = static_cast<unsigned char>(device());
  }
  return to_hex(bytes.data(), bytes.size());
}

[[nodiscard]] failure io_failure(std::string_view what, const fs::path& path, int error) {
  return failure{"store_unavailable", std::string(what) + " '" + path.string() +
                                          "': " + std::system_category().message(error)};
}

[[nodiscard]] bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// Makes the rename itself durable; best effort, since not every file system supports it.
void sync_directory(const fs::path& dir) {
  unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) ::fsync(fd.get());
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // The one-shot EVP call owns no context, so there is no handle to leak.
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return to_hex(digest.data(), length);
}

result<artifact_record> write_artifact_file(const std::string& artifact_dir,
                                            const std::string& execution_id,
                                            const std::string& format, const std::string& file_name,
                                            const std::string& mime_type, std::string_view bytes,
                                            epoch_ms now) {
  try {
    // Both names become path components; anything else could escape the artifact folder.
    if (!is_plain_name(execution_id)) {
      return failure{"invalid_name", "the execution id is not a plain file name"};
    }
    if (!is_plain_name(file_name)) {
      return failure{"invalid_name", "the artifact file name is not a plain file name"};
    }
    const fs::path dir = fs::path(artifact_dir) / execution_id;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return failure{"store_unavailable",
                     "cannot create the artifact folder '" + dir.string() + "': " + ec.message()};
    }
    const fs::path final_path = dir / file_name;
    const fs::path temp_path = dir / (file_name + ".tmp-" + random_suffix());

    // Written to a temporary file and renamed, so a reader sees the old file or the whole new
    // one, never a half-written one.
    unique_fd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return io_failure("cannot create", temp_path, errno);
    temp_file_guard guard(temp_path);
    if (!write_all(fd.get(), bytes)) return io_failure("cannot write", temp_path, errno);
    if (::fsync(fd.get()) != 0) return io_failure("cannot flush", temp_path, errno);
    if (!fd.close()) return io_failure("cannot close", temp_path, errno);
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
      return io_failure("cannot rename into", final_path, errno);
    }
    guard.release();
    sync_directory(dir);

    artifact_record record;
    record.execution_id = execution_id;
    record.format = format;
    record.path = final_path.string();
    record.mime_type = mime_type;
    record.bytes = static_cast<std::int64_t>(bytes.size());
    record.sha256 = sha256_hex(bytes);
    record.created_at = now;
    return record;
  } catch (const std::exception& e) {
    return failure{"store_error", e.what()};
  }
}

result<std::string> read_artifact_file(const artifact_record& artifact) {
  try {
    const fs::path path(artifact.path);
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      const int error = errno;
      if (error == ENOENT || error == ENOTDIR) {
        return failure{"not_found", "the " + artifact.format + " artifact of execution '" +
                                        artifact.execution_id + "' is missing at '" +
                                        path.string() + "'"};
      }
      return io_failure("cannot open", path, error);
    }
    std::string content;
    struct stat info {};
    if (::fstat(fd.get(), &info) == 0 && info.st_size > 0) {
      content.reserve(static_cast<std::size_t>(info.st_size));
    }
    std::array<char, std::size_t{64} * 1024> buffer{};
    for (;;) {
      const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
      if (got < 0) {
        if (errno == EINTR) continue;
        return io_failure("cannot read", path, errno);
      }
      if (got == 0) break;
      content.append(buffer.data(), static_cast<std::size_t>(got));
    }
    return content;
  } catch (const std::exception& e) {
    return failure{"store_error", e.what()};
  }
}

}  // namespace lekhika::persistence
