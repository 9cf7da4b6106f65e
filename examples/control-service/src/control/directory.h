// Who is who: devices (client ids), the users they serve, and whether each is online.
//
// A device tells the service its user in `hello` (body.user) and, optionally, in `status`. A user
// may have several devices; a device serves one user at a time (a later hello with another user
// moves it). Presence comes from `status` messages (online after each connect, offline as the
// last will or on a clean close) and from any request: the newest status by `ts` wins, with one
// allowance for the last will, which the device composes at connect time, just before its online
// status (ControlLimits::will_slack_ms; docs/control-service.md, "Presence").
//
// Not thread-safe: the engine's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace callsignal::control {

struct DeviceRecord {
  std::string client_id;
  std::string user;              // empty until a hello (or status) names it
  bool online = false;
  std::int64_t status_ts = -1;   // ts of the newest status applied (-1: none yet)
  std::int64_t online_ts = -1;   // ts of the newest online status
  std::int64_t last_seen_ms = 0; // service clock: last message of any kind from the device
};

class Directory {
 public:
  explicit Directory(std::int64_t will_slack_ms) : will_slack_ms_(will_slack_ms) {}

  // A hello (or any request naming the user). Marks the device online; `hello_ts` is the
  // message's ts (the device's clock). Moves the device to `user` when it is non-empty.
  void hello(const std::string& client_id, const std::string& user, std::int64_t hello_ts, std::int64_t now_ms);

  // A status message. Returns true when it changed the device's online state to `online`
  // (false: stale, or no change). `user` may be empty.
  bool status(const std::string& client_id, bool online, const std::string& user, std::int64_t ts,
              std::int64_t now_ms);

  // Any message from the device: it is reachable now.
  void seen(const std::string& client_id, std::int64_t now_ms);

  const DeviceRecord* device(const std::string& client_id) const;
  // The user a device serves; empty when unknown.
  std::string user_of(const std::string& client_id) const;
  // Every device of `user` (online or not: the broker queues for offline ones), sorted.
  std::vector<std::string> devices_of(const std::string& user) const;
  bool is_online(const std::string& client_id) const;

  std::size_t device_count() const { return devices_.size(); }
  std::size_t online_count() const;

 private:
  void assign_user(DeviceRecord& device, const std::string& user);

  std::int64_t will_slack_ms_;
  std::map<std::string, DeviceRecord> devices_;
  std::map<std::string, std::set<std::string>> users_;
};

}  // namespace callsignal::control
