// MosquittoBroker: a real /usr/sbin/mosquitto child process on 127.0.0.1 for one test.
//
// Each broker has its own temp dir (config, persistence db, log). start() returns once the broker
// logged "running" and answered an MQTT CONNECT (over TLS for a TLS listener).
// Persistence: the db is written on a clean stop (stop(), restart()) and loaded on start, so
// persistent sessions and their queued QoS>0 messages survive restart(). kill() is a crash: by
// default nothing is saved in between, so everything since the last clean stop is lost and what
// that stop saved comes back (set autosave_seconds for periodic saves).
//
// Not thread-safe: drive one broker from one thread. The destructor stops the broker, so no
// process is left behind when a test throws.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "support/process.h"
#include "support/temp_dir.h"
#include "support/tls_material.h"

namespace callsignal::test {

enum class ServerCert {
  valid,              // TlsMaterial::server_cert (localhost, 127.0.0.1)
  hostname_mismatch,  // TlsMaterial::mismatch_server_cert (wrong.example only)
};

struct BrokerOptions {
  std::uint16_t port = 0;  // 0: a free port is chosen (and kept across restarts)
  bool tls = false;        // a TLS listener instead of a plain TCP one
  std::shared_ptr<const TlsMaterial> tls_material;  // with tls; null: the broker generates its own
  ServerCert server_cert = ServerCert::valid;
  bool require_client_cert = false;  // mutual TLS: clients must present a cert from the CA
  int autosave_seconds = 0;          // 0: the db is written only on a clean stop
  std::string extra_config;          // appended verbatim (after the listener line); later lines win
  bool detached = false;             // own session, may outlive this process: see detach()
};

class MosquittoBroker {
 public:
  using Options = BrokerOptions;

  // Starts a broker and waits (5 s deadline) until it accepts connections. If a port chosen here
  // turns out taken, retries on a new port (5 attempts). Throws std::runtime_error with the
  // broker's log on failure.
  static std::unique_ptr<MosquittoBroker> start(Options options = {});

  ~MosquittoBroker();  // stop(); never throws
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  std::uint16_t port() const { return port_; }
  std::string uri() const;                                  // tcp://127.0.0.1:PORT or ssl://...
  std::string uri_with_host(const std::string& host) const;  // e.g. ssl://localhost:PORT
  const std::string& dir() const { return dir_.path(); }
  std::string config_path() const { return dir_.file("mosquitto.conf"); }
  const TlsMaterial& tls() const;  // throws unless started with tls

  bool running();      // reaps the broker if it has exited
  pid_t pid() const;   // -1 once stopped, killed or seen exited

  // SIGTERM (the broker saves its db and exits), 5 s deadline, then SIGKILL. Throws if SIGKILL
  // was needed (the db was then not saved). No-op when not running.
  void stop();
  // SIGKILL: a crash. No-op when not running.
  void kill();
  // stop() if running, then start again on the same port with the same dir (and db).
  void restart();

  // The startup output and the last lines of the broker's log, for failure messages.
  std::string recent_log() const;

  // Leaves the broker running, with its dir, after this object is gone; only with
  // Options::detached (the CTest fixture broker). Stop it with terminate_foreign_process().
  void detach();

 private:
  explicit MosquittoBroker(Options options);
  void write_config() const;
  void spawn_ready();  // throws PortInUse (see broker.cpp) when the listener cannot bind
  std::string answers_connect() const;  // empty once the broker answered an MQTT CONNECT

  Options options_;
  TempDir dir_;
  std::uint16_t port_ = 0;
  ChildProcess child_;
  std::string startup_log_;
};

}  // namespace callsignal::test
