// cs_log_set_handler: the app's log function behind the core's process-wide sink.
#include "capi/capi_support.h"
#include "core/common/log.h"

using namespace callsignal;

namespace {

// Owns the app's user_data: release runs when the last holder (the sink, or a thread still
// logging through it) lets go.
struct AppLogHandler {
  AppLogHandler(cs_log_fn f, void* data, void (*release_fn)(void*)) : fn(f), user_data(data), release(release_fn) {}
  AppLogHandler(const AppLogHandler&) = delete;
  AppLogHandler& operator=(const AppLogHandler&) = delete;
  cs_log_fn fn;
  void* user_data;
  void (*release)(void*);
  ~AppLogHandler() {
    if (release != nullptr) release(user_data);
  }
};

}  // namespace

extern "C" void cs_log_set_handler(cs_log_level_t min_level, cs_log_fn fn, void* user_data,
                                   void (*release)(void* user_data)) noexcept {
  const int level = capi::enum_value(min_level);
  if (fn == nullptr || level >= CS_LOG_OFF || level < CS_LOG_DEBUG) {
    set_log_sink(LogLevel::off, nullptr);
    if (release != nullptr) release(user_data);
    return;
  }
  std::shared_ptr<AppLogHandler> handler;
  try {
    handler = std::make_shared<AppLogHandler>(fn, user_data, release);
  } catch (...) {
    if (release != nullptr) release(user_data);  // out of memory: logging stays as it was
    return;
  }
  try {
    auto sink = std::make_shared<const LogSink>([handler](LogLevel line_level, const std::string& line) {
      handler->fn(handler->user_data, static_cast<cs_log_level_t>(line_level), line.c_str());
    });
    set_log_sink(static_cast<LogLevel>(level), std::move(sink));
  } catch (...) {
    // Out of memory: logging stays as it was; `handler` releases the new user_data on return.
  }
}
