#include "core/common/log.h"

#include <atomic>
#include <mutex>

namespace callsignal {
namespace {

std::atomic<int> g_min_level{static_cast<int>(LogLevel::off)};
std::mutex g_sink_mu;
std::shared_ptr<const LogSink> g_sink;  // guarded by g_sink_mu; copied out before each call

}  // namespace

void set_log_sink(LogLevel min_level, std::shared_ptr<const LogSink> sink) {
  std::shared_ptr<const LogSink> old;
  {
    std::lock_guard<std::mutex> lock(g_sink_mu);
    old = std::move(g_sink);
    g_sink = std::move(sink);
    g_min_level = g_sink ? static_cast<int>(min_level) : static_cast<int>(LogLevel::off);
  }
  // `old` is released here, or by the last thread still inside it.
}

bool log_enabled(LogLevel level) noexcept {
  return level != LogLevel::off && static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

void log_line(LogLevel level, const std::string& line) noexcept {
  if (!log_enabled(level)) return;
  std::shared_ptr<const LogSink> sink;
  {
    std::lock_guard<std::mutex> lock(g_sink_mu);
    sink = g_sink;
  }
  if (!sink || !*sink) return;
  try {
    (*sink)(level, line);
  } catch (...) {
    // The app's sink threw: a log line is not worth taking the process down.
  }
}

}  // namespace callsignal
