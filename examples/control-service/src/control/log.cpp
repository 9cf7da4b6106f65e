#include "control/log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>

namespace callsignal::control {

const char* to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "unknown";
}

bool parse_log_level(std::string_view text, LogLevel& level) noexcept {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error, LogLevel::off}) {
    if (text == to_string(l)) {
      level = l;
      return true;
    }
  }
  return false;
}

Logger::Logger(LogLevel level, Sink sink) : level_(level), sink_(std::move(sink)) {}

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto write_string = [&writer](std::string_view s) {
    writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  writer.StartObject();
  writer.Key("ts");
  writer.Int64(now);
  writer.Key("level");
  writer.String(to_string(level));
  writer.Key("event");
  write_string(event);
  for (const LogField& field : fields) {
    writer.Key(field.key.data(), static_cast<rapidjson::SizeType>(field.key.size()));
    if (const auto* s = std::get_if<std::string>(&field.value)) {
      write_string(*s);
    } else if (const auto* i = std::get_if<std::int64_t>(&field.value)) {
      writer.Int64(*i);
    } else {
      writer.Bool(std::get<bool>(field.value));
    }
  }
  writer.EndObject();
  std::string line(buffer.GetString(), buffer.GetSize());

  std::lock_guard<std::mutex> lock(mutex_);
  if (sink_) {
    sink_(line);
  } else {
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace callsignal::control
