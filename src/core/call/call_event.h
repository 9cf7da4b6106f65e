// The inputs of CallMachine::handle(): local commands from the app, validated downlink messages,
// timer fires, RTC reports and connection changes. Plain values (copyable, no ownership beyond
// their members). Each event that belongs to a call names it by `call_id`, the key the machine
// used in its actions (the service's call id, or, for an outgoing call whose invite has not come
// yet, the request id of its call_request).
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/call/call_types.h"
#include "core/envelope/envelope.h"
#include "core/envelope/message_type.h"

namespace callsignal {

// ---- local commands (the app) ----

// Start a 1:1 (one callee) or group call. `request_id` is the message id the client will give the
// call_request (the machine puts it in SendRequest::message_id); the caller's invite echoes it.
struct StartCall {
  std::string request_id;
  std::vector<std::string> callees;
  Media media = Media::audio;
  std::string custom_json;  // "" or a JSON object, passed to the callees as is
};
struct Accept { std::string call_id; };
struct Reject { std::string call_id; std::string reason = "declined"; };
struct Cancel { std::string call_id; };  // the caller gives up before an answer
struct Hangup { std::string call_id; };
struct InviteMore { std::string call_id; std::vector<std::string> callees; };
struct MuteRequest { std::string call_id; std::string target; bool audio = true; bool video = false; };
struct Kick { std::string call_id; std::string target; };
struct EndForAll { std::string call_id; };
struct Rejoin { std::string call_id; };          // join a recovered call again
struct TokenExpiring { std::string call_id; };   // the RTC SDK says the token is about to expire

// ---- the service ----

// A downlink message that passed decode, dedup and timeliness (the filter layer).
struct IncomingMessage { Envelope message; };

// The service refused a request of ours for `call_id` (the client matched an `error` reply_to to
// the request it sent). `code` is the error code ("call_expired", "not_allowed", ...).
struct RequestFailed { std::string call_id; MessageType request = MessageType::accept; std::string code; };

// After an app restart the service reports a call of ours as still live (its invite, re-sent).
struct LiveCallReported {
  std::string call_id;
  std::string caller;
  std::vector<std::string> members;  // the other participants
  Media media = Media::audio;
  std::map<std::string, std::string> rtc;
};

// ---- the client's own machinery ----

struct TimerFired { std::string call_id; TimerKind kind = TimerKind::ring; };
struct RtcJoined { std::string call_id; };
struct RtcLeft { std::string call_id; };
struct RtcFailed { std::string call_id; };
struct ConnectionChanged { bool connected = false; };

using CallEvent = std::variant<StartCall, Accept, Reject, Cancel, Hangup, InviteMore, MuteRequest, Kick, EndForAll,
                               Rejoin, TokenExpiring, IncomingMessage, RequestFailed, LiveCallReported, TimerFired,
                               RtcJoined, RtcLeft, RtcFailed, ConnectionChanged>;

}  // namespace callsignal
