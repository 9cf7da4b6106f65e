#include "support/broker.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "support/loopback.h"
#include "support/ports.h"
#include "support/raw_mqtt.h"
#include "support/tls_probe.h"
#include "support/wait.h"

namespace callsignal::test {
namespace {

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
constexpr const char* kDirPrefix = "callsignal-broker-";
constexpr std::chrono::seconds kReadyTimeout(5);
constexpr std::chrono::seconds kServeCheckTimeout(5);
constexpr std::chrono::seconds kStopGrace(5);
constexpr int kPortAttempts = 5;
constexpr std::size_t kLogTailLines = 40;

struct PortInUse : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Splits the child's stderr into lines, each read bounded by a deadline.
class LineReader {
 public:
  enum class Result { line, eof, timeout };

  explicit LineReader(int fd) : fd_(fd) {}

  Result next(std::string* line, const Deadline& deadline) {
    for (;;) {
      std::size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        *line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return Result::line;
      }
      pollfd p{fd_, POLLIN, 0};
      int n = ::poll(&p, 1, deadline.poll_timeout_ms());
      if (n == 0) return Result::timeout;
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("poll(mosquitto stderr): ") + std::strerror(errno));
      }
      char chunk[4096];
      ssize_t got = ::read(fd_, chunk, sizeof chunk);
      if (got > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        if (buffer_.empty()) return Result::eof;
        *line = std::exchange(buffer_, {});
        return Result::line;
      }
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

// "2026-01-01T00:00:00: mosquitto version 2.0.11 running": the listeners are open.
bool is_running_line(const std::string& line) {
  static const std::string suffix = " running";
  return line.find("mosquitto version ") != std::string::npos && line.size() >= suffix.size() &&
         line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string tail_lines(const std::string& path, std::size_t count) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > count) lines.pop_front();
  }
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// Files in a broker dir that let a later run find brokers whose test process crashed.
constexpr const char* kOwnerFile = "owner.pid";    // the test process; absent once detached
constexpr const char* kBrokerPidFile = "broker.pid";

void write_number(const std::string& path, long value) {
  std::ofstream out(path, std::ios::trunc);
  out << value << "\n";
  out.close();
  if (!out) throw std::runtime_error("MosquittoBroker: cannot write " + path);
}

long read_number(const std::string& path) {
  std::ifstream in(path);
  long value = -1;
  in >> value;
  return in ? value : -1;
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// A test process that crashed (abort, a sanitizer report) ran no destructors: its brokers live
// on, holding ports and dirs. The first broker a later process starts stops them. Best effort:
// a failure here must not fail the test that happens to run it.
void stop_orphaned_brokers() noexcept {
  try {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
      if (entry.path().filename().string().rfind(kDirPrefix, 0) != 0) continue;
      const std::string dir = entry.path().string();
      long owner = read_number(dir + "/" + kOwnerFile);
      if (owner <= 0 || process_exists(static_cast<pid_t>(owner))) continue;  // detached, or in use
      long broker = read_number(dir + "/" + kBrokerPidFile);
      // The broker's command line names its config in dir: a recycled pid is left alone.
      if (broker <= 0 || terminate_foreign_process(static_cast<pid_t>(broker), dir, kStopGrace))
        std::filesystem::remove_all(dir, ec);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "MosquittoBroker: cleaning up orphaned brokers: %s\n", e.what());
  }
}

}  // namespace

MosquittoBroker::MosquittoBroker(Options options)
    : options_(std::move(options)), dir_(kDirPrefix, DirOwner::mosquitto) {
  write_number(dir_.file(kOwnerFile), ::getpid());
}

std::unique_ptr<MosquittoBroker> MosquittoBroker::start(Options options) {
  static std::once_flag orphans_checked;
  std::call_once(orphans_checked, stop_orphaned_brokers);
  if (options.tls && options.detached)
    throw std::runtime_error("MosquittoBroker: a detached broker cannot use TLS (its files would be deleted)");
  if (options.tls && !options.tls_material) options.tls_material = TlsMaterial::create();
  const bool choose_port = options.port == 0;
  std::unique_ptr<MosquittoBroker> broker(new MosquittoBroker(std::move(options)));
  for (int attempt = 1;; ++attempt) {
    broker->port_ = choose_port ? free_loopback_port() : broker->options_.port;
    try {
      broker->spawn_ready();
      return broker;
    } catch (const PortInUse& e) {
      // Another process took the free port between our probe and mosquitto's bind.
      if (!choose_port || attempt == kPortAttempts) throw std::runtime_error(e.what());
    }
  }
}

MosquittoBroker::~MosquittoBroker() {
  try {
    stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "MosquittoBroker: %s\n", e.what());
  }
}

std::string MosquittoBroker::uri() const { return uri_with_host("127.0.0.1"); }

std::string MosquittoBroker::uri_with_host(const std::string& host) const {
  return (options_.tls ? "ssl://" : "tcp://") + host + ":" + std::to_string(port_);
}

const TlsMaterial& MosquittoBroker::tls() const {
  if (!options_.tls_material) throw std::runtime_error("MosquittoBroker::tls(): the broker was started without TLS");
  return *options_.tls_material;
}

bool MosquittoBroker::running() { return child_.owned() && child_.running(); }

pid_t MosquittoBroker::pid() const { return child_.owned() && !child_.exited() ? child_.pid() : -1; }

void MosquittoBroker::stop() {
  if (!running()) return;
  if (!child_.terminate(kStopGrace))
    throw std::runtime_error("mosquitto on port " + std::to_string(port_) +
                             " did not exit within 5 s of SIGTERM and was killed (its db was not saved)\n" +
                             recent_log());
}

void MosquittoBroker::kill() {
  if (running()) child_.kill_now();
}

void MosquittoBroker::restart() {
  stop();
  try {
    spawn_ready();
  } catch (const PortInUse& e) {
    throw std::runtime_error(std::string("restart: port taken while the broker was stopped: ") + e.what());
  }
}

std::string MosquittoBroker::recent_log() const {
  return "--- mosquitto startup (stderr) ---\n" + startup_log_ + "--- " + dir_.file("mosquitto.log") + " (tail) ---\n" +
         tail_lines(dir_.file("mosquitto.log"), kLogTailLines);
}

void MosquittoBroker::detach() {
  if (!options_.detached) throw std::runtime_error("MosquittoBroker::detach(): start it with Options::detached");
  ::unlink(dir_.file(kOwnerFile).c_str());  // no owner: never taken for an orphan
  child_.release();
  dir_.release();
}

void MosquittoBroker::write_config() const {
  std::ofstream out(config_path(), std::ios::trunc);
  out << "# Written by callsignal's test harness (tests/support/broker.cpp).\n"
      << "allow_anonymous true\n"
      << "persistence true\n"
      << "persistence_location " << dir() << "/\n"
      << "autosave_interval " << options_.autosave_seconds << "\n"
      // Tests queue many messages for offline clients; the default (1000) would drop some.
      // max_inflight_messages keeps its default (20): Paho stalls with thousands in flight.
      << "max_queued_messages 100000\n"
      // Mosquitto leaves Nagle's algorithm on by default, which skews latency tests.
      << "set_tcp_nodelay true\n"
      // stderr is read until the broker is ready, then closed (mosquitto ignores SIGPIPE and goes
      // on); the file keeps the whole log.
      << "log_dest stderr\n"
      << "log_dest file " << dir_.file("mosquitto.log") << "\n"
      << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
      << "log_type subscribe\nlog_type unsubscribe\n"
      << "log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
      << "listener " << port_ << " 127.0.0.1\n";
  if (options_.tls) {
    const TlsMaterial& m = *options_.tls_material;
    bool valid = options_.server_cert == ServerCert::valid;
    out << "cafile " << m.ca_cert << "\n"
        << "certfile " << (valid ? m.server_cert : m.mismatch_server_cert) << "\n"
        << "keyfile " << (valid ? m.server_key : m.mismatch_server_key) << "\n"
        << "require_certificate " << (options_.require_client_cert ? "true" : "false") << "\n";
  }
  out << options_.extra_config << "\n";
  out.close();
  if (!out) throw std::runtime_error("MosquittoBroker: cannot write " + config_path());
}

// Mosquitto 2.0.11 logs "running" and only then sets the flag its SIGTERM handler clears: a
// SIGTERM sent right after the log line is lost and the broker runs on (seen as stop() timing
// out). A CONNACK comes from the main loop, after that flag is set. Any CONNACK will do: a
// broker configured to refuse anonymous clients is serving too.
std::string MosquittoBroker::answers_connect() const {
  try {
    if (options_.tls) {
      const TlsMaterial& m = *options_.tls_material;
      TlsProbeOptions probe{m.ca_cert, "", "", ""};  // the chain is checked, the name is not
      if (options_.require_client_cert) {
        probe.client_cert = m.client_cert;
        probe.client_key = m.client_key;
      }
      TlsProbeResult result = tls_mqtt_probe(port_, probe, kServeCheckTimeout);
      return result.connack_code >= 0 ? std::string() : result.error;
    }
    Deadline deadline(kServeCheckTimeout);
    UniqueFd fd = connect_loopback(port_, deadline.remaining());
    write_all(fd.get(), raw_mqtt::connect_packet("callsignal-harness-ready", true), deadline.remaining());
    if (raw_mqtt::read_packet(fd.get(), deadline.remaining()).type != raw_mqtt::kConnack)
      return "the reply to CONNECT is not a CONNACK";
    write_all(fd.get(), raw_mqtt::disconnect_packet(), deadline.remaining());
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

void MosquittoBroker::spawn_ready() {
  write_config();
  child_ = ChildProcess::spawn({kMosquitto, "-c", config_path()},
                               options_.detached ? ChildProcess::Session::new_session : ChildProcess::Session::inherit);
  write_number(dir_.file(kBrokerPidFile), child_.pid());
  startup_log_.clear();
  Deadline deadline(kReadyTimeout);
  LineReader reader(child_.stderr_fd());
  bool port_in_use = false;
  for (std::string line;;) {
    LineReader::Result r = reader.next(&line, deadline);
    if (r == LineReader::Result::line) {
      startup_log_ += line + "\n";
      port_in_use = port_in_use || line.find("Address already in use") != std::string::npos;
      if (!is_running_line(line)) continue;
      // From here the log goes to the file only: no pipe for the broker to block on.
      child_.take_stderr();
      std::string error = answers_connect();
      if (error.empty()) return;
      child_.kill_now();
      throw std::runtime_error("mosquitto logged 'running' but does not serve MQTT on 127.0.0.1:" +
                               std::to_string(port_) + ": " + error + "\n" + recent_log());
    }
    if (r == LineReader::Result::timeout) {
      child_.kill_now();
      throw std::runtime_error("mosquitto was not ready within 5 s\n" + recent_log());
    }
    // End of stderr: the broker is exiting.
    std::string how = child_.wait_exit(kStopGrace) ? child_.describe_exit() : "not exited yet";
    child_.kill_now();
    std::string message = "mosquitto exited before it was ready (" + how + ")\n" + recent_log();
    if (port_in_use) throw PortInUse("port " + std::to_string(port_) + " is in use: " + message);
    throw std::runtime_error(message);
  }
}

}  // namespace callsignal::test
