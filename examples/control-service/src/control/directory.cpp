#include "control/directory.h"

#include <algorithm>

namespace callsignal::control {

void Directory::assign_user(DeviceRecord& device, const std::string& user) {
  if (user.empty() || device.user == user) return;
  if (!device.user.empty()) {
    auto it = users_.find(device.user);
    if (it != users_.end()) {
      it->second.erase(device.client_id);
      if (it->second.empty()) users_.erase(it);
    }
  }
  device.user = user;
  users_[user].insert(device.client_id);
}

void Directory::hello(const std::string& client_id, const std::string& user, std::int64_t hello_ts,
                      std::int64_t now_ms) {
  DeviceRecord& device = devices_[client_id];
  device.client_id = client_id;
  assign_user(device, user);
  // A hello is sent after every connect: it proves the device online, whatever status came before
  // (a will published when an older connection died may arrive after the new connection's hello).
  // Its ts is not compared with status stamps: a device stamps its hello before it knows the
  // service clock, so the two may come from different clocks.
  (void)hello_ts;
  device.online = true;
  device.last_seen_ms = now_ms;
}

bool Directory::status(const std::string& client_id, bool online, const std::string& user, std::int64_t ts,
                       std::int64_t now_ms) {
  DeviceRecord& device = devices_[client_id];
  device.client_id = client_id;
  assign_user(device, user);
  if (online) {
    if (ts <= device.status_ts) return false;
    device.status_ts = ts;
    device.online_ts = std::max(device.online_ts, ts);
    device.last_seen_ms = now_ms;
    const bool changed = !device.online;
    device.online = true;
    return changed;
  }
  // Offline. The will of the current connection carries the connect time, a little older than
  // that connection's online status and hello: it still wins over them. A will older than that
  // belongs to a connection that has since been replaced.
  if (ts < device.online_ts - will_slack_ms_) return false;
  if (ts < device.status_ts && device.status_ts > device.online_ts) return false;  // an older offline
  device.status_ts = std::max(device.status_ts, ts);
  const bool changed = device.online;
  device.online = false;
  return changed;
}

void Directory::seen(const std::string& client_id, std::int64_t now_ms) {
  auto it = devices_.find(client_id);
  if (it == devices_.end()) return;
  it->second.last_seen_ms = now_ms;
}

const DeviceRecord* Directory::device(const std::string& client_id) const {
  auto it = devices_.find(client_id);
  return it == devices_.end() ? nullptr : &it->second;
}

std::string Directory::user_of(const std::string& client_id) const {
  auto it = devices_.find(client_id);
  return it == devices_.end() ? std::string() : it->second.user;
}

std::vector<std::string> Directory::devices_of(const std::string& user) const {
  auto it = users_.find(user);
  if (it == users_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

bool Directory::is_online(const std::string& client_id) const {
  auto it = devices_.find(client_id);
  return it != devices_.end() && it->second.online;
}

std::size_t Directory::online_count() const {
  return static_cast<std::size_t>(
      std::count_if(devices_.begin(), devices_.end(), [](const auto& entry) { return entry.second.online; }));
}

}  // namespace callsignal::control
