// Versions, error names and enum names: static strings, no allocation.
#include "capi/capi_support.h"
#include "core/call/call_types.h"
#include "core/session/session.h"

using namespace callsignal;

// The C enums and the core's share their values: names are looked up through the core.
static_assert(CS_CALL_ENDED == static_cast<int>(CallState::ended) && kCallStateCount == 10);
static_assert(CS_CALL_RECOVERED == static_cast<int>(CallState::recovered));
static_assert(CS_END_GLARE == static_cast<int>(EndReason::glare) && kEndReasonCount == 15);
static_assert(CS_END_JOIN_FAILED == static_cast<int>(EndReason::join_failed));
static_assert(CS_PARTICIPANT_LEFT == static_cast<int>(ParticipantState::left));
static_assert(CS_MEDIA_VIDEO == static_cast<int>(Media::video));
static_assert(CS_CONNECTION_CLOSED == static_cast<int>(ConnectionState::closed));
static_assert(CS_CONNECTION_CONNECTED == static_cast<int>(ConnectionState::connected));

extern "C" {

const char* cs_version(void) noexcept { return CALLSIGNAL_VERSION_STRING; }

int cs_version_number(void) noexcept { return CALLSIGNAL_VERSION_NUMBER; }

const char* cs_strerror(int code) noexcept {
  if (code < 0 || code > CS_E_UNKNOWN_CALL) return "unknown error";
  return errc_name(static_cast<Errc>(code));
}

const char* cs_call_state_name(cs_call_state_t state) noexcept {
  const int value = capi::enum_value(state);
  if (value < CS_CALL_IDLE || value > CS_CALL_ENDED) return "unknown";
  return to_string(static_cast<CallState>(value));
}

const char* cs_end_reason_name(cs_end_reason_t reason) noexcept {
  const int value = capi::enum_value(reason);
  if (value == CS_END_NONE) return "none";
  if (value < CS_END_LOCAL_HANGUP || value > CS_END_GLARE) return "unknown";
  return to_string(static_cast<EndReason>(value));
}

const char* cs_connection_state_name(cs_connection_state_t state) noexcept {
  const int value = capi::enum_value(state);
  if (value < CS_CONNECTION_IDLE || value > CS_CONNECTION_CLOSED) return "unknown";
  return to_string(static_cast<ConnectionState>(value));
}

const char* cs_participant_state_name(cs_participant_state_t state) noexcept {
  const int value = capi::enum_value(state);
  if (value < CS_PARTICIPANT_INVITED || value > CS_PARTICIPANT_LEFT) return "unknown";
  return to_string(static_cast<ParticipantState>(value));
}

}  // extern "C"
