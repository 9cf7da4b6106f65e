#include "capi_support.h"

#include <unistd.h>

#include <random>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "core/envelope/message_type.h"
#include "support/frames.h"

namespace callsignal::capi_test {

std::string unique_device(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  static const unsigned salt = std::random_device{}() % 100000;
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(salt) + "-" + std::to_string(++counter);
}

TestOptions::TestOptions(std::string uri_in, std::string user, std::string device)
    : uri(std::move(uri_in)), device_id(std::move(device)), user_id(std::move(user)) {}

void TestOptions::trust(const std::string& key_id, const std::string& public_key) {
  key_text.push_back(key_id);
  key_text.push_back(public_key);
}

cs_client_options_t& TestOptions::options() {
  chosen_uris_ = uris.empty() ? std::vector<std::string>{uri} : uris;
  uri_ptrs_.clear();
  for (const std::string& u : chosen_uris_) uri_ptrs_.push_back(u.c_str());
  keys.clear();
  for (std::size_t i = 0; i + 1 < key_text.size(); i += 2) keys.push_back({key_text[i].c_str(), key_text[i + 1].c_str()});

  c = CS_CLIENT_OPTIONS_INIT;
  c.broker_uris = uri_ptrs_.data();
  c.broker_uri_count = uri_ptrs_.size();
  c.group_id = group_id.c_str();
  c.device_id = device_id.c_str();
  c.user_id = user_id.c_str();
  c.uplink_parent = uplink.c_str();
  c.downlink_parent = downlink.c_str();
  c.keepalive_s = 5;
  c.connect_timeout_s = 3;
  c.backoff_initial_ms = 100;
  c.backoff_max_ms = 1000;
  c.trusted_keys = keys.empty() ? nullptr : keys.data();
  c.trusted_key_count = keys.size();
  return c;
}

Recorder::Scope::Scope(Recorder& recorder) : r(recorder) {
  ++r.callbacks;
  ++r.inside;
  r.callback_thread = std::this_thread::get_id();
  if (r.release_count() > 0) ++r.after_release;
  if (int delay = r.callback_delay_us.load(); delay > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay));
}

Recorder::Scope::~Scope() { --r.inside; }

namespace {

Recorder& of(void* user_data) { return *static_cast<Recorder*>(user_data); }
std::string str(const char* s) { return s ? s : "<null>"; }

std::vector<std::string> strings(const char* const* items, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; items != nullptr && i < n; ++i) out.push_back(str(items[i]));
  return out;
}

RtcRecord rtc(const cs_rtc_params_t* p) {
  RtcRecord out{str(p->call_id), str(p->vendor), str(p->params_json), {}};
  for (std::size_t i = 0; i < p->param_count; ++i) out.params.emplace_back(str(p->params[i].key), str(p->params[i].value));
  return out;
}

}  // namespace

cs_listener_t Recorder::listener() {
  cs_listener_t l = CS_LISTENER_INIT;
  l.user_data = this;
  l.release = [](void* u) { of(u).released_on.push(std::this_thread::get_id()); };
  l.on_connection = [](void* u, const cs_connection_event_t* e) {
    Scope scope(of(u));
    if (of(u).connection_hook != nullptr) of(u).connection_hook(of(u), *e);
    of(u).connection.push({e->state, e->reason, str(e->detail), str(e->broker_uri)});
  };
  l.on_incoming_call = [](void* u, const cs_incoming_call_t* e) {
    Scope scope(of(u));
    of(u).incoming.push({str(e->call_id), str(e->caller), str(e->custom_json), e->media,
                         strings(e->callees, e->callee_count), strings(e->members, e->member_count), e->waiting != 0});
  };
  l.on_call_state = [](void* u, const cs_call_state_event_t* e) {
    Scope scope(of(u));
    of(u).states.push({str(e->call_id), e->state, e->end_reason});
  };
  l.on_call_id = [](void* u, const char* request_id, const char* call_id) {
    Scope scope(of(u));
    of(u).call_ids.push({str(request_id), str(call_id)});
  };
  l.on_join_rtc = [](void* u, const cs_rtc_params_t* p) {
    Scope scope(of(u));
    of(u).join_rtc.push(rtc(p));
  };
  l.on_rtc_update = [](void* u, const cs_rtc_params_t* p) {
    Scope scope(of(u));
    of(u).rtc_update.push(rtc(p));
  };
  l.on_leave_rtc = [](void* u, const char* call_id) {
    Scope scope(of(u));
    of(u).leave_rtc.push(str(call_id));
  };
  l.on_participants = [](void* u, const cs_participants_event_t*) { Scope scope(of(u)); };
  l.on_mute_request = [](void* u, const cs_mute_request_t*) { Scope scope(of(u)); };
  l.on_missed_call = [](void* u, const cs_missed_call_t* e) {
    Scope scope(of(u));
    of(u).missed.push(str(e->call_id));
  };
  l.on_error = [](void* u, const cs_error_event_t* e) {
    Scope scope(of(u));
    of(u).errors.push({e->code, str(e->call_id), str(e->what), str(e->message)});
  };
  return l;
}

bool Recorder::wait_state(cs_connection_state_t state, std::size_t times, std::chrono::milliseconds timeout) {
  return connection.wait_for_count([state](const ConnectionRecord& r) { return r.state == state; }, times, timeout);
}

bool Recorder::wait_call_state(const std::string& call_id, cs_call_state_t state, std::chrono::milliseconds timeout) {
  return states.wait_for_count([&](const StateRecord& r) { return r.call_id == call_id && r.state == state; }, 1,
                               timeout);
}

ClientPtr create_client(TestOptions& options, Recorder& recorder) {
  cs_listener_t listener = recorder.listener();
  cs_client_t* client = nullptr;
  cs_error_t err{};
  int rc = cs_client_create(&options.options(), &listener, &client, &err);
  INFO("cs_client_create: " << cs_strerror(rc) << ": " << err.message);
  REQUIRE(rc == CS_OK);
  REQUIRE(client != nullptr);
  return ClientPtr(client);
}

std::string service_frame(const std::string& type_name, const std::string& client_id, const std::string& call_id,
                          const std::string& callee, std::int64_t ttl_ms) {
  auto type = parse_message_type(type_name);
  if (!type) throw std::invalid_argument("no message type " + type_name);
  Envelope message = test::downlink(*type, client_id, call_id, ttl_ms);
  if (*type == MessageType::invite) message.body.set_string_list("callees", {callee});
  return test::frame_of(message, nullptr);
}

}  // namespace callsignal::capi_test
