#include "capi/capi_listener.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace callsignal::capi {
namespace {

std::vector<const char*> pointers_to(const std::vector<std::string>& strings) {
  std::vector<const char*> out;
  out.reserve(strings.size());
  for (const std::string& s : strings) out.push_back(s.c_str());
  return out;
}

std::string json_object_of(const std::map<std::string, std::string>& params) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  for (const auto& [key, value] : params) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Hands `params` to `callback` as a cs_rtc_params_t.
void call_with_rtc(void (*callback)(void*, const cs_rtc_params_t*), void* user_data, const std::string& call_id,
                   const std::string& vendor, const std::map<std::string, std::string>& params) {
  if (callback == nullptr) return;
  std::vector<cs_rtc_param_t> entries;
  entries.reserve(params.size());
  for (const auto& [key, value] : params) entries.push_back({key.c_str(), value.c_str()});
  const std::string json = json_object_of(params);
  cs_rtc_params_t c{call_id.c_str(), vendor.c_str(), entries.data(), entries.size(), json.c_str()};
  callback(user_data, &c);
}

}  // namespace

AppListener::~AppListener() {
  if (c_.release != nullptr) c_.release(c_.user_data);
}

void AppListener::on_connection(const ConnectionEvent& event) {
  if (c_.on_connection == nullptr) return;
  cs_connection_event_t c{};
  c.state = static_cast<cs_connection_state_t>(event.state);
  c.session_present = event.session_present ? 1 : 0;
  c.reason = static_cast<int>(event.reason);
  c.detail = event.detail.c_str();
  c.broker_uri = event.broker_uri.c_str();
  c.attempt = event.attempt;
  c.retry_in_ms = static_cast<std::uint32_t>(event.retry_in.count());
  c_.on_connection(c_.user_data, &c);
}

void AppListener::on_incoming_call(const NotifyIncoming& event) {
  if (c_.on_incoming_call == nullptr) return;
  const std::vector<const char*> callees = pointers_to(event.callees);
  const std::vector<const char*> members = pointers_to(event.members);
  cs_incoming_call_t c{};
  c.call_id = event.call_id.c_str();
  c.caller = event.caller.c_str();
  c.media = static_cast<cs_media_t>(event.media);
  c.custom_json = event.custom_json.c_str();
  c.callees = callees.data();
  c.callee_count = callees.size();
  c.members = members.data();
  c.member_count = members.size();
  c.waiting = event.waiting ? 1 : 0;
  c.auto_accepted = event.auto_accepted ? 1 : 0;
  c.replayed = event.replayed ? 1 : 0;
  c_.on_incoming_call(c_.user_data, &c);
}

void AppListener::on_call_state(const NotifyState& event) {
  if (c_.on_call_state == nullptr) return;
  cs_call_state_event_t c{};
  c.call_id = event.call_id.c_str();
  c.state = static_cast<cs_call_state_t>(event.state);
  c.end_reason = event.reason ? static_cast<cs_end_reason_t>(*event.reason) : CS_END_NONE;
  c_.on_call_state(c_.user_data, &c);
}

void AppListener::on_call_id(const NotifyCallId& event) {
  if (c_.on_call_id != nullptr) c_.on_call_id(c_.user_data, event.request_id.c_str(), event.call_id.c_str());
}

void AppListener::on_join_rtc(const JoinRtc& event) {
  call_with_rtc(c_.on_join_rtc, c_.user_data, event.call_id, event.vendor, event.rtc);
}

void AppListener::on_rtc_update(const UpdateRtc& event) {
  call_with_rtc(c_.on_rtc_update, c_.user_data, event.call_id, std::string(), event.rtc);
}

void AppListener::on_leave_rtc(const LeaveRtc& event) {
  if (c_.on_leave_rtc != nullptr) c_.on_leave_rtc(c_.user_data, event.call_id.c_str());
}

void AppListener::on_participants(const NotifyParticipants& event) {
  if (c_.on_participants == nullptr) return;
  std::vector<cs_participant_t> entries;
  entries.reserve(event.participants.size());
  for (const auto& [user, state] : event.participants) {
    entries.push_back({user.c_str(), static_cast<cs_participant_state_t>(state)});
  }
  cs_participants_event_t c{event.call_id.c_str(), entries.data(), entries.size()};
  c_.on_participants(c_.user_data, &c);
}

void AppListener::on_mute_request(const NotifyMuteRequested& event) {
  if (c_.on_mute_request == nullptr) return;
  cs_mute_request_t c{event.call_id.c_str(), event.by.c_str(), event.audio ? 1 : 0, event.video ? 1 : 0};
  c_.on_mute_request(c_.user_data, &c);
}

void AppListener::on_missed_call(const MissedCallEvent& event) {
  if (c_.on_missed_call == nullptr) return;
  cs_missed_call_t c{event.call_id.c_str(), event.caller.c_str(), static_cast<cs_end_reason_t>(event.reason)};
  c_.on_missed_call(c_.user_data, &c);
}

void AppListener::on_error(const ClientError& error) {
  if (c_.on_error == nullptr) return;
  cs_error_event_t c{to_c_code(error.code), error.call_id.c_str(), error.what.c_str(), error.message.c_str()};
  c_.on_error(c_.user_data, &c);
}

}  // namespace callsignal::capi
