#include <catch2/catch.hpp>

#include "core/client/call_errors.h"
#include "core/client/request_tracker.h"

using namespace callsignal;

TEST_CASE("client: the request tracker hands back a request once, by id") {
  RequestTracker tracker;
  tracker.add("a", PendingRequest{"call-1", MessageType::accept, 1'000}, 0);
  auto taken = tracker.take("a");
  REQUIRE(taken);
  CHECK(taken->call_key == "call-1");
  CHECK(taken->type == MessageType::accept);
  CHECK_FALSE(tracker.take("a"));
  CHECK_FALSE(tracker.take("unknown"));
}

TEST_CASE("client: the request tracker forgets requests past their lifetime and stays bounded") {
  RequestTracker tracker(3);
  tracker.add("old", PendingRequest{"c", MessageType::hangup, 100}, 0);
  tracker.add("new", PendingRequest{"c", MessageType::hangup, 10'000}, 200);  // "old" has expired by now
  CHECK_FALSE(tracker.take("old"));
  CHECK(tracker.take("new"));

  for (int i = 0; i < 10; ++i) tracker.add("r" + std::to_string(i), PendingRequest{"c", MessageType::kick, 5'000 + i}, 0);
  CHECK(tracker.size() == 3);
  CHECK_FALSE(tracker.take("r0"));  // the oldest deadlines went first
  CHECK(tracker.take("r9"));
}

TEST_CASE("client: service error codes map to status codes, unknown ones to internal") {
  CHECK(service_error_code("unknown_call") == Errc::unknown_call);
  CHECK(service_error_code("call_expired") == Errc::expired);
  CHECK(service_error_code("bad_request") == Errc::invalid_argument);
  CHECK(service_error_code("not_allowed") == Errc::invalid_state);
  CHECK(service_error_code("too_many_participants") == Errc::invalid_state);
  CHECK(service_error_code("something_new") == Errc::internal);
}

TEST_CASE("client: the machine's refusals become invalid_argument or invalid_state") {
  CHECK(refusal_code(NotifyCommandFailed{"c", "start_call", "bad callee"}) == Errc::invalid_argument);
  CHECK(refusal_code(NotifyCommandFailed{"c", "start_call", "busy: another call is in progress"}) == Errc::invalid_state);
  CHECK(refusal_code(NotifyCommandFailed{"c", "accept", "not ringing"}) == Errc::invalid_state);
  CHECK(refusal_code(NotifyCommandFailed{"c", "hangup", "not_allowed"}) == Errc::invalid_state);
  const Status status = command_refusal(NotifyCommandFailed{"c", "accept", "not ringing"});
  CHECK(status.message == "accept: not ringing");
}

TEST_CASE("client: a missed call's reason comes from the message that ended it") {
  Envelope ended;
  ended.type = MessageType::cancel;
  CHECK(missed_call_reason(ended) == EndReason::cancelled);
  ended.type = MessageType::hangup;
  CHECK(missed_call_reason(ended) == EndReason::remote_hangup);
  ended.type = MessageType::call_ended;
  ended.body.set_string("reason", "answered_elsewhere");
  CHECK(missed_call_reason(ended) == EndReason::answered_elsewhere);
}
