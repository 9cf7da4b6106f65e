#include "common/service.h"

#include <sys/wait.h>

#include <fstream>
#include <stdexcept>

#include "support/process.h"

namespace callsignal::bench {

namespace {

// Runs a short program and returns its stdout's first line.
std::string first_line_of(const std::vector<std::string>& argv) {
  test::InteractiveProcess p("tool", argv);
  auto line = p.next_line(std::chrono::seconds(10));
  p.wait_output_closed(std::chrono::seconds(10));
  if (!line) throw std::runtime_error(argv[0] + " " + argv[1] + ": no output\n" + p.transcript());
  return line->text;
}

std::string event_of(const std::string& text) {
  static const std::string kKey = "\"event\":\"";
  const std::size_t at = text.find(kKey);
  if (at == std::string::npos) return {};
  const std::size_t begin = at + kKey.size();
  const std::size_t end = text.find('"', begin);
  return end == std::string::npos ? std::string() : text.substr(begin, end - begin);
}

}  // namespace

ServiceProcess::ServiceProcess(const ServiceOptions& options) {
  const std::string key_file = options.dir + "/service-key.pem";
  public_key_ = first_line_of({options.binary, "--generate-key", key_file});
  const std::string config_path = options.dir + "/control.json";
  {
    std::ofstream config(config_path);
    config << "{\n"
           << "  \"broker_uris\": [\"" << options.broker_uri << "\"],\n"
           << "  \"uplink_parent\": \"" << options.uplink << "\",\n"
           << "  \"downlink_parent\": \"" << options.downlink << "\",\n"
           << "  \"mqtt_client_id\": \"callsignal@@@control-bench\",\n"
           << "  \"signing_key\": {\"file\": \"service-key.pem\", \"kid\": \"" << key_id_ << "\"},\n"
           << "  \"rtc\": {\"vendor\": \"test\", \"app_id\": \"bench-app\", \"app_key\": \"bench-rtc-app-key\"},\n"
           << "  \"log_level\": \"" << options.log_level << "\"\n"
           << "}\n";
    if (!config) throw std::runtime_error("cannot write " + config_path);
  }
  process_ = std::make_unique<test::InteractiveProcess>(
      "control", std::vector<std::string>{options.binary, "--config", config_path},
      [this](test::InteractiveProcess::Stream stream, const test::OutputLine& line) {
        if (stream == test::InteractiveProcess::Stream::err) on_line(line.text);
      });
  if (!wait_count("broker_connected", 1, std::chrono::seconds(10))) {
    throw std::runtime_error("callsignal-control did not connect:\n" + last_lines());
  }
}

ServiceProcess::~ServiceProcess() { stop(); }

void ServiceProcess::on_line(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_[event_of(text)];
  tail_.push_back(text);
  if (tail_.size() > 40) tail_.pop_front();
  cv_.notify_all();
}

std::size_t ServiceProcess::count(const std::string& event) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = counts_.find(event);
  return it == counts_.end() ? 0 : it->second;
}

bool ServiceProcess::wait_count(const std::string& event, std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] {
    auto it = counts_.find(event);
    return it != counts_.end() && it->second >= n;
  });
}

bool ServiceProcess::stop() {
  if (stopped_ || !process_) return true;
  stopped_ = true;
  test::ChildProcess& child = process_->child();
  const bool clean = child.terminate(std::chrono::seconds(10));
  return clean && WIFEXITED(child.wait_status()) && WEXITSTATUS(child.wait_status()) == 0;
}

std::string ServiceProcess::last_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string text;
  for (const std::string& line : tail_) text += line + "\n";
  return text;
}

}  // namespace callsignal::bench
