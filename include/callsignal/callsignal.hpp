// callsignal.hpp: a thin, header-only C++17 layer over the C ABI (callsignal.h), for desktop apps.
//
// It adds no behaviour of its own: every member is one C call, with C++ types at the edges.
//   - sdk::Client owns one cs_client_t (move-only; the destructor is cs_client_destroy()).
//   - sdk::ClientOptions holds the options as std::string / std::vector; the C struct pointing
//     into it is built only for the duration of the create call (the SDK copies what it keeps).
//   - sdk::Listener is a set of std::function members, one per C callback; an empty one is not
//     registered. The listener is copied into the client at construction. Events arrive as C++
//     structs that own their strings, so a handler may keep them.
//   - Failures throw sdk::Error (code() and what(), the C error's message). Exceptions were chosen
//     over error codes because the constructor of an RAII handle has no other way to fail, and so
//     that one mechanism serves every member; a command the C ABI refuses (accept on a call that
//     just ended) is rare and worth a catch at the call site.
//   - No exception ever crosses into the C library: each callback trampoline catches everything a
//     handler throws and hands it to Listener::on_exception (if set), never further.
//
// Threads: as in callsignal.h. Handlers run on the SDK's event thread, serially; any Client member
// may be called from one, destroying the Client included (the SDK then releases the listener once
// the running handler returns). A Client object itself is not to be moved while another thread
// uses it.
#ifndef CALLSIGNAL_CALLSIGNAL_HPP
#define CALLSIGNAL_CALLSIGNAL_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "callsignal/callsignal.h"

// sdk, not callsignal itself: the core library is written in namespace callsignal (Client,
// ConnectionState, ...), and programs that see both (our own tests) must not get two Clients.
namespace callsignal::sdk {

// ---- codes and enumerations (values equal to the C ones) ---------------------------------------

enum class Errc : int {
  ok = CS_OK, invalid_argument = CS_E_INVALID_ARGUMENT, invalid_config = CS_E_INVALID_CONFIG,
  invalid_state = CS_E_INVALID_STATE, closed = CS_E_CLOSED, outbox_full = CS_E_OUTBOX_FULL,
  io = CS_E_IO, not_connected = CS_E_NOT_CONNECTED, timeout = CS_E_TIMEOUT, tls = CS_E_TLS,
  auth = CS_E_AUTH, broker = CS_E_BROKER, expired = CS_E_EXPIRED, internal = CS_E_INTERNAL,
  no_memory = CS_E_NO_MEMORY, unknown_call = CS_E_UNKNOWN_CALL
};
enum class BrokerProfile : int { generic = CS_BROKER_GENERIC, alibaba = CS_BROKER_ALIBABA };
enum class MqttVersion : int { v3_1_1 = CS_MQTT_3_1_1, v5 = CS_MQTT_5 };
enum class AuthMode : int {
  none = CS_AUTH_NONE, username_password = CS_AUTH_USERNAME_PASSWORD,
  alibaba_signature = CS_AUTH_ALIBABA_SIGNATURE, alibaba_token = CS_AUTH_ALIBABA_TOKEN
};
enum class BusyPolicy : int { auto_reject = CS_BUSY_AUTO_REJECT, call_waiting = CS_BUSY_CALL_WAITING };
enum class Media : int { audio = CS_MEDIA_AUDIO, video = CS_MEDIA_VIDEO };
enum class ConnectionState : int {
  idle = CS_CONNECTION_IDLE, connecting = CS_CONNECTION_CONNECTING, connected = CS_CONNECTION_CONNECTED,
  disconnected = CS_CONNECTION_DISCONNECTED, closed = CS_CONNECTION_CLOSED
};
enum class CallState : int {
  idle = CS_CALL_IDLE, outgoing = CS_CALL_OUTGOING, dialing = CS_CALL_DIALING, incoming = CS_CALL_INCOMING,
  accepting = CS_CALL_ACCEPTING, connecting = CS_CALL_CONNECTING, active = CS_CALL_ACTIVE,
  recovered = CS_CALL_RECOVERED, ending = CS_CALL_ENDING, ended = CS_CALL_ENDED
};
enum class EndReason : int {
  none = CS_END_NONE, local_hangup = CS_END_LOCAL_HANGUP, remote_hangup = CS_END_REMOTE_HANGUP,
  rejected = CS_END_REJECTED, busy = CS_END_BUSY, no_answer = CS_END_NO_ANSWER, cancelled = CS_END_CANCELLED,
  answered_elsewhere = CS_END_ANSWERED_ELSEWHERE, rejected_elsewhere = CS_END_REJECTED_ELSEWHERE,
  kicked = CS_END_KICKED, ended_by_host = CS_END_ENDED_BY_HOST, expired = CS_END_EXPIRED,
  join_failed = CS_END_JOIN_FAILED, network_lost = CS_END_NETWORK_LOST,
  service_error = CS_END_SERVICE_ERROR, glare = CS_END_GLARE
};
enum class ParticipantState : int {
  invited = CS_PARTICIPANT_INVITED, ringing = CS_PARTICIPANT_RINGING, joined = CS_PARTICIPANT_JOINED,
  rejected = CS_PARTICIPANT_REJECTED, busy = CS_PARTICIPANT_BUSY, no_answer = CS_PARTICIPANT_NO_ANSWER,
  left = CS_PARTICIPANT_LEFT
};
enum class LogLevel : int {
  debug = CS_LOG_DEBUG, info = CS_LOG_INFO, warn = CS_LOG_WARN, error = CS_LOG_ERROR, off = CS_LOG_OFF
};

// Static names from the library ("active", "answered_elsewhere", "invalid argument").
inline const char* name(Errc code) noexcept { return cs_strerror(static_cast<int>(code)); }
inline const char* name(ConnectionState s) noexcept {
  return cs_connection_state_name(static_cast<cs_connection_state_t>(s));
}
inline const char* name(CallState s) noexcept { return cs_call_state_name(static_cast<cs_call_state_t>(s)); }
inline const char* name(EndReason r) noexcept { return cs_end_reason_name(static_cast<cs_end_reason_t>(r)); }
inline const char* name(ParticipantState s) noexcept {
  return cs_participant_state_name(static_cast<cs_participant_state_t>(s));
}

// The version of the library linked at run time; compare with CALLSIGNAL_VERSION_STRING.
inline std::string version() { return cs_version(); }

// ---- errors ---------------------------------------------------------------------------------------

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

namespace detail {

inline std::string str(const char* s) { return s ? std::string(s) : std::string(); }
inline const char* c_str_or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

inline std::vector<std::string> strings(const char* const* items, std::size_t count) {
  std::vector<std::string> out;
  if (items == nullptr) return out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(str(items[i]));
  return out;
}

inline std::vector<const char*> pointers(const std::vector<std::string>& items) {
  std::vector<const char*> out;
  out.reserve(items.size());
  for (const std::string& s : items) out.push_back(s.c_str());
  return out;
}

inline void check(int rc, const cs_error_t& err) {
  if (rc == CS_OK) return;
  std::string message = err.message[0] != '\0' ? std::string(err.message) : std::string(cs_strerror(rc));
  throw Error(static_cast<Errc>(rc), message);
}

}  // namespace detail

// ---- options --------------------------------------------------------------------------------------

struct TrustedKey {
  std::string key_id;
  std::string public_key;  // PEM "PUBLIC KEY", or the raw 32-byte Ed25519 key in base64
};

// The fields of cs_client_options_t (see there for meanings and defaults). An empty string is
// passed as NULL, and a zero number means the default, as in C.
struct ClientOptions {
  std::vector<std::string> broker_uris;
  BrokerProfile broker_profile = BrokerProfile::generic;
  MqttVersion mqtt_version = MqttVersion::v3_1_1;

  std::string group_id, device_id, user_id, uplink_parent, downlink_parent, platform;

  struct Auth {
    AuthMode mode = AuthMode::none;
    std::string username, password, access_key_id, access_key_secret, instance_id, token;
  } auth;

  struct Tls {
    bool enabled = false;
    std::string ca_file, ca_dir, client_cert_file, client_key_file, client_key_password;
    std::vector<std::string> spki_sha256_pins;
    bool skip_hostname_check = false;
    bool insecure_skip_verify = false;
  } tls;

  std::uint32_t keepalive_s = 0, connect_timeout_s = 0, backoff_initial_ms = 0, backoff_max_ms = 0,
                session_expiry_s = 0;
  std::string data_dir;  // empty: memory only
  bool fsync = false;
  std::vector<TrustedKey> trusted_keys;

  std::uint32_t request_timeout_ms = 0, ring_timeout_ms = 0, join_timeout_ms = 0, request_lifetime_ms = 0,
                keepalive_interval_ms = 0, peer_silence_ms = 0;
  BusyPolicy busy_policy = BusyPolicy::auto_reject;
  std::uint32_t max_group = 0;

  std::uint32_t max_payload_bytes = 0, max_outbox_messages = 0, max_outbox_bytes = 0, skew_tolerance_ms = 0,
                max_future_ms = 0;
};

// ---- events ---------------------------------------------------------------------------------------

struct ConnectionEvent {
  ConnectionState state = ConnectionState::idle;
  bool session_present = false;
  Errc reason = Errc::ok;  // disconnected: why
  std::string detail, broker_uri;
  std::uint32_t attempt = 0, retry_in_ms = 0;
};

struct IncomingCall {
  std::string call_id, caller;
  Media media = Media::audio;
  std::string custom_json;
  std::vector<std::string> callees, members;
  bool waiting = false, auto_accepted = false;
  bool replayed = false;  // see cs_incoming_call_t::replayed
};

struct CallStateEvent {
  std::string call_id;
  CallState state = CallState::idle;
  EndReason end_reason = EndReason::none;
};

struct RtcParams {
  std::string call_id, vendor;
  std::map<std::string, std::string> params;
  std::string params_json;
};

struct Participant {
  std::string user_id;
  ParticipantState state = ParticipantState::invited;
};

struct ParticipantsEvent {
  std::string call_id;
  std::vector<Participant> participants;  // everyone but us, sorted by user id
};

struct MuteRequest {
  std::string call_id, by;
  bool audio = false, video = false;
};

struct MissedCall {
  std::string call_id, caller;
  EndReason reason = EndReason::none;
};

struct ErrorEvent {
  Errc code = Errc::internal;
  std::string call_id, what, message;
};

// One handler per C callback; empty ones are not registered. `on_exception` receives whatever a
// handler threw, with the callback's name ("on_connection"); what it throws is dropped.
struct Listener {
  std::function<void(const ConnectionEvent&)> on_connection;
  std::function<void(const IncomingCall&)> on_incoming_call;
  std::function<void(const CallStateEvent&)> on_call_state;
  std::function<void(const std::string& request_id, const std::string& call_id)> on_call_id;
  std::function<void(const RtcParams&)> on_join_rtc;
  std::function<void(const RtcParams&)> on_rtc_update;
  std::function<void(const std::string& call_id)> on_leave_rtc;
  std::function<void(const ParticipantsEvent&)> on_participants;
  std::function<void(const MuteRequest&)> on_mute_request;
  std::function<void(const MissedCall&)> on_missed_call;
  std::function<void(const ErrorEvent&)> on_error;
  std::function<void(const char* callback, std::exception_ptr error)> on_exception;
};

struct Stats {
  std::uint64_t received = 0, delivered = 0, duplicates_dropped = 0, expired_dropped = 0, invalid_dropped = 0,
                forged_dropped = 0, reconnects = 0, outbound_queued = 0;
};

namespace detail {

// What the SDK holds as user_data: the listener, until the SDK calls release (which deletes it).
// While cs_client_create() runs, released_flag tells the creator whether release already ran.
struct ListenerBox {
  Listener listener;
  bool* released_flag = nullptr;

  template <class Handler, class... Args>
  void call(const char* callback, const Handler& handler, Args&&... args) noexcept {
    try {
      handler(std::forward<Args>(args)...);
    } catch (...) {
      if (!listener.on_exception) return;
      try {
        listener.on_exception(callback, std::current_exception());
      } catch (...) {
      }
    }
  }

  static ListenerBox& of(void* user_data) noexcept { return *static_cast<ListenerBox*>(user_data); }

  static RtcParams rtc(const cs_rtc_params_t* p) {
    RtcParams out{str(p->call_id), str(p->vendor), {}, str(p->params_json)};
    for (std::size_t i = 0; p->params != nullptr && i < p->param_count; ++i)
      out.params[str(p->params[i].key)] = str(p->params[i].value);
    return out;
  }

  // The trampolines: each converts inside the try, so a failed conversion (bad_alloc) is caught too.
  static void release(void* u) noexcept {
    ListenerBox* box = static_cast<ListenerBox*>(u);
    if (box->released_flag != nullptr) *box->released_flag = true;
    delete box;
  }
  static void connection(void* u, const cs_connection_event_t* e) noexcept {
    of(u).call("on_connection", [&] {
      of(u).listener.on_connection(ConnectionEvent{static_cast<ConnectionState>(e->state), e->session_present != 0,
                                                   static_cast<Errc>(e->reason), str(e->detail), str(e->broker_uri),
                                                   e->attempt, e->retry_in_ms});
    });
  }
  static void incoming(void* u, const cs_incoming_call_t* e) noexcept {
    of(u).call("on_incoming_call", [&] {
      of(u).listener.on_incoming_call(IncomingCall{
          str(e->call_id), str(e->caller), static_cast<Media>(e->media), str(e->custom_json),
          strings(e->callees, e->callee_count), strings(e->members, e->member_count), e->waiting != 0,
          e->auto_accepted != 0, e->replayed != 0});
    });
  }
  static void call_state(void* u, const cs_call_state_event_t* e) noexcept {
    of(u).call("on_call_state", [&] {
      of(u).listener.on_call_state(CallStateEvent{str(e->call_id), static_cast<CallState>(e->state),
                                                  static_cast<EndReason>(e->end_reason)});
    });
  }
  static void call_id(void* u, const char* request_id, const char* id) noexcept {
    of(u).call("on_call_id", [&] { of(u).listener.on_call_id(str(request_id), str(id)); });
  }
  static void join_rtc(void* u, const cs_rtc_params_t* p) noexcept {
    of(u).call("on_join_rtc", [&] { of(u).listener.on_join_rtc(rtc(p)); });
  }
  static void rtc_update(void* u, const cs_rtc_params_t* p) noexcept {
    of(u).call("on_rtc_update", [&] { of(u).listener.on_rtc_update(rtc(p)); });
  }
  static void leave_rtc(void* u, const char* id) noexcept {
    of(u).call("on_leave_rtc", [&] { of(u).listener.on_leave_rtc(str(id)); });
  }
  static void participants(void* u, const cs_participants_event_t* e) noexcept {
    of(u).call("on_participants", [&] {
      ParticipantsEvent out{str(e->call_id), {}};
      for (std::size_t i = 0; e->participants != nullptr && i < e->participant_count; ++i)
        out.participants.push_back(
            Participant{str(e->participants[i].user_id), static_cast<ParticipantState>(e->participants[i].state)});
      of(u).listener.on_participants(out);
    });
  }
  static void mute_request(void* u, const cs_mute_request_t* e) noexcept {
    of(u).call("on_mute_request", [&] {
      of(u).listener.on_mute_request(MuteRequest{str(e->call_id), str(e->by), e->audio != 0, e->video != 0});
    });
  }
  static void missed_call(void* u, const cs_missed_call_t* e) noexcept {
    of(u).call("on_missed_call", [&] {
      of(u).listener.on_missed_call(MissedCall{str(e->call_id), str(e->caller), static_cast<EndReason>(e->reason)});
    });
  }
  static void error(void* u, const cs_error_event_t* e) noexcept {
    of(u).call("on_error", [&] {
      of(u).listener.on_error(ErrorEvent{static_cast<Errc>(e->code), str(e->call_id), str(e->what), str(e->message)});
    });
  }
};

}  // namespace detail

// ---- the client -----------------------------------------------------------------------------------

class Client {
 public:
  // cs_client_create(). Throws Error (invalid_config naming the field, io, tls, ...).
  Client(const ClientOptions& options, Listener listener) {
    using detail::c_str_or_null;
    std::vector<const char*> uris = detail::pointers(options.broker_uris);
    std::vector<const char*> pins = detail::pointers(options.tls.spki_sha256_pins);
    std::vector<cs_trusted_key_t> keys;
    for (const TrustedKey& k : options.trusted_keys) keys.push_back({k.key_id.c_str(), k.public_key.c_str()});

    cs_client_options_t o = CS_CLIENT_OPTIONS_INIT;
    o.broker_uris = uris.data();
    o.broker_uri_count = uris.size();
    o.broker_profile = static_cast<cs_broker_profile_t>(options.broker_profile);
    o.mqtt_version = static_cast<cs_mqtt_version_t>(options.mqtt_version);
    o.group_id = c_str_or_null(options.group_id);
    o.device_id = c_str_or_null(options.device_id);
    o.user_id = c_str_or_null(options.user_id);
    o.uplink_parent = c_str_or_null(options.uplink_parent);
    o.downlink_parent = c_str_or_null(options.downlink_parent);
    o.platform = c_str_or_null(options.platform);
    o.auth.mode = static_cast<cs_auth_mode_t>(options.auth.mode);
    o.auth.username = c_str_or_null(options.auth.username);
    o.auth.password = c_str_or_null(options.auth.password);
    o.auth.access_key_id = c_str_or_null(options.auth.access_key_id);
    o.auth.access_key_secret = c_str_or_null(options.auth.access_key_secret);
    o.auth.instance_id = c_str_or_null(options.auth.instance_id);
    o.auth.token = c_str_or_null(options.auth.token);
    o.tls.enabled = options.tls.enabled ? 1 : 0;
    o.tls.ca_file = c_str_or_null(options.tls.ca_file);
    o.tls.ca_dir = c_str_or_null(options.tls.ca_dir);
    o.tls.client_cert_file = c_str_or_null(options.tls.client_cert_file);
    o.tls.client_key_file = c_str_or_null(options.tls.client_key_file);
    o.tls.client_key_password = c_str_or_null(options.tls.client_key_password);
    o.tls.spki_sha256_pins = pins.data();
    o.tls.spki_sha256_pin_count = pins.size();
    o.tls.skip_hostname_check = options.tls.skip_hostname_check ? 1 : 0;
    o.tls.insecure_skip_verify = options.tls.insecure_skip_verify ? 1 : 0;
    o.keepalive_s = options.keepalive_s;
    o.connect_timeout_s = options.connect_timeout_s;
    o.backoff_initial_ms = options.backoff_initial_ms;
    o.backoff_max_ms = options.backoff_max_ms;
    o.session_expiry_s = options.session_expiry_s;
    o.data_dir = c_str_or_null(options.data_dir);
    o.fsync = options.fsync ? 1 : 0;
    o.trusted_keys = keys.data();
    o.trusted_key_count = keys.size();
    o.request_timeout_ms = options.request_timeout_ms;
    o.ring_timeout_ms = options.ring_timeout_ms;
    o.join_timeout_ms = options.join_timeout_ms;
    o.request_lifetime_ms = options.request_lifetime_ms;
    o.keepalive_interval_ms = options.keepalive_interval_ms;
    o.peer_silence_ms = options.peer_silence_ms;
    o.busy_policy = static_cast<cs_busy_policy_t>(options.busy_policy);
    o.max_group = options.max_group;
    o.max_payload_bytes = options.max_payload_bytes;
    o.max_outbox_messages = options.max_outbox_messages;
    o.max_outbox_bytes = options.max_outbox_bytes;
    o.skew_tolerance_ms = options.skew_tolerance_ms;
    o.max_future_ms = options.max_future_ms;

    using Box = detail::ListenerBox;
    Box* box = new Box{std::move(listener), nullptr};
    const Listener& l = box->listener;
    cs_listener_t c = CS_LISTENER_INIT;
    c.user_data = box;
    c.release = &Box::release;
    if (l.on_connection) c.on_connection = &Box::connection;
    if (l.on_incoming_call) c.on_incoming_call = &Box::incoming;
    if (l.on_call_state) c.on_call_state = &Box::call_state;
    if (l.on_call_id) c.on_call_id = &Box::call_id;
    if (l.on_join_rtc) c.on_join_rtc = &Box::join_rtc;
    if (l.on_rtc_update) c.on_rtc_update = &Box::rtc_update;
    if (l.on_leave_rtc) c.on_leave_rtc = &Box::leave_rtc;
    if (l.on_participants) c.on_participants = &Box::participants;
    if (l.on_mute_request) c.on_mute_request = &Box::mute_request;
    if (l.on_missed_call) c.on_missed_call = &Box::missed_call;
    if (l.on_error) c.on_error = &Box::error;

    // The SDK calls release when a create fails after reading the listener, not before: the flag
    // says which, so the box is freed exactly once either way.
    bool released = false;
    box->released_flag = &released;
    cs_error_t err{};
    int rc = cs_client_create(&o, &c, &handle_, &err);
    if (!released) {
      if (rc == CS_OK) {
        box->released_flag = nullptr;
      } else {
        delete box;
      }
    }
    detail::check(rc, err);
  }

  ~Client() { cs_client_destroy(handle_); }
  Client(Client&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Client& operator=(Client&& other) noexcept {
    if (this != &other) {
      cs_client_destroy(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // cs_client_destroy() now (see callsignal.h for destroying from inside a handler). The object
  // is then empty: any other member is undefined behaviour, as with a moved-from Client.
  void destroy() noexcept { cs_client_destroy(std::exchange(handle_, nullptr)); }
  cs_client_t* native_handle() const noexcept { return handle_; }

  void connect() { run(&cs_client_connect); }
  void disconnect() { run(&cs_client_disconnect); }
  ConnectionState connection_state() const noexcept {
    return static_cast<ConnectionState>(cs_client_connection_state(handle_));
  }

  // Returns the request id that names the call until on_call_id gives the service's id.
  std::string start_call(const std::vector<std::string>& callees, Media media = Media::audio,
                         const std::string& custom_json = std::string()) {
    std::vector<const char*> c = detail::pointers(callees);
    cs_call_options_t o = CS_CALL_OPTIONS_INIT;
    o.callees = c.data();
    o.callee_count = c.size();
    o.media = static_cast<cs_media_t>(media);
    o.custom_json = detail::c_str_or_null(custom_json);
    char id[CS_CALL_ID_SIZE] = {};
    cs_error_t err{};
    detail::check(cs_client_start_call(handle_, &o, id, &err), err);
    return id;
  }
  void accept(const std::string& call_id) { run(&cs_client_accept, call_id.c_str()); }
  // An empty reason is "declined".
  void reject(const std::string& call_id, const std::string& reason = std::string()) {
    run(&cs_client_reject, call_id.c_str(), detail::c_str_or_null(reason));
  }
  void cancel(const std::string& call_id) { run(&cs_client_cancel, call_id.c_str()); }
  void hangup(const std::string& call_id) { run(&cs_client_hangup, call_id.c_str()); }
  void invite(const std::string& call_id, const std::vector<std::string>& users) {
    std::vector<const char*> u = detail::pointers(users);
    run(&cs_client_invite, call_id.c_str(), u.data(), u.size());
  }
  void request_mute(const std::string& call_id, const std::string& target, bool audio, bool video) {
    run(&cs_client_request_mute, call_id.c_str(), target.c_str(), audio ? 1 : 0, video ? 1 : 0);
  }
  void kick(const std::string& call_id, const std::string& target) {
    run(&cs_client_kick, call_id.c_str(), target.c_str());
  }
  void end_for_all(const std::string& call_id) { run(&cs_client_end_for_all, call_id.c_str()); }

  void rtc_joined(const std::string& call_id) { run(&cs_client_rtc_joined, call_id.c_str()); }
  void rtc_left(const std::string& call_id) { run(&cs_client_rtc_left, call_id.c_str()); }
  void rtc_failed(const std::string& call_id, const std::string& why = std::string()) {
    run(&cs_client_rtc_failed, call_id.c_str(), detail::c_str_or_null(why));
  }
  void rtc_token_expiring(const std::string& call_id) { run(&cs_client_rtc_token_expiring, call_id.c_str()); }

  void app_foreground() { run(&cs_client_app_foreground); }
  void app_background() { run(&cs_client_app_background); }
  void network_changed() { run(&cs_client_network_changed); }
  void push_received(std::string_view payload) {
    run(&cs_client_push_received, payload.empty() ? "" : payload.data(), payload.size());
  }
  void renew_token(const std::string& token) { run(&cs_client_renew_token, token.c_str()); }

  Stats stats() const {
    cs_stats_t s = CS_STATS_INIT;
    cs_error_t err{};
    detail::check(cs_client_get_stats(handle_, &s, &err), err);
    return Stats{s.received,       s.delivered,       s.duplicates_dropped, s.expired_dropped,
                 s.invalid_dropped, s.forged_dropped, s.reconnects,          s.outbound_queued};
  }

 private:
  template <class... Params, class... Args>
  void run(int (*fn)(cs_client_t*, Params...), Args... args) {
    cs_error_t err{};
    detail::check(fn(handle_, args..., &err), err);
  }

  cs_client_t* handle_ = nullptr;
};

// ---- logging --------------------------------------------------------------------------------------

// Installs the process-wide log handler (cs_log_set_handler): it runs on any SDK thread, possibly
// several at once, and must not call set_log_handler. What it throws is dropped. An empty handler
// turns logging off. The previous handler is destroyed once no thread is inside it.
inline void set_log_handler(LogLevel min_level, std::function<void(LogLevel, std::string_view)> handler) {
  using Handler = std::function<void(LogLevel, std::string_view)>;
  if (!handler) {
    cs_log_set_handler(static_cast<cs_log_level_t>(min_level), nullptr, nullptr, nullptr);
    return;
  }
  struct Trampoline {
    static void log(void* u, cs_log_level_t level, const char* message) noexcept {
      try {
        (*static_cast<Handler*>(u))(static_cast<LogLevel>(level), message ? message : "");
      } catch (...) {
      }
    }
    static void release(void* u) noexcept { delete static_cast<Handler*>(u); }
  };
  cs_log_set_handler(static_cast<cs_log_level_t>(min_level), &Trampoline::log, new Handler(std::move(handler)),
                     &Trampoline::release);
}

}  // namespace callsignal::sdk

#endif  // CALLSIGNAL_CALLSIGNAL_HPP
