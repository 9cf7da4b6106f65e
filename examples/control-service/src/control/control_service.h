// callsignal::control::ControlService: the reference call control service, in-process.
//
//   ControlConfig config;               // broker, topics, signer, rtc, limits (control_config.h)
//   auto service = ControlService::create(std::move(config));   // validates, loads nothing else
//   service.value()->start();           // connects and serves until stop()
//   service.value()->wait_connected(5s);
//   ...
//   service.value()->stop();            // or destroy it
//
// It subscribes to <uplink>/req (or $share/<group>/<uplink>/req) and <uplink>/status, answers each
// request with signed messages on the devices' P2P topics, keeps calls and presence in memory, and
// re-sends every downlink message until the device acknowledges it. docs/control-service.md
// describes the behaviour; the wire protocol is docs/protocol.md.
//
// Threads: every public member is thread-safe. The service runs on its own event loop thread
// (one Paho client; the engine is single-threaded there). It calls no user code except the log
// sink (ControlConfig::log_sink), from that thread and from the caller of start()/stop().
// Do not call stop() or the destructor from the log sink.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "control/control_config.h"
#include "control/stats.h"
#include "core/common/status.h"

namespace callsignal::control {

class ControlService {
 public:
  // Validates the config and builds the minter and the MQTT session (no connection yet).
  // Errors: invalid_config naming the field; those of Session::create.
  static Result<std::unique_ptr<ControlService>> create(ControlConfig config);

  ~ControlService();  // stop()
  ControlService(const ControlService&) = delete;
  ControlService& operator=(const ControlService&) = delete;

  // Connects (asynchronously) and serves until stop(). Errors: invalid_state (already started or
  // stopped), those of Session::start.
  Status start();
  // Disconnects cleanly and stops every timer; pending re-sends are dropped. Idempotent; blocks
  // until done (at most about the session's close timeout).
  void stop();

  // Connected, and subscribed to the uplink topics.
  bool connected() const;
  // Waits until connected() holds or the timeout passes. Returns connected().
  bool wait_connected(std::chrono::milliseconds timeout) const;

  // A snapshot of the counters (the last one after stop()).
  ControlStats stats() const;
  // The live calls' ids; one call's participants as "user:state" (empty when not live).
  std::vector<std::string> live_calls() const;
  std::vector<std::string> describe_call(const std::string& call_id) const;

  // What clients must trust: the signing key's id and public key (base64 of the raw 32 bytes).
  const std::string& key_id() const;
  std::string public_key_base64() const;
  const ControlConfig& config() const;

  struct Impl;

 private:
  explicit ControlService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace callsignal::control
