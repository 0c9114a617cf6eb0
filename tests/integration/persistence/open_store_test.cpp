#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "lekhika/persistence/store.hpp"
#include "lekhika/testing/temp_dir.hpp"

namespace {

namespace lp = lekhika::persistence;

// Restores the working directory even when an assertion fails.
class working_directory {
 public:
  explicit working_directory(const std::filesystem::path& to)
      : previous_(std::filesystem::current_path()) {
    std::filesystem::current_path(to);
  }
  working_directory(const working_directory&) = delete;
  working_directory& operator=(const working_directory&) = delete;
  ~working_directory() {
    std::error_code ignored;
    std::filesystem::current_path(previous_, ignored);
  }

 private:
  std::filesystem::path previous_;
};

TEST(OpenStore, PostgresFailuresNeverShowThePassword) {
  // Port 1 on loopback: refused at once, no network needed.
  for (const std::string url : {"postgres://admin:hunter2@127.0.0.1:1/lekhika",
                                "postgresql://admin:hunter2@127.0.0.1:1/lekhika?sslmode=disable",
                                "postgresql://admin@127.0.0.1:1/lekhika?password=hunter2",
                                "postgresql://admin:hunt%65r2@127.0.0.1:1/lekhika",
                                "POSTGRES://admin:hunter2@127.0.0.1:1/x"}) {
    auto opened = lp::open_store(url);
    ASSERT_FALSE(opened.ok()) << url;
    EXPECT_EQ(opened.error().code, "store_unavailable") << opened.error().message;
    EXPECT_NE(opened.error().message.find("PostgreSQL"), std::string::npos);
    EXPECT_EQ(opened.error().message.find("hunter2"), std::string::npos) << opened.error().message;
    EXPECT_EQ(opened.error().message.find("hunt%65r2"), std::string::npos);
  }
}

TEST(OpenStore, UnreadablePostgresUrlIsInvalid) {
  // libpq echoes the offending part of a URL it cannot read; the password never shows.
  for (const std::string url : {"postgresql://admin:hunter2@127.0.0.1:1/x?no_such_option=1",
                                "postgresql://admin:hunter2@127.0.0.1:1/x?password=hunter2%zz",
                                "postgresql://admin:hunter2@127.0.0.1:notaport/x"}) {
    auto opened = lp::open_store(url);
    ASSERT_FALSE(opened.ok()) << url;
    EXPECT_EQ(opened.error().code, "invalid_database_url") << opened.error().message;
    EXPECT_EQ(opened.error().message.find("hunter2"), std::string::npos) << opened.error().message;
  }
}

TEST(OpenStore, UnknownSchemeIsInvalid) {
  auto opened = lp::open_store("mysql://x");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "invalid_database_url");
  EXPECT_NE(opened.error().message.find("sqlite://"), std::string::npos);
  EXPECT_NE(opened.error().message.find("mysql://x"), std::string::npos);

  for (const std::string url : {"", "lekhika.db", "sqlite:", "sqlite://"}) {
    auto bad = lp::open_store(url);
    ASSERT_FALSE(bad.ok()) << url;
    EXPECT_EQ(bad.error().code, "invalid_database_url") << url;
  }
}

TEST(OpenStore, NeverEchoesAPassword) {
  for (const std::string url : {
           "mysql://admin:s3cr3t@db.example.com:3306/lekhika",
           "mysql://admin:s3/cr3t@db.example.com/lekhika",
           "mysql://admin:s3@cr3t@db.example.com/lekhika",
           "mysql://db.example.com/lekhika?user=admin&password=s3cr3t",
           "admin:s3cr3t@db.example.com/lekhika",
           "s3cr3t",
       }) {
    auto opened = lp::open_store(url);
    ASSERT_FALSE(opened.ok()) << url;
    EXPECT_EQ(opened.error().code, "invalid_database_url") << url;
    EXPECT_EQ(opened.error().message.find("s3cr3t"), std::string::npos) << opened.error().message;
    EXPECT_EQ(opened.error().message.find("cr3t"), std::string::npos) << opened.error().message;
    EXPECT_EQ(opened.error().message.find("admin"), std::string::npos) << opened.error().message;
  }
}

TEST(OpenStore, CreatesParentFolders) {
  lekhika::testing::temp_dir dir;
  const auto db = dir.path() / "a" / "b" / "lekhika.db";
  auto opened = lp::open_store("sqlite://" + db.string());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  ASSERT_TRUE(opened.value()->migrate().ok());
  EXPECT_TRUE(opened.value()->ping());
  EXPECT_TRUE(std::filesystem::exists(db));
}

TEST(OpenStore, RelativePathIsUnderTheWorkingDirectory) {
  lekhika::testing::temp_dir dir;
  working_directory cd(dir.path());
  auto opened = lp::open_store("sqlite://data/lekhika.db");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  ASSERT_TRUE(opened.value()->migrate().ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data" / "lekhika.db"));
}

TEST(OpenStore, MemoryDatabaseWorks) {
  auto opened = lp::open_store("sqlite://:memory:");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& store = *opened.value();
  ASSERT_TRUE(store.migrate().ok());
  lp::execution_record r;
  r.id = "exec-1";
  r.user_id = "alice";
  r.engine_id = "e";
  r.status = "queued";
  r.created_at = 1;
  auto created = store.create_execution(r);
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto row = store.get_execution("exec-1", std::nullopt);
  ASSERT_TRUE(row.ok());
  EXPECT_TRUE(row.value().has_value());
}

TEST(OpenStore, UnusableFileIsUnavailable) {
  lekhika::testing::temp_dir dir;
  const auto plain_file = dir.path() / "not-a-folder";
  { std::ofstream(plain_file) << "x"; }
  auto under_file = lp::open_store("sqlite://" + (plain_file / "lekhika.db").string());
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().code, "store_unavailable");

  const auto garbage = dir.path() / "garbage.db";
  { std::ofstream(garbage) << std::string(4096, 'g'); }
  auto opened = lp::open_store("sqlite://" + garbage.string());
  if (opened.ok()) {
    // SQLite may defer reading the header; then the first real statement must fail cleanly.
    auto migrated = opened.value()->migrate();
    ASSERT_FALSE(migrated.ok());
    EXPECT_EQ(migrated.error().code, "store_unavailable");
    EXPECT_FALSE(opened.value()->ping());
  } else {
    EXPECT_EQ(opened.error().code, "store_unavailable");
  }
}

}  // namespace
