#include <curl/curl.h>

#include <string>
#include <vector>

#include "lekhika/app/cli.hpp"

int main(int argc, char** argv) {
  // Before any thread starts (libcurl requirement).
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = lekhika::app::run_cli(args);
  curl_global_cleanup();
  return code;
}
