#include "lekhika/actors/engine.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include "lekhika/actors/env.hpp"
#include "lekhika/actors/log.hpp"
#include "lekhika/actors/spawn.hpp"
#include "lekhika/persistence/store.hpp"

namespace lekhika::actors {

struct engine::impl {
  engine_settings settings;
  std::shared_ptr<const providers::provider_catalog> catalog;
  std::optional<store_listener_actor> listener;
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  store_writer_actor writer;
  std::vector<store_reader_actor> readers;  ///< never empty once started
  mutable std::atomic<std::size_t> next_reader{0};
  registry_actor registry;
  std::shared_ptr<provider_directory> providers;
  std::shared_ptr<const exporter_pool> exporters;
  std::shared_ptr<providers::curl_multi_transport> transport;
  bool stopped = false;
};

engine::engine(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

engine::~engine() { stop(); }

result<std::unique_ptr<engine>> engine::start(engine_settings settings,
                                              providers::provider_catalog catalog) {
  // Separate connections: the writer's (batched transactions) and the readers' (API reads), so
  // a read never waits behind a write batch; on PostgreSQL one more for LISTEN.
  auto writer_store = persistence::open_store(settings.database_url);
  if (!writer_store) return writer_store.error();
  if (auto migrated = writer_store.value()->migrate(); !migrated) return migrated.error();
  // Executions a stopped worker left unfinished are not failed: they are claimed and resumed
  // from their checkpoints (by the registry, at start and periodically).
  std::vector<std::shared_ptr<persistence::store>> reader_stores;
  for (int i = 0; i < std::max(1, settings.store_readers); ++i) {
    auto opened = persistence::open_store(settings.database_url);
    if (!opened) return opened.error();
    reader_stores.push_back(std::move(opened).value());
  }
  const bool shared = writer_store.value()->shared();
  std::shared_ptr<persistence::store> listener_store;
  if (shared) {
    auto opened = persistence::open_store(settings.database_url);
    if (!opened) return opened.error();
    listener_store = std::move(opened).value();
  }

  auto state = std::make_unique<impl>();
  state->settings = std::move(settings);
  state->catalog = std::make_shared<const providers::provider_catalog>(std::move(catalog));
  const int threads = state->settings.scheduler_threads > 0
                          ? state->settings.scheduler_threads
                          : static_cast<int>(std::max(2U, std::thread::hardware_concurrency()));
  state->config.set("scheduler.max-threads", threads);
  state->system = std::make_unique<caf::actor_system>(state->config);
  auto& sys = *state->system;

  std::shared_ptr<persistence::store> writer_shared = std::move(writer_store).value();
  state->writer = spawn_store_writer(sys, writer_shared, state->settings);
  for (auto& reader_store : reader_stores) {
    state->readers.push_back(spawn_store_reader(sys, std::move(reader_store)));
  }
  // Exporters on threads of their own, one per scheduler thread: book rendering is CPU work
  // that would otherwise occupy the threads every execution's actors run on.
  std::vector<exporter_actor> exporters;
  exporters.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) exporters.push_back(spawn_exporter(sys, i));
  state->exporters = std::make_shared<const exporter_pool>(std::move(exporters));
  state->providers = std::make_shared<provider_directory>();
  state->providers->set_offline(spawn_offline_provider(sys, state->settings.offline_latency));
  // One transport (one curl multi loop) for every network key; one actor per key.
  auto network = state->catalog->configured();
  if (!network.empty()) {
    auto pricing =
        state->settings.pricing
            ? state->settings.pricing
            : std::make_shared<const providers::pricing_table>(providers::pricing_table::builtin());
    state->transport = std::make_shared<providers::curl_multi_transport>(
        providers::transport_options{0, state->settings.calls.ca_file});
    for (auto& config : network) {
      const auto key_id = config.key_id;
      state->providers->add(key_id,
                            spawn_network_provider(sys, std::move(config), state->settings.calls,
                                                   state->transport, pricing, state->writer));
    }
  }

  auto env = std::make_shared<execution_env>();
  env->settings = state->settings;
  env->writer = state->writer;
  env->reader = state->readers.front();
  env->providers = state->providers;
  env->exporters = state->exporters;
  env->catalog = state->catalog;
  env->shared_store = shared;
  state->registry = spawn_registry(sys, env);
  caf::anon_send(state->writer, watch_atom::value, state->registry);
  if (listener_store) {
    state->listener = spawn_store_listener(sys, std::move(listener_store), state->registry);
  }
  log::info("engine started", {{"worker", state->settings.worker_id},
                               {"schedulerThreads", threads},
                               {"maxRunning", state->settings.max_running_executions},
                               {"tenantMaxRunning", state->settings.tenant_max_running}});
  return std::unique_ptr<engine>{new engine(std::move(state))};
}

caf::actor_system& engine::system() noexcept { return *impl_->system; }
const registry_actor& engine::registry() const noexcept { return impl_->registry; }
const store_reader_actor& engine::reader() const noexcept {
  const auto turn = impl_->next_reader.fetch_add(1, std::memory_order_relaxed);
  return impl_->readers[turn % impl_->readers.size()];
}
const providers::provider_catalog& engine::catalog() const noexcept { return *impl_->catalog; }
const engine_settings& engine::settings() const noexcept { return impl_->settings; }

void engine::drain(std::chrono::milliseconds grace) {
  if (!impl_ || impl_->stopped) return;
  caf::scoped_actor self{*impl_->system};
  // Let running executions finish within the grace period; the rest stay in the store as
  // unfinished and leased, and are resumed at the next start (or by another worker).
  self->request(impl_->registry, std::max(grace, std::chrono::milliseconds{1}), drain_atom::value)
      .receive([](registry_stats&) {}, [](caf::error&) {});
}

void engine::shutdown(std::chrono::milliseconds grace) {
  drain(grace);
  stop();
}

void engine::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  {
    caf::scoped_actor self{*impl_->system};
    self->send_exit(impl_->registry, caf::exit_reason::user_shutdown);
    self->request(impl_->writer, std::chrono::seconds{30}, flush_atom::value)
        .receive([](flush_reply&) {}, [](caf::error&) {});
    self->send_exit(impl_->writer, caf::exit_reason::user_shutdown);
    for (auto& reader : impl_->readers) self->send_exit(reader, caf::exit_reason::user_shutdown);
    for (const auto& exporter : impl_->exporters->all()) {
      self->send_exit(exporter, caf::exit_reason::user_shutdown);
    }
    if (impl_->listener) self->send_exit(*impl_->listener, caf::exit_reason::user_shutdown);
    for (auto& provider : impl_->providers->all())
      self->send_exit(provider, caf::exit_reason::user_shutdown);
  }
  impl_->system->await_all_actors_done();
  log::info("engine stopped");
}

}  // namespace lekhika::actors
