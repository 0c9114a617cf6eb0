#include <curl/curl.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "lekhika/providers/transport.hpp"

namespace lekhika::providers {
namespace {

struct easy_deleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct slist_deleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using easy_handle = std::unique_ptr<CURL, easy_deleter>;
using header_list = std::unique_ptr<curl_slist, slist_deleter>;

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string{text.substr(first, last - first + 1)};
}

}  // namespace

struct curl_multi_transport::impl {
  // One transfer; owned by the loop thread. The body string must outlive the transfer:
  // CURLOPT_POSTFIELDS does not copy it.
  struct transfer {
    std::uint64_t id = 0;
    http_call call;
    transfer_events events;
    easy_handle easy;
    header_list headers;
    std::vector<std::pair<std::string, std::string>> response_headers;
    bool headers_reported = false;
    CURLM* multi = nullptr;

    void report_headers() {
      if (headers_reported) return;
      headers_reported = true;
      long status = 0;
      curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &status);
      if (events.on_headers) events.on_headers(status, std::move(response_headers));
      response_headers.clear();
    }
  };

  CURLM* multi = nullptr;
  std::string ca_file;  // set before the loop starts, read-only after
  std::mutex mutex;
  std::vector<std::function<void()>> commands;  // guarded by mutex; run on the loop thread
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> next_id{0};
  std::unordered_map<std::uint64_t, std::unique_ptr<transfer>> transfers;  // loop thread only
  std::atomic<std::int64_t> started{0};
  std::atomic<std::int64_t> finished{0};
  std::atomic<std::int64_t> cancelled{0};
  std::thread thread;

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<transfer*>(user);
    const std::string_view line{data, size * count};
    if (line.starts_with("HTTP/")) {
      // A new status line (after a 1xx or a redirect): the headers start over.
      t->response_headers.clear();
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
      std::string name{line.substr(0, colon)};
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      t->response_headers.emplace_back(std::move(name), trim(line.substr(colon + 1)));
    } else if (trim(line).empty()) {
      long status = 0;
      curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &status);
      if (status >= 200) t->report_headers();
    }
    return size * count;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<transfer*>(user);
    t->report_headers();
    if (t->events.on_data) t->events.on_data(std::string_view{data, size * count});
    return size * count;
  }

  void start(std::uint64_t id, http_call call, transfer_limits limits, transfer_events events) {
    auto t = std::make_unique<transfer>();
    t->id = id;
    t->call = std::move(call);
    t->events = std::move(events);
    t->multi = multi;
    t->easy.reset(curl_easy_init());
    if (!t->easy) {
      if (t->events.on_done) t->events.on_done({0, true, false, "cannot create a curl handle"});
      return;
    }
    CURL* easy = t->easy.get();
    for (const auto& h : t->call.headers) {
      const auto line = h.name + ": " + h.value;
      t->headers.reset(curl_slist_append(t->headers.release(), line.c_str()));
    }
    // No "Expect: 100-continue" round trip before the body.
    t->headers.reset(curl_slist_append(t->headers.release(), "Expect:"));
    curl_easy_setopt(easy, CURLOPT_URL, t->call.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers.get());
    if (t->call.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t->call.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(t->call.body.size()));
    } else if (t->call.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, t->call.method.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(limits.connect_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.total_timeout.count()));
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    // No CURLOPT_PIPEWAIT: with it, a transfer that finds a connection whose protocol is not
    // known yet waits for that connection to free up when it turns out to be HTTP/1.1, i.e.
    // behind a whole answer. HTTP/2 connections are still shared once they are up.
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    if (!ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &impl::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &impl::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
    if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
      if (t->events.on_done) t->events.on_done({0, true, false, "cannot add the transfer"});
      return;
    }
    ++started;
    transfers.emplace(id, std::move(t));
  }

  void remove(std::uint64_t id, bool was_cancelled) {
    auto it = transfers.find(id);
    if (it == transfers.end()) return;
    // Removing an unfinished easy handle closes its connection instead of returning it to the
    // pool: the provider sees the client go away at once.
    curl_multi_remove_handle(multi, it->second->easy.get());
    transfers.erase(it);
    if (was_cancelled) ++cancelled;
  }

  void finish(CURL* easy, CURLcode code) {
    transfer* t = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t);
    if (t == nullptr) return;
    transfer_outcome outcome;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &outcome.http_status);
    if (code != CURLE_OK) {
      outcome.transport_failed = true;
      outcome.timed_out = code == CURLE_OPERATION_TIMEDOUT;
      outcome.tls_refused = code == CURLE_PEER_FAILED_VERIFICATION;
      outcome.error = curl_easy_strerror(code);
    } else {
      t->report_headers();
    }
    auto on_done = std::move(t->events.on_done);
    const auto id = t->id;
    remove(id, false);
    ++finished;
    if (on_done) on_done(std::move(outcome));
  }

  void run_commands() {
    std::vector<std::function<void()>> pending;
    {
      std::lock_guard lock{mutex};
      pending.swap(commands);
    }
    for (auto& command : pending) command();
  }

  void post(std::function<void()> command) {
    {
      std::lock_guard lock{mutex};
      commands.push_back(std::move(command));
    }
    curl_multi_wakeup(multi);
  }

  void loop() {
    while (!stopping.load()) {
      run_commands();
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
        if (message->msg == CURLMSG_DONE) finish(message->easy_handle, message->data.result);
      }
      // Sleeps until a socket is ready, a timeout of libcurl's is due, or post() wakes it.
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    run_commands();
    while (!transfers.empty()) remove(transfers.begin()->first, true);
  }
};

curl_multi_transport::curl_multi_transport(transport_options options)
    : impl_(std::make_unique<impl>()) {
  impl_->ca_file = std::move(options.ca_file);
  impl_->multi = curl_multi_init();
  curl_multi_setopt(impl_->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
  curl_multi_setopt(impl_->multi, CURLMOPT_MAXCONNECTS, 4096L);
  impl_->thread = std::thread([state = impl_.get()] { state->loop(); });
}

curl_multi_transport::~curl_multi_transport() {
  impl_->stopping.store(true);
  curl_multi_wakeup(impl_->multi);
  impl_->thread.join();
  curl_multi_cleanup(impl_->multi);
}

std::uint64_t curl_multi_transport::submit(http_call call, transfer_limits limits,
                                           transfer_events events) {
  const auto id = impl_->next_id.fetch_add(1) + 1;
  impl_->post([state = impl_.get(), id, call = std::move(call), limits,
               events = std::move(events)]() mutable {
    state->start(id, std::move(call), limits, std::move(events));
  });
  return id;
}

void curl_multi_transport::cancel(std::uint64_t id) {
  impl_->post([state = impl_.get(), id] { state->remove(id, true); });
}

transport_stats curl_multi_transport::stats() const {
  transport_stats s;
  s.started = impl_->started.load();
  s.finished = impl_->finished.load();
  s.cancelled = impl_->cancelled.load();
  s.active = s.started - s.finished - s.cancelled;
  return s;
}

}  // namespace lekhika::providers
