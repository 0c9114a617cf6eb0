#include "server.hpp"

#include <unistd.h>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include "http.hpp"
#include "providers.hpp"
#include "registry.hpp"

namespace fake_provider {
namespace {

using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxBuffered = kMaxHeaderBytes + kMaxBodyBytes + 4096;
constexpr std::size_t kMaxPendingOutput = 1 << 20;

struct context {
  registry reg;
  bool require_auth = true;
  std::atomic<std::uint64_t> connections{0};  ///< numbers the accepted connections
};

std::int64_t epoch_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The end of an API key, for telling keys apart in the log without revealing them.
std::string key_tail(const std::optional<std::string>& key) {
  if (!key) return {};
  const std::size_t n = key->size() >= 8 ? 4 : key->size() / 2;
  return key->substr(key->size() - n);
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::optional<std::uint64_t> number_param(const http_request& request, std::string_view name) {
  const auto text = request.query_param(name);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || ptr != text->data() + text->size()) return std::nullopt;
  return value;
}

// What happens after the planned steps were written.
enum class tail {
  complete,  // the answer is done (keep-alive or close per request)
  stall,     // nothing more; wait for the client to go away
  close,     // close the socket (drop-mid-stream)
  endless    // keep sending content chunks every `interval`
};

struct step {
  milliseconds at{0};  // from the moment the request was read
  std::string bytes;
  bool content = false;
};

// One counted provider request being answered.
struct exchange {
  registry::ticket ticket;
  steady::time_point start;
  int status = 200;
  std::vector<step> steps;
  std::size_t next = 0;
  tail after = tail::complete;
  bool keep_alive = true;
  bool chunked = true;
  bool all_queued = false;
  bool finished = false;
  int chunks_sent = 0;
  // endless streams
  answer_info info;
  std::optional<prose> more;
  int words_per_chunk = 1;
  milliseconds interval{1};
  std::int64_t ticks = 0;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, context& ctx)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        ctx_(ctx),
        number_(++ctx.connections) {}

  void start() {
    std::error_code ignored;
    socket_.non_blocking(true, ignored);
    do_read();
  }

 private:
  // ---- reading ---------------------------------------------------------------------------

  void do_read() {
    socket_.async_read_some(
        asio::buffer(read_buf_),
        [self = shared_from_this()](std::error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(std::error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec) {
      peer_gone();
      return;
    }
    if (!discard_input_) {
      in_.append(read_buf_.data(), n);
      if (in_.size() > kMaxBuffered) {
        ctx_.reg.protocol_error();
        finish_exchange(outcome::error);
        close();
        return;
      }
      process_input();
    }
    if (!closed_) do_read();
  }

  void process_input() {
    while (!busy_ && !closed_ && !discard_input_ && !in_.empty()) {
      http_request request;
      const parse_result r = parse_request(in_, request);
      switch (r.status) {
        case parse_status::incomplete:
          if (r.expect_continue && !continue_sent_) {
            continue_sent_ = true;
            write("HTTP/1.1 100 Continue\r\n\r\n");
          }
          return;
        case parse_status::bad:
        case parse_status::too_large: {
          ctx_.reg.protocol_error();
          discard_input_ = true;
          in_.clear();
          const int status = r.status == parse_status::bad                 ? 400
                             : r.error.find("header") != std::string::npos ? 431
                                                                           : 413;
          respond_plain(status, error_body(provider::openai, status, r.error), false);
          return;
        }
        case parse_status::complete:
          in_.erase(0, r.consumed);
          continue_sent_ = false;
          handle(request);
          break;
      }
    }
  }

  // ---- requests --------------------------------------------------------------------------

  void handle(const http_request& request) {
    busy_ = true;
    if (request.path.rfind("/_", 0) == 0) {
      handle_admin(request);
      return;
    }
    const auto r = match_route(request);
    if (!r || request.method != "POST") {
      log_entry entry;
      entry.time_ms = epoch_us() / 1000;
      entry.start_us = epoch_us();
      entry.route = request.path;
      const int status = r ? 405 : 404;
      entry.status = status;
      if (r) entry.provider = std::string{provider_name(r->kind)};
      auto ex = std::make_unique<exchange>();
      ex->start = steady::now();
      entry.connection = number_;
      ex->ticket = ctx_.reg.begin(std::move(entry));
      ex->status = status;
      ex->keep_alive = request.keep_alive;
      const std::string body = error_body(r ? r->kind : provider::openai, status,
                                          "no route for " + request.method + " " + request.path);
      ex->steps.push_back({milliseconds{0},
                           response_head(status, "application/json", body.size(),
                                         request.keep_alive, request.version_minor == 0) +
                               body,
                           false});
      start_exchange(std::move(ex));
      return;
    }
    handle_provider(request, *r);
  }

  void handle_provider(const http_request& request, const route& r) {
    const auto arrived = steady::now();
    const bool http10 = request.version_minor == 0;
    log_entry entry;
    entry.start_us = epoch_us();
    entry.time_ms = entry.start_us / 1000;
    entry.route = request.path;
    entry.provider = std::string{provider_name(r.kind)};

    const auto key = api_key(r.kind, request);
    entry.key_tail = key_tail(key);
    call c;
    int status = 200;
    int retry_after = -1;
    std::string message;
    if (ctx_.require_auth && !key) {
      status = 401;
      message = r.kind == provider::openai ? "You didn't provide an API key."
                : r.kind == provider::anthropic
                    ? "x-api-key header is required"
                    : "Method doesn't allow unregistered callers. Please use API Key.";
    } else if (auto error = parse_call(r, request, c)) {
      status = 400;
      message = *error;
    }
    entry.model = c.model.empty() ? r.model : c.model;
    entry.stream = r.kind == provider::gemini ? r.gemini_stream : c.stream;
    const std::string* header = request.header("x-fake-behaviour");
    entry.behaviour = header != nullptr ? *header : entry.model;
    const behaviour b = parse_behaviour(entry.behaviour);
    entry.directives = join(b.recognised, ",");
    const timing t = resolve(ctx_.reg.get_defaults(), b);
    if (status == 200) {
      entry.attempt = ctx_.reg.next_attempt(entry.behaviour);
      if (const auto failure = b.failure_on(entry.attempt)) {
        status = failure->status;
        if (failure->retry_after) {
          retry_after = *failure->retry_after;
          message = "Rate limit reached for requests (fake). Please try again in " +
                    std::to_string(retry_after) + "s.";
        } else {
          message = "fake failure " + std::to_string(status) + " (" + entry.behaviour + ")";
        }
      } else if (b.drop) {
        status = 0;
      }
    }
    entry.status = status;
    entry.prompt_chars = c.prompt_chars;
    entry.prompt_fnv1a64 = hex64(fnv1a64(c.prompt));

    answer_info info;
    info.kind = r.kind;
    info.model = entry.model;
    info.created = entry.start_us / 1000000;
    info.prompt_tokens = estimate_tokens(entry.prompt_chars);
    info.usage = !b.no_usage;
    info.include_usage = c.include_usage;
    const std::uint64_t seed = fnv1a64(c.prompt, fnv1a64(entry.model));
    std::vector<std::string> chunks;
    if (status == 200 && !b.endless) {
      chunks = answer_chunks(seed, t.words, t.chunks);
      std::size_t chars = 0;
      for (const auto& chunk : chunks) chars += chunk.size();
      info.completion_tokens = estimate_tokens(chars);
    }
    entry.prompt_tokens = info.prompt_tokens;
    entry.completion_tokens = info.completion_tokens;

    auto ex = std::make_unique<exchange>();
    ex->start = arrived;
    entry.connection = number_;
    ex->ticket = ctx_.reg.begin(std::move(entry));
    ex->status = status;
    ex->keep_alive = request.keep_alive;
    ex->chunked = !http10;
    const std::string seq = std::to_string(ex->ticket.seq);
    std::vector<std::pair<std::string, std::string>> extra{{"x-request-id", "fake-" + seq}};

    if (status == 0) {  // drop: read the request, answer nothing
      ex_ = std::move(ex);
      finish_exchange(outcome::error);
      close();
      return;
    }
    if (status != 200) {
      if (retry_after >= 0) extra.emplace_back("Retry-After", std::to_string(retry_after));
      const std::string body = error_body(r.kind, status, message);
      // Errors come at once unless the behaviour asked for slowness explicitly.
      const milliseconds at = b.latency_ms ? t.latency : milliseconds{0};
      ex->steps.push_back(
          {at,
           response_head(status, "application/json", body.size(), ex->keep_alive, http10, extra) +
               body,
           false});
      start_exchange(std::move(ex));
      return;
    }

    switch (r.kind) {
      case provider::openai:
        info.id = "chatcmpl-fake" + seq;
        break;
      case provider::anthropic:
        info.id = "msg_fake" + seq;
        break;
      case provider::gemini:
        info.id = "fake" + seq;
        break;
    }
    const bool sse = c.stream && !b.nostream && (r.kind != provider::gemini || r.gemini_sse);
    if (!sse) {
      plan_whole(*ex, info, chunks, r, b, t, http10, extra);
    } else {
      plan_stream(*ex, info, chunks, seed, b, t, http10, extra);
    }
    start_exchange(std::move(ex));
  }

  static void plan_whole(exchange& ex, const answer_info& info,
                         const std::vector<std::string>& chunks, const route& r, const behaviour& b,
                         const timing& t, bool http10,
                         const std::vector<std::pair<std::string, std::string>>& extra) {
    if (b.endless) {  // a whole answer that never comes
      ex.after = tail::stall;
      return;
    }
    const std::string body = r.kind == provider::gemini && r.gemini_stream && !b.nostream
                                 ? gemini_array_body(info, chunks)
                                 : whole_body(info, join(chunks, ""));
    std::string head =
        response_head(200, "application/json", body.size(), ex.keep_alive, http10, extra);
    if (b.stall_after_first || b.drop_mid_stream) {
      ex.steps.push_back({t.ttft, head + body.substr(0, body.size() / 2), true});
      ex.after = b.stall_after_first ? tail::stall : tail::close;
      return;
    }
    ex.steps.push_back({t.latency, head + body, true});
  }

  static void plan_stream(exchange& ex, const answer_info& info,
                          const std::vector<std::string>& chunks, std::uint64_t seed,
                          const behaviour& b, const timing& t, bool http10,
                          std::vector<std::pair<std::string, std::string>> extra) {
    extra.emplace_back("Cache-Control", "no-cache");
    const bool keep_alive = ex.keep_alive && !http10;
    ex.keep_alive = keep_alive;
    ex.steps.push_back(
        {milliseconds{0},
         response_head(200, "text/event-stream", std::nullopt, keep_alive, http10, extra) +
             frame_chunk(stream_begin(info), ex.chunked),
         false});
    if (b.endless) {
      ex.more.emplace(seed);
      ex.words_per_chunk = std::max(1, t.words / t.chunks);
      ex.interval = std::max(milliseconds{1}, t.ttft);
      ex.info = info;
      ex.steps.push_back(
          {t.ttft,
           frame_chunk(stream_delta(info, ex.more->take(ex.words_per_chunk, false), false),
                       ex.chunked),
           true});
      ex.after = tail::endless;
      return;
    }
    const std::size_t n = chunks.size();
    std::size_t send = n;
    if (b.stall_after_first) {
      send = 1;
      ex.after = tail::stall;
    } else if (b.drop_mid_stream) {
      send = std::max<std::size_t>(1, n / 2);
      ex.after = tail::close;
    }
    for (std::size_t i = 0; i < send; ++i) {
      // The first chunk after ttft, the last at latency, the others evenly between.
      const auto at =
          n > 1 ? t.ttft + (t.latency - t.ttft) * static_cast<long>(i) / static_cast<long>(n - 1)
          : ex.after == tail::complete ? t.latency
                                       : t.ttft;
      const bool last = ex.after == tail::complete && i + 1 == n;
      std::string bytes = frame_chunk(stream_delta(info, chunks[i], last), ex.chunked);
      if (last && ex.chunked) bytes += last_chunk();
      ex.steps.push_back({std::chrono::duration_cast<milliseconds>(at), std::move(bytes), true});
    }
  }

  // ---- admin routes (not counted) ----------------------------------------------------------

  void handle_admin(const http_request& request) {
    const std::string& path = request.path;
    const std::string& method = request.method;
    if (path == "/_stats" && method == "GET") {
      respond_plain(200, ctx_.reg.stats_json(), request.keep_alive);
    } else if (path == "/_log" && method == "GET") {
      const auto limit = number_param(request, "limit").value_or(registry::kLogCapacity);
      const auto since = number_param(request, "since").value_or(0);
      respond_plain(200, ctx_.reg.log_json(static_cast<std::size_t>(limit), since),
                    request.keep_alive);
    } else if (path == "/_reset" && method == "POST") {
      ctx_.reg.reset();
      respond_plain(200, R"({"ok":true})", request.keep_alive);
    } else if (path == "/_config" && (method == "GET" || method == "POST")) {
      defaults d = ctx_.reg.get_defaults();
      if (method == "POST") {
        if (auto error = apply_config(request.body, d)) {
          respond_plain(400, R"({"error":{"message":)" + json_quote(*error) + "}}",
                        request.keep_alive);
          return;
        }
        ctx_.reg.set_defaults(d);
      }
      respond_plain(200,
                    R"({"latency_ms":)" + std::to_string(d.latency_ms) + R"(,"ttft_ms":)" +
                        std::to_string(d.ttft_ms) + R"(,"words":)" + std::to_string(d.words) +
                        R"(,"chunks":)" + std::to_string(d.chunks) + "}",
                    request.keep_alive);
    } else if (path == "/_health" && method == "GET") {
      respond_plain(200, R"({"ok":true})", request.keep_alive);
    } else {
      respond_plain(404, R"({"error":{"message":"unknown admin route"}})", request.keep_alive);
    }
  }

  static std::optional<std::string> apply_config(const std::string& body, defaults& d) {
    using json = nlohmann::json;
    const json config = json::parse(body, nullptr, false);
    if (config.is_discarded() || !config.is_object()) return "body must be a JSON object";
    struct field {
      const char* name;
      int* target;
      int min;
    };
    const std::array<field, 4> fields{{{"latency_ms", &d.latency_ms, 0},
                                       {"ttft_ms", &d.ttft_ms, 0},
                                       {"words", &d.words, 0},
                                       {"chunks", &d.chunks, 1}}};
    for (const auto& f : fields) {
      auto it = config.find(f.name);
      if (it == config.end()) continue;
      if (!it->is_number_integer() || it->get<std::int64_t>() < f.min ||
          it->get<std::int64_t>() > 86400000) {
        return std::string{f.name} + " must be an integer >= " + std::to_string(f.min);
      }
      *f.target = it->get<int>();
    }
    return std::nullopt;
  }

  void respond_plain(int status, const std::string& body, bool keep_alive) {
    busy_ = true;
    close_after_ = !keep_alive;
    write(response_head(status, "application/json", body.size(), keep_alive, false) + body);
  }

  // ---- answering -------------------------------------------------------------------------

  void start_exchange(std::unique_ptr<exchange> ex) {
    ex_ = std::move(ex);
    step_due();
  }

  // Writes every step that is due and waits for the next one.
  void step_due() {
    exchange& ex = *ex_;
    const auto elapsed = steady::now() - ex.start;
    std::string out;
    while (ex.next < ex.steps.size() && ex.steps[ex.next].at <= elapsed) {
      step& s = ex.steps[ex.next++];
      out += s.bytes;
      std::string{}.swap(s.bytes);
      if (s.content) ++ex.chunks_sent;
    }
    if (ex.next < ex.steps.size()) {
      wait_until(ex.start + ex.steps[ex.next].at, false);
    } else if (ex.after == tail::endless) {
      wait_until(next_tick(ex), true);
    } else {
      ex.all_queued = true;
    }
    if (!out.empty()) {
      write(std::move(out));
    } else if (ex.all_queued && all_written()) {
      drained();
    }
  }

  static steady::time_point next_tick(exchange& ex) {
    ++ex.ticks;
    const milliseconds last = ex.steps.empty() ? milliseconds{0} : ex.steps.back().at;
    return ex.start + last + ex.interval * ex.ticks;
  }

  void wait_until(steady::time_point when, bool endless) {
    timer_.expires_at(when);
    timer_.async_wait([self = shared_from_this(), endless](std::error_code ec) {
      if (ec || self->closed_ || !self->ex_) return;
      if (endless) {
        self->endless_tick();
      } else {
        self->step_due();
      }
    });
  }

  void endless_tick() {
    exchange& ex = *ex_;
    if (out_pending_.size() < kMaxPendingOutput) {  // a client that does not read loses chunks
      write(frame_chunk(stream_delta(ex.info, ex.more->take(ex.words_per_chunk, false), false),
                        ex.chunked));
      ++ex.chunks_sent;
    }
    wait_until(next_tick(ex), true);
  }

  [[nodiscard]] outcome answer_outcome() const {
    return ex_->status >= 200 && ex_->status < 300 ? outcome::completed : outcome::error;
  }

  void finish_exchange(outcome result) {
    if (!ex_ || ex_->finished) return;
    ex_->finished = true;
    ctx_.reg.finish(ex_->ticket, result, ex_->chunks_sent);
  }

  // Everything queued has been written.
  void on_drained() {
    if (!all_written()) return;
    if (ex_) {
      if (!ex_->all_queued || ex_->finished) return;
      switch (ex_->after) {
        case tail::complete: {
          finish_exchange(answer_outcome());
          const bool keep_alive = ex_->keep_alive;
          ex_.reset();
          busy_ = false;
          if (!keep_alive) {
            close();
            return;
          }
          process_input();
          return;
        }
        case tail::close:
          finish_exchange(outcome::error);
          close();
          return;
        case tail::stall:
        case tail::endless:
          return;
      }
      return;
    }
    if (busy_) {
      busy_ = false;
      if (close_after_) {
        close();
        return;
      }
      process_input();
    }
  }

  // ---- writing ---------------------------------------------------------------------------
  // The socket is non-blocking: bytes go out at once when the kernel takes them (the usual case
  // for small chunks), so an answer is known to be written in full before any later event of
  // the connection is handled; the rest waits for the socket to become writable.

  void write(std::string bytes) {
    if (closed_) return;
    if (out_pending_.empty()) {
      out_pending_ = std::move(bytes);
    } else {
      out_pending_ += bytes;
    }
    if (!writing_) flush();
  }

  void flush() {
    std::error_code ec;
    const std::size_t n = socket_.write_some(asio::buffer(out_pending_), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      peer_gone();
      return;
    }
    out_pending_.erase(0, n);
    if (out_pending_.empty()) {
      drained();
      return;
    }
    writing_ = true;
    socket_.async_wait(tcp::socket::wait_write,
                       [self = shared_from_this()](std::error_code wait_ec) {
                         self->writing_ = false;
                         if (self->closed_) return;
                         if (wait_ec) {
                           self->peer_gone();
                           return;
                         }
                         self->flush();
                       });
  }

  // Calls on_drained, through the executor when nested (pipelined requests answered at once
  // would otherwise recurse).
  void drained() {
    if (drain_depth_ >= 4) {
      asio::post(socket_.get_executor(), [self = shared_from_this()] {
        if (!self->closed_) self->on_drained();
      });
      return;
    }
    ++drain_depth_;
    on_drained();
    --drain_depth_;
  }

  [[nodiscard]] bool all_written() const { return !writing_ && out_pending_.empty(); }

  // ---- closing ---------------------------------------------------------------------------

  // The client closed or reset the connection (or a read/write failed).
  void peer_gone() {
    if (ex_ && ex_->all_queued && ex_->after == tail::complete && all_written()) {
      // The whole answer had been written (its on_drained is still queued); the client left.
      finish_exchange(answer_outcome());
    }
    finish_exchange(outcome::aborted);
    close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  context& ctx_;
  std::uint64_t number_;  ///< logged with each request, so tests can see connection reuse
  std::array<char, 4096> read_buf_{};
  std::string in_;
  std::string out_pending_;
  std::unique_ptr<exchange> ex_;
  bool writing_ = false;  // waiting for the socket to become writable
  int drain_depth_ = 0;
  bool busy_ = false;  // a request is being answered; later ones wait in in_
  bool close_after_ = false;
  bool continue_sent_ = false;
  bool discard_input_ = false;
  bool closed_ = false;
};

}  // namespace

struct server::impl {
  explicit impl(const server_options& options)
      : io(options.threads),
        acceptor(io),
        accept_retry(io),
        signals(io, SIGINT, SIGTERM),
        stdin_watch(io),
        threads(std::max(1, options.threads)) {
    ctx.require_auth = options.require_auth;
    ctx.reg.set_defaults(options.answer_defaults);
    const tcp::endpoint endpoint{asio::ip::make_address(options.host), options.port};
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(4096);
    signals.async_wait([this](std::error_code ec, int) {
      if (!ec) io.stop();
    });
    if (options.exit_on_stdin_close) {
      stdin_watch.assign(::dup(STDIN_FILENO));
      watch_stdin();
    }
    accept();
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](std::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {  // out of descriptors, say: try again shortly rather than spin
        accept_retry.expires_after(milliseconds{20});
        accept_retry.async_wait([this](std::error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      std::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<connection>(std::move(socket), ctx)->start();
      accept();
    });
  }

  void watch_stdin() {
    stdin_watch.async_read_some(asio::buffer(stdin_buf), [this](std::error_code ec, std::size_t) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        io.stop();
        return;
      }
      watch_stdin();
    });
  }

  context ctx{registry{defaults{}}};
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::signal_set signals;
  asio::posix::stream_descriptor stdin_watch;
  std::array<char, 256> stdin_buf{};
  int threads;
};

server::server(const server_options& options) : impl_(std::make_unique<impl>(options)) {}

server::~server() = default;

std::uint16_t server::port() const { return impl_->acceptor.local_endpoint().port(); }

void server::run() {
  std::vector<std::thread> pool;
  for (int i = 1; i < impl_->threads; ++i) pool.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : pool) t.join();
}

}  // namespace fake_provider
