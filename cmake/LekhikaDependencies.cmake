# Every dependency comes from a Debian 12 package (see scripts/install-deps).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# CAF 0.17.6 ships neither a CMake config nor a .pc file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
if(NOT TARGET CAF::core)
  add_library(CAF::core SHARED IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()

find_package(fmt REQUIRED)               # must precede restinio (its config does not find fmt)
find_package(restinio 0.6.16 REQUIRED)   # ExactVersion: "0.6" would not match
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CURL 7.68 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)
# Book exports: CommonMark with GitHub tables, zip containers (EPUB, DOCX), text layout (PDF).
pkg_check_modules(CMARK_GFM REQUIRED IMPORTED_TARGET libcmark-gfm)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)  # find_package(libzip) is broken on Debian 12
pkg_check_modules(PANGOCAIRO REQUIRED IMPORTED_TARGET pangocairo cairo-pdf)

if(LEKHIKA_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(LEKHIKA_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
