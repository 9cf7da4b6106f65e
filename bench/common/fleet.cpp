#include "common/fleet.h"

#include <filesystem>
#include <stdexcept>
#include <thread>

namespace callsignal::bench {

namespace {
std::string padded(std::size_t i) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%05zu", i);
  return buffer;
}
}  // namespace

Fleet::Fleet(FleetOptions options, FleetHandler* handler) : options_(std::move(options)), handler_(handler) {
  std::filesystem::create_directories(options_.data_root);
  const char* uris[] = {options_.broker_uri.c_str()};
  const cs_trusted_key_t keys[] = {{options_.key_id.c_str(), options_.public_key.c_str()}};
  members_.reserve(options_.clients);
  for (std::size_t i = 0; i < options_.clients; ++i) {
    auto member = std::make_unique<Member>();
    member->fleet = this;
    member->index = i;
    const std::string user_id = user(i);
    const std::string device = "d" + options_.tag + padded(i);
    const std::string dir = options_.data_root + "/c" + padded(i);

    cs_client_options_t o = CS_CLIENT_OPTIONS_INIT;
    o.broker_uris = uris;
    o.broker_uri_count = 1;
    o.group_id = "GID_bench";
    o.device_id = device.c_str();
    o.user_id = user_id.c_str();
    o.uplink_parent = options_.uplink.c_str();
    o.downlink_parent = options_.downlink.c_str();
    o.data_dir = dir.c_str();
    o.trusted_keys = keys;
    o.trusted_key_count = 1;
    o.backoff_initial_ms = options_.backoff_initial_ms;
    o.backoff_max_ms = options_.backoff_max_ms;

    cs_listener_t l = CS_LISTENER_INIT;
    l.user_data = member.get();
    l.on_connection = &Fleet::on_connection;
    l.on_incoming_call = &Fleet::incoming;
    l.on_join_rtc = &Fleet::join_rtc;
    l.on_leave_rtc = &Fleet::leave_rtc;
    l.on_call_state = &Fleet::call_state;
    l.on_missed_call = &Fleet::missed_call;
    l.on_error = &Fleet::error;
    cs_error_t err{};
    if (cs_client_create(&o, &l, &member->client, &err) != CS_OK) {
      destroy_all();
      throw std::runtime_error("cs_client_create " + device + ": " + err.message);
    }
    members_.push_back(std::move(member));
  }
}

Fleet::~Fleet() { destroy_all(); }

std::string Fleet::user(std::size_t i) const { return "u" + options_.tag + padded(i); }
std::string Fleet::client_id(std::size_t i) const { return "GID_bench@@@d" + options_.tag + padded(i); }

double Fleet::connect_all(std::chrono::milliseconds timeout) {
  const Clock::time_point start = Clock::now();
  for (auto& m : members_) {
    cs_error_t err{};
    if (cs_client_connect(m->client, &err) != CS_OK) {
      throw std::runtime_error("cs_client_connect: " + std::string(err.message));
    }
  }
  if (!wait_connected_at_least(members_.size(), timeout)) {
    throw std::runtime_error("only " + std::to_string(connected()) + " of " + std::to_string(members_.size()) +
                             " clients connected within " + std::to_string(timeout.count()) + " ms");
  }
  Clock::time_point last = start;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& m : members_) last = std::max(last, m->connected_at);
  return ms_between(start, last);
}

double Fleet::connect_one(std::size_t i, std::chrono::milliseconds timeout) {
  const Clock::time_point start = Clock::now();
  cs_error_t err{};
  if (cs_client_connect(members_[i]->client, &err) != CS_OK) {
    throw std::runtime_error("cs_client_connect: " + std::string(err.message));
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return members_[i]->connected; })) {
    throw std::runtime_error("client " + std::to_string(i) + " not connected within " + std::to_string(timeout.count()) +
                             " ms");
  }
  return ms_between(start, members_[i]->connected_at);
}

bool Fleet::wait_connected_at_least(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return connected_.load() >= n; });
}

bool Fleet::wait_connected_at_most(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return connected_.load() <= n; });
}

Clock::time_point Fleet::connected_at(std::size_t i) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return members_[i]->connected_at;
}

void Fleet::destroy_all() {
  // A clean destroy sends DISCONNECT and waits for it; a few threads keep 1,000 of them short.
  constexpr std::size_t kThreads = 8;
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (std::size_t i = t; i < members_.size(); i += kThreads) {
        cs_client_destroy(members_[i]->client);
        members_[i]->client = nullptr;
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

void Fleet::on_connection(void* user, const cs_connection_event_t* event) {
  Member* m = static_cast<Member*>(user);
  Fleet* f = m->fleet;
  std::lock_guard<std::mutex> lock(f->mutex_);
  if (event->state == CS_CONNECTION_CONNECTED) {
    if (!m->connected) {
      m->connected = true;
      m->connected_at = Clock::now();
      ++f->connected_;
    }
  } else if (m->connected) {
    m->connected = false;
    --f->connected_;
    ++f->disconnects_;
  }
  f->cv_.notify_all();
}

void Fleet::incoming(void* user, const cs_incoming_call_t* event) {
  Member* m = static_cast<Member*>(user);
  if (m->fleet->handler_) m->fleet->handler_->on_incoming_call(m->index, *event);
}
void Fleet::join_rtc(void* user, const cs_rtc_params_t* params) {
  Member* m = static_cast<Member*>(user);
  if (m->fleet->handler_) m->fleet->handler_->on_join_rtc(m->index, *params);
}
void Fleet::leave_rtc(void* user, const char* call_id) {
  Member* m = static_cast<Member*>(user);
  if (m->fleet->handler_) m->fleet->handler_->on_leave_rtc(m->index, call_id);
}
void Fleet::call_state(void* user, const cs_call_state_event_t* event) {
  Member* m = static_cast<Member*>(user);
  if (m->fleet->handler_) m->fleet->handler_->on_call_state(m->index, *event);
}
void Fleet::missed_call(void* user, const cs_missed_call_t* event) {
  Member* m = static_cast<Member*>(user);
  if (m->fleet->handler_) m->fleet->handler_->on_missed_call(m->index, *event);
}
void Fleet::error(void* user, const cs_error_event_t* event) {
  Member* m = static_cast<Member*>(user);
  if (m->fleet->handler_) m->fleet->handler_->on_error(m->index, *event);
}

}  // namespace callsignal::bench
