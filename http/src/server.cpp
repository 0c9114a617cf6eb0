#include "lekhika/http/server.hpp"

#include <restinio/all.hpp>

#include <atomic>
#include <chrono>

#include "bridges.hpp"
#include "lekhika/actors/engine.hpp"
#include "lekhika/actors/log.hpp"

namespace lekhika::http {
namespace {

using router_t = restinio::router::express_router_t<>;

struct server_traits : restinio::default_traits_t {
  using request_handler_t = router_t;
};

using request_handle = restinio::request_handle_t;
using route_params = restinio::router::route_params_t;

/// A synchronous POST /execute waits as long as the execution runs (possibly after a long
/// queue), so RESTinio's 10 s default must not cut it; every request is answered by its bridge.
constexpr std::chrono::hours request_timeout{24 * 7};

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

void send(const request_handle& req, const http_answer& answer) {
  auto response = req->create_response(restinio::http_status_line_t{
      restinio::http_status_code_t{static_cast<std::uint16_t>(answer.status)},
      reason_phrase(answer.status)});
  response.append_header(restinio::http_field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) response.append_header(name, value);
  response.set_body(answer.body);
  response.done();
}

// Copies the handle: callers may read the request in the same call's other arguments, whose
// evaluation order C++ leaves open.
responder respond_to(const request_handle& req) {
  return [req](http_answer answer) { send(req, answer); };
}

// Constant time in the length of the expected secret, so that timing does not reveal a prefix.
bool same_secret(std::string_view given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0U;
    diff = static_cast<unsigned char>(diff | (a ^ static_cast<unsigned char>(expected[i])));
  }
  return diff == 0U;
}

std::optional<std::string> query_param(const request_handle& req, std::string_view name) {
  auto parsed = restinio::try_parse_query<restinio::parse_query_traits::javascript_compatible>(
      req->header().query());
  if (!parsed) return std::nullopt;
  auto value = parsed->get_param(name);
  if (!value) return std::nullopt;
  return std::string{value->data(), value->size()};
}

bool query_flag(const request_handle& req, std::string_view name) {
  auto value = query_param(req, name);
  return value && (*value == "1" || *value == "true" || *value == "yes");
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_json_content_type(const request_handle& req) {
  const auto value =
      lower(std::string{req->header().get_field_or(restinio::http_field::content_type, "")});
  const auto media = value.substr(0, value.find(';'));
  const auto trimmed = media.substr(0, media.find_last_not_of(" \t") + 1);
  return trimmed == "application/json" ||
         (trimmed.starts_with("application/") && trimmed.ends_with("+json"));
}

}  // namespace

struct http_server::impl {
  server_settings settings;
  actors::engine* engine = nullptr;
  std::uint16_t port = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::unique_ptr<restinio::running_server_handle_t<server_traits>> server;
  std::atomic<bool> stopped{false};

  [[nodiscard]] bool authorized(const request_handle& req) const {
    const auto& secret = settings.auth_secret.reveal();
    if (secret.empty()) return true;  // --insecure-dev
    const auto& headers = req->header();
    if (headers.has_field("X-Internal-Auth"))
      return same_secret(headers.get_field("X-Internal-Auth"), secret);
    if (headers.has_field(restinio::http_field::authorization)) {
      const auto value = std::string{headers.get_field(restinio::http_field::authorization)};
      constexpr std::string_view bearer = "Bearer ";
      if (value.size() > bearer.size() && lower(value.substr(0, bearer.size())) == "bearer ") {
        return same_secret(std::string_view{value}.substr(bearer.size()), secret);
      }
    }
    return false;
  }

  // Runs `handler` when the caller is authorized; answers 401 otherwise.
  template <class Handler>
  auto guarded(Handler handler) {
    return [this, handler](request_handle req, route_params params) {
      if (!authorized(req)) {
        send(req, error_answer("unauthorized", "missing or wrong X-Internal-Auth"));
        return restinio::request_accepted();
      }
      handler(std::move(req), std::move(params));
      return restinio::request_accepted();
    };
  }

  // --- handlers (each hands the request to a bridge actor and returns) -----------------------

  void execute(request_handle req) {
    if (!is_json_content_type(req)) {
      return send(req,
                  error_answer("unsupported_media_type", "Content-Type must be application/json"));
    }
    if (req->body().size() > settings.max_body_bytes) {
      return send(req, error_answer("payload_too_large",
                                    "the body is larger than MAX_BODY_BYTES (" +
                                        std::to_string(settings.max_body_bytes) + " bytes)"));
    }
    const auto prefer = lower(std::string{req->header().get_field_or("Prefer", "")});
    const bool async =
        prefer.find("respond-async") != std::string::npos || query_flag(req, "async");
    auto body = std::make_shared<const std::string>(req->body());
    bridge_execute(*engine, std::move(body), async, respond_to(req));
  }

  void cancel(request_handle req, std::string id) {
    std::optional<std::string> user_id = query_param(req, "userId");
    std::string reason = "cancelled by operator";
    if (!req->body().empty()) {
      auto body = nlohmann::json::parse(req->body(), nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        return send(req,
                    error_answer("invalid_json", "the cancel body must be a JSON object or empty"));
      }
      if (auto it = body.find("reason"); it != body.end() && it->is_string())
        reason = it->get<std::string>();
      if (auto it = body.find("userId"); it != body.end() && it->is_string())
        user_id = it->get<std::string>();
    }
    bridge_cancel(*engine, std::move(id), std::move(user_id), std::move(reason),
                  query_flag(req, "wait"), query_flag(req, "strict"), respond_to(req));
  }

  void list(request_handle req) {
    persistence::execution_filter filter;
    filter.user_id = query_param(req, "userId");
    filter.status = query_param(req, "status");
    filter.cursor = query_param(req, "cursor");
    if (auto limit = query_param(req, "limit")) {
      try {
        filter.limit = std::stoi(*limit);
      } catch (const std::exception&) {
        return send(req, error_answer("bad_request", "limit must be a number from 1 to 500"));
      }
      if (filter.limit < 1 || filter.limit > 500) {
        return send(req, error_answer("bad_request", "limit must be a number from 1 to 500"));
      }
    }
    bridge_list(*engine, std::move(filter), respond_to(req));
  }

  void health(const request_handle& req) const {
    const auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    nlohmann::json data{{"status", "ok"}, {"version", settings.version}, {"uptimeS", uptime}};
    // The envelope, plus the fields at the top level for probes that look for "status".
    nlohmann::json body{{"success", true}, {"data", data}};
    for (const auto& [key, value] : data.items()) body[key] = value;
    http_answer answer;
    answer.body = body.dump();
    send(req, answer);
  }

  // The whole route table (api.md §2).
  std::unique_ptr<router_t> routes() {
    auto router = std::make_unique<router_t>();
    router->http_get("/health", [this](request_handle req, route_params) {
      health(req);
      return restinio::request_accepted();
    });
    router->http_get("/ready", guarded([this](request_handle req, route_params) {
                       bridge_ready(*engine, respond_to(req));
                     }));
    router->http_post(
        "/execute", guarded([this](request_handle req, route_params) { execute(std::move(req)); }));
    router->http_get("/executions",
                     guarded([this](request_handle req, route_params) { list(std::move(req)); }));
    router->http_get("/executions/:id", guarded([this](request_handle req, route_params params) {
                       bridge_get_execution(
                           *engine, std::string{params["id"]}, query_param(req, "userId"),
                           query_param(req, "include") == std::optional<std::string>{"content"},
                           respond_to(req));
                     }));
    router->http_post("/executions/:id/cancel",
                      guarded([this](request_handle req, route_params params) {
                        cancel(std::move(req), std::string{params["id"]});
                      }));
    router->http_get(
        "/executions/:id/artifacts/:fmt", guarded([this](request_handle req, route_params params) {
          bridge_artifact(*engine, std::string{params["id"]}, query_param(req, "userId"),
                          std::string{params["fmt"]}, respond_to(req));
        }));
    // Compatibility routes of the existing Lekhika Edge Functions (api.md §2.7).
    router->http_post("/stop/:id", guarded([this](request_handle req, route_params params) {
                        cancel(std::move(req), std::string{params["id"]});
                      }));
    router->http_get("/status/:id", guarded([this](request_handle req, route_params params) {
                       bridge_get_execution(*engine, std::string{params["id"]},
                                            query_param(req, "userId"), false, respond_to(req));
                     }));
    // Unknown routes answer like known ones: 401 without the secret, then 404.
    router->non_matched_request_handler([this](request_handle req) {
      if (!authorized(req)) {
        send(req, error_answer("unauthorized", "missing or wrong X-Internal-Auth"));
      } else {
        send(req, error_answer("not_found", "no route for " +
                                                std::string{req->header().method().c_str()} + " " +
                                                std::string{req->header().path()}));
      }
      return restinio::request_accepted();
    });
    return router;
  }
};

http_server::http_server(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

http_server::~http_server() { stop(); }

result<std::unique_ptr<http_server>> http_server::start(const server_settings& settings,
                                                        actors::engine& engine) {
  auto state = std::make_unique<impl>();
  state->settings = settings;
  state->engine = &engine;
  auto* raw = state.get();
  // RESTinio drops a message whose body exceeds its own limit without answering. Its limit sits
  // 64 MiB above MAX_BODY_BYTES so that callers get a proper 413 from the handler; only bodies
  // beyond that see the connection closed.
  const std::uint64_t hard_limit =
      static_cast<std::uint64_t>(settings.max_body_bytes) + (std::uint64_t{64} << 20U);
  try {
    auto server = restinio::run_async(
        restinio::own_io_context(),
        restinio::server_settings_t<server_traits>{}
            .address(settings.host)
            .port(settings.port)
            .handle_request_timeout(request_timeout)
            .read_next_http_message_timelimit(std::chrono::seconds{60})
            .write_http_response_timelimit(std::chrono::seconds{60})
            .incoming_http_msg_limits(
                restinio::incoming_http_msg_limits_t{}.max_body_size(hard_limit))
            .concurrent_accepts_count(settings.threads)
            .acceptor_post_bind_hook([raw](restinio::asio_ns::ip::tcp::acceptor& acceptor) {
              raw->port = acceptor.local_endpoint().port();
            })
            .request_handler(raw->routes()),
        settings.threads);
    state->server =
        std::make_unique<restinio::running_server_handle_t<server_traits>>(std::move(server));
  } catch (const std::exception& e) {
    return failure{"bind_failed", "cannot listen on " + settings.host + ":" +
                                      std::to_string(settings.port) + ": " + e.what()};
  }
  log::info("http server listening", {{"host", settings.host}, {"port", state->port}});
  return std::unique_ptr<http_server>{new http_server(std::move(state))};
}

std::uint16_t http_server::port() const noexcept { return impl_->port; }

void http_server::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  if (impl_->server) {
    (*impl_->server)->stop();
    (*impl_->server)->wait();
  }
}

}  // namespace lekhika::http
