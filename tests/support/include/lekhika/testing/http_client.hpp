#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace lekhika::testing {

/// A finished HTTP exchange.
struct http_response {
  long status = 0;  ///< 0 when the transfer failed
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
  std::string transport_error;                 ///< curl's message when status == 0
};

/// A blocking HTTP/1.1 client over libcurl for tests (one easy handle per call).
struct http_request {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::string> headers;  ///< "Name: value"
  std::chrono::milliseconds timeout{30000};
};

[[nodiscard]] http_response perform(const http_request& request);

}  // namespace lekhika::testing
