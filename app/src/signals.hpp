#pragma once

// Private to app/: signals are blocked in every thread before the actor system and RESTinio
// start (so that no worker thread takes them) and then waited for explicitly.

#include <csignal>

namespace lekhika::app {

/// Blocks SIGINT, SIGTERM and SIGUSR1 in the calling thread (and the threads it starts later).
void block_signals();
/// The set block_signals() blocks.
[[nodiscard]] sigset_t handled_signals();

}  // namespace lekhika::app
