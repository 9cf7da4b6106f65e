#include "core/call/call_types.h"

#include <cstddef>
#include <iterator>

namespace callsignal {

namespace {

constexpr const char* kStateNames[] = {"idle",   "outgoing",  "dialing", "incoming", "accepting",
                                       "connecting", "active", "recovered", "ending", "ended"};
constexpr const char* kReasonNames[] = {"local_hangup",       "remote_hangup",      "rejected", "busy",
                                        "no_answer",          "cancelled",          "answered_elsewhere",
                                        "rejected_elsewhere", "kicked",             "ended_by_host",
                                        "expired",            "join_failed",        "network_lost",
                                        "service_error",      "glare"};
constexpr const char* kParticipantNames[] = {"invited", "ringing", "joined", "rejected", "busy", "no_answer", "left"};
constexpr const char* kMediaNames[] = {"audio", "video"};
constexpr const char* kTimerNames[] = {"request", "ring", "lifetime", "join", "keepalive", "peer_silence",
                                       "token_renewal", "leave"};

static_assert(std::size(kStateNames) == kCallStateCount);
static_assert(std::size(kReasonNames) == kEndReasonCount);
static_assert(std::size(kTimerNames) == kTimerKindCount);

template <std::size_t N>
const char* name_at(const char* const (&names)[N], int index) noexcept {
  return index >= 0 && static_cast<std::size_t>(index) < N ? names[index] : "unknown";
}

}  // namespace

const char* to_string(CallState state) noexcept { return name_at(kStateNames, static_cast<int>(state)); }
const char* to_string(EndReason reason) noexcept { return name_at(kReasonNames, static_cast<int>(reason)); }
const char* to_string(ParticipantState state) noexcept { return name_at(kParticipantNames, static_cast<int>(state)); }
const char* to_string(Media media) noexcept { return name_at(kMediaNames, static_cast<int>(media)); }
const char* to_string(TimerKind kind) noexcept { return name_at(kTimerNames, static_cast<int>(kind)); }

std::optional<ParticipantState> parse_participant_state(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(kParticipantNames); ++i) {
    if (name == kParticipantNames[i]) return static_cast<ParticipantState>(i);
  }
  return std::nullopt;
}

std::optional<Media> parse_media(std::string_view name) noexcept {
  if (name == "audio") return Media::audio;
  if (name == "video") return Media::video;
  return std::nullopt;
}

EndReason end_reason_from_call_ended(std::string_view reason) noexcept {
  if (reason == "cancelled") return EndReason::cancelled;
  if (reason == "hangup") return EndReason::remote_hangup;
  if (reason == "rejected") return EndReason::rejected;
  if (reason == "busy") return EndReason::busy;
  if (reason == "no_answer") return EndReason::no_answer;
  if (reason == "answered_elsewhere") return EndReason::answered_elsewhere;
  if (reason == "rejected_elsewhere") return EndReason::rejected_elsewhere;
  if (reason == "ended_for_all") return EndReason::ended_by_host;
  if (reason == "kicked") return EndReason::kicked;
  if (reason == "timeout") return EndReason::network_lost;
  if (reason == "expired") return EndReason::expired;
  return EndReason::service_error;
}

}  // namespace callsignal
