#include "invite_latency/sdk_device.h"

#include <stdexcept>

#include "invite_latency/control_peer.h"

namespace callsignal::bench {

SdkDevice::SdkDevice(const std::string& uri, const std::string& device_id, const std::string& data_dir,
                     const std::vector<std::pair<std::string, std::string>>& trusted)
    : client_id_(std::string(kGroupId) + "@@@" + device_id) {
  const char* uris[] = {uri.c_str()};
  std::vector<cs_trusted_key_t> keys;
  for (const auto& key : trusted) keys.push_back({key.first.c_str(), key.second.c_str()});
  cs_client_options_t o = CS_CLIENT_OPTIONS_INIT;
  o.broker_uris = uris;
  o.broker_uri_count = 1;
  o.group_id = kGroupId;
  o.device_id = device_id.c_str();
  o.user_id = "bob";
  o.uplink_parent = kUplinkParent;
  o.downlink_parent = kDownlinkParent;
  o.data_dir = data_dir.c_str();
  o.trusted_keys = keys.empty() ? nullptr : keys.data();
  o.trusted_key_count = keys.size();

  cs_listener_t l = CS_LISTENER_INIT;
  l.user_data = this;
  l.on_incoming_call = &SdkDevice::on_incoming;
  l.on_call_state = &SdkDevice::on_state;
  l.on_connection = &SdkDevice::on_connection;
  cs_error_t err{};
  if (cs_client_create(&o, &l, &client_, &err) != CS_OK) {
    throw std::runtime_error("cs_client_create " + client_id_ + ": " + err.message);
  }
  if (cs_client_connect(client_, &err) != CS_OK) {
    cs_client_destroy(client_);
    throw std::runtime_error("cs_client_connect " + client_id_ + ": " + err.message);
  }
}

void SdkDevice::wait_connected() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::seconds(10), [this] { return connected_; })) {
    throw std::runtime_error(client_id_ + ": not connected within 10 s");
  }
}

SdkDevice::~SdkDevice() { cs_client_destroy(client_); }

void SdkDevice::on_incoming(void* self, const cs_incoming_call_t* event) {
  const SteadyClock::time_point now = SteadyClock::now();
  SdkDevice& device = *static_cast<SdkDevice*>(self);
  std::lock_guard<std::mutex> lock(device.mu_);
  device.rings_.emplace(event->call_id, now);
  device.cv_.notify_all();
}

void SdkDevice::on_state(void* self, const cs_call_state_event_t* event) {
  if (event->state != CS_CALL_ENDED) return;
  SdkDevice& device = *static_cast<SdkDevice*>(self);
  std::lock_guard<std::mutex> lock(device.mu_);
  device.ended_.insert(event->call_id);
  device.cv_.notify_all();
}

void SdkDevice::on_connection(void* self, const cs_connection_event_t* event) {
  if (event->state != CS_CONNECTION_CONNECTED) return;
  SdkDevice& device = *static_cast<SdkDevice*>(self);
  std::lock_guard<std::mutex> lock(device.mu_);
  device.connected_ = true;
  device.cv_.notify_all();
}

bool SdkDevice::wait_ring(const std::string& call_id, std::chrono::milliseconds timeout, SteadyClock::time_point* at) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    auto found = rings_.find(call_id);
    if (found == rings_.end()) return false;
    *at = found->second;
    rings_.erase(found);
    return true;
  });
}

bool SdkDevice::wait_ended(const std::string& call_id, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return ended_.count(call_id) != 0; })) return false;
  ended_.erase(call_id);
  return true;
}

}  // namespace callsignal::bench
