#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/filter/backlog_drain.h"

using namespace callsignal;

namespace {

const char* const kMe = "ios@@@bob-phone";
const char* const kService = "callsignal-service";
constexpr std::int64_t kT0 = 1'714'550'400'000;

// Ids are opaque to the drain: readable names keep the expectations legible.
Envelope msg(MessageType type, const std::string& id, const std::string& call = "") {
  Envelope e;
  e.id = id;
  e.type = type;
  e.from = kService;
  e.to = kMe;
  e.ts_ms = kT0;
  e.ttl_ms = 45'000;
  e.call_id = call;
  return e;  // body: Body{} is the empty object
}

Envelope marker(const std::string& id) {
  Envelope e = msg(MessageType::drain, id);
  e.from = kMe;
  e.ttl_ms = 60'000;
  return e;
}

std::vector<std::string> ids(const std::vector<Envelope>& messages) {
  std::vector<std::string> out;
  for (const Envelope& m : messages) out.push_back(m.id);
  return out;
}

std::vector<std::string> ids(const std::vector<DroppedMessage>& dropped) {
  std::vector<std::string> out;
  for (const DroppedMessage& d : dropped) out.push_back(d.message.id);
  return out;
}

// Feeds messages that must all be held (each output empty).
void feed_held(BacklogDrain& drain, const std::vector<Envelope>& messages) {
  for (const Envelope& m : messages) {
    const DrainOutput out = drain.on_message(m);
    REQUIRE(out.empty());
    REQUIRE_FALSE(out.finished());
  }
}

// Begins a drain, holds backlog, and ends it with the marker.
DrainOutput drain_backlog(const std::vector<Envelope>& backlog) {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  feed_held(drain, backlog);
  DrainOutput out = drain.on_message(marker("m1"));
  REQUIRE(out.end == DrainEnd::marker);
  REQUIRE_FALSE(drain.collecting());
  REQUIRE_FALSE(out.dropped.empty());
  CHECK(out.dropped.back().message.id == "m1");
  CHECK(out.dropped.back().reason == DropReason::marker);
  out.dropped.pop_back();  // the marker: the tests below look at the backlog only
  return out;
}

}  // namespace

TEST_CASE("backlog drain: not collecting, messages pass straight through", "[drain]") {
  BacklogDrain drain;
  CHECK_FALSE(drain.collecting());
  CHECK_FALSE(drain.deadline().has_value());

  const Envelope invite = msg(MessageType::invite, "i1", "c1");
  DrainOutput out = drain.on_message(invite);
  REQUIRE(out.release.size() == 1);
  CHECK(out.release[0] == invite);
  CHECK(out.missed.empty());
  CHECK(out.dropped.empty());
  CHECK_FALSE(out.finished());

  // Not collecting, a cancel is not held back to cancel anything: the app saw the invite.
  out = drain.on_message(msg(MessageType::cancel, "x1", "c1"));
  CHECK(ids(out.release) == std::vector<std::string>{"x1"});
  CHECK(out.missed.empty());

  CHECK(drain.on_tick(kT0 + 1'000'000).empty());
  CHECK_FALSE(drain.on_tick(kT0).finished());
  CHECK(drain.abort().empty());
  CHECK_FALSE(drain.abort().finished());
  CHECK(drain.held() == 0);
}

TEST_CASE("backlog drain: held until the marker, then released in order", "[drain]") {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  CHECK(drain.collecting());
  REQUIRE(drain.deadline().has_value());
  CHECK(*drain.deadline() == kT0 + 5'000);

  feed_held(drain, {msg(MessageType::hello_ack, "h1"), msg(MessageType::invite, "i1", "c1"),
                    msg(MessageType::participant_update, "p1", "c1")});
  CHECK(drain.held() == 3);
  CHECK(drain.on_tick(kT0 + 4'999).empty());  // before the deadline: nothing
  CHECK(drain.collecting());

  const DrainOutput out = drain.on_message(marker("m1"));
  CHECK(out.end == DrainEnd::marker);
  CHECK(out.finished());
  CHECK(ids(out.release) == std::vector<std::string>{"h1", "i1", "p1"});
  CHECK(out.missed.empty());
  REQUIRE(out.dropped.size() == 1);
  CHECK(out.dropped[0].message.id == "m1");
  CHECK(out.dropped[0].reason == DropReason::marker);

  CHECK_FALSE(drain.collecting());
  CHECK_FALSE(drain.deadline().has_value());
  CHECK(drain.held() == 0);

  // After the drain: straight through again.
  CHECK(ids(drain.on_message(msg(MessageType::keepalive, "k1", "c1")).release) ==
        std::vector<std::string>{"k1"});
}

TEST_CASE("backlog drain: an empty backlog finishes on the marker with nothing to release", "[drain]") {
  const DrainOutput out = drain_backlog({});
  CHECK(out.release.empty());
  CHECK(out.missed.empty());
  CHECK(out.dropped.empty());
}

TEST_CASE("backlog drain: invite then cancel is one missed call, neither released", "[drain]") {
  const Envelope invite = msg(MessageType::invite, "i1", "c1");
  const Envelope cancel = msg(MessageType::cancel, "x1", "c1");
  const DrainOutput out = drain_backlog({invite, cancel});
  CHECK(out.release.empty());
  CHECK(out.dropped.empty());
  REQUIRE(out.missed.size() == 1);
  CHECK(out.missed[0].invite == invite);
  CHECK(out.missed[0].ended_by == cancel);
  CHECK(out.missed[0].reason == MissedReason::cancelled);
  CHECK(out.missed[0].release_index == 0);
}

TEST_CASE("backlog drain: the reason of a missed call follows what ended it", "[drain]") {
  struct Row {
    const char* what;
    MessageType type;
    const char* body_reason;  // call_ended's body reason; null: no body
    MissedReason expected;
  };
  const Row rows[] = {
      {"cancel", MessageType::cancel, nullptr, MissedReason::cancelled},
      {"hangup", MessageType::hangup, nullptr, MissedReason::ended},
      {"call_ended answered_elsewhere", MessageType::call_ended, "answered_elsewhere", MissedReason::ended},
      {"call_ended no_answer", MessageType::call_ended, "no_answer", MissedReason::ended},
      {"call_ended cancelled", MessageType::call_ended, "cancelled", MissedReason::cancelled},
      {"call_ended without a reason", MessageType::call_ended, nullptr, MissedReason::ended},
      {"end_for_all", MessageType::end_for_all, nullptr, MissedReason::ended},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    Envelope ending = msg(row.type, "e1", "c1");
    if (row.body_reason != nullptr) ending.body.set_string("reason", row.body_reason);
    const DrainOutput out = drain_backlog({msg(MessageType::invite, "i1", "c1"), ending});
    CHECK(out.release.empty());
    CHECK(out.dropped.empty());
    REQUIRE(out.missed.size() == 1);
    CHECK(out.missed[0].invite.id == "i1");
    CHECK(out.missed[0].ended_by == ending);
    CHECK(out.missed[0].reason == row.expected);
  }
}

TEST_CASE("backlog drain: an invite whose call does not end in the backlog is released", "[drain]") {
  const Envelope invite = msg(MessageType::invite, "i1", "c1");
  const DrainOutput out = drain_backlog(
      {invite, msg(MessageType::participant_update, "p1", "c1"), msg(MessageType::keepalive, "k1", "c1")});
  REQUIRE(out.release.size() == 3);
  CHECK(out.release[0] == invite);
  CHECK(ids(out.release) == std::vector<std::string>{"i1", "p1", "k1"});
  CHECK(out.missed.empty());
  CHECK(out.dropped.empty());
}

TEST_CASE("backlog drain: an ending without an invite in the backlog is released", "[drain]") {
  // The app may know these calls from before the disconnect.
  const DrainOutput out = drain_backlog({msg(MessageType::cancel, "x1", "c1"), msg(MessageType::hangup, "h1", "c2"),
                                         msg(MessageType::call_ended, "e3", "c3")});
  CHECK(ids(out.release) == std::vector<std::string>{"x1", "h1", "e3"});
  CHECK(out.missed.empty());
  CHECK(out.dropped.empty());
}

TEST_CASE("backlog drain: an ending before the invite does not end it", "[drain]") {
  // Only a later ending ends an invite: an ending before it belongs to an earlier part of the
  // call (a re-invite into a running call keeps the call id), and a late invite for a call that
  // really ended is the call state machine's to drop.
  const DrainOutput out =
      drain_backlog({msg(MessageType::call_ended, "e1", "c1"), msg(MessageType::invite, "i1", "c1")});
  CHECK(ids(out.release) == std::vector<std::string>{"e1", "i1"});
  CHECK(out.missed.empty());
}

TEST_CASE("backlog drain: two calls interleaved are resolved each on its own", "[drain]") {
  // c1 ends in the backlog, c2 does not; c3 is a call the app knew before.
  const DrainOutput out = drain_backlog({
      msg(MessageType::invite, "i1", "c1"),
      msg(MessageType::keepalive, "k3", "c3"),
      msg(MessageType::invite, "i2", "c2"),
      msg(MessageType::participant_update, "p1", "c1"),
      msg(MessageType::participant_update, "p2", "c2"),
      msg(MessageType::cancel, "x1", "c1"),
      msg(MessageType::keepalive, "k2", "c2"),
  });
  CHECK(ids(out.release) == std::vector<std::string>{"k3", "i2", "p2", "k2"});
  REQUIRE(out.missed.size() == 1);
  CHECK(out.missed[0].invite.id == "i1");
  CHECK(out.missed[0].ended_by.id == "x1");
  CHECK(out.missed[0].release_index == 0);
  CHECK(ids(out.dropped) == std::vector<std::string>{"p1"});
}

TEST_CASE("backlog drain: both of two interleaved calls end", "[drain]") {
  // Endings in the opposite order of the invites: missed calls come in the order of their invites.
  const DrainOutput out = drain_backlog({
      msg(MessageType::hello_ack, "h0"),
      msg(MessageType::invite, "i1", "c1"),
      msg(MessageType::error, "r0"),
      msg(MessageType::invite, "i2", "c2"),
      msg(MessageType::hangup, "x2", "c2"),
      msg(MessageType::cancel, "x1", "c1"),
      msg(MessageType::hello_ack, "h9"),
  });
  CHECK(ids(out.release) == std::vector<std::string>{"h0", "r0", "h9"});
  REQUIRE(out.missed.size() == 2);
  CHECK(out.missed[0].invite.id == "i1");
  CHECK(out.missed[0].ended_by.id == "x1");
  CHECK(out.missed[0].reason == MissedReason::cancelled);
  CHECK(out.missed[0].release_index == 1);  // after h0
  CHECK(out.missed[1].invite.id == "i2");
  CHECK(out.missed[1].ended_by.id == "x2");
  CHECK(out.missed[1].reason == MissedReason::ended);
  CHECK(out.missed[1].release_index == 2);  // after h0, r0
  CHECK(out.dropped.empty());
}

TEST_CASE("backlog drain: the other messages of an ended call are dropped", "[drain]") {
  const DrainOutput out = drain_backlog({
      msg(MessageType::keepalive, "k0", "c1"),  // before the invite: a part of the call the app knew
      msg(MessageType::invite, "i1", "c1"),
      msg(MessageType::ringing, "r1", "c1"),
      msg(MessageType::participant_update, "p1", "c1"),
      msg(MessageType::invite, "i1b", "c1"),  // the same call invited again (another id)
      msg(MessageType::token_renewal, "t1", "c1"),
      msg(MessageType::mute_request, "u1", "c1"),
      msg(MessageType::cancel, "x1", "c1"),
      msg(MessageType::participant_update, "p2", "c1"),  // after the ending
      msg(MessageType::call_ended, "e1", "c1"),         // a second ending
      msg(MessageType::keepalive, "k9", "c9"),          // another call
  });
  CHECK(ids(out.release) == std::vector<std::string>{"k0", "k9"});
  REQUIRE(out.missed.size() == 1);
  CHECK(out.missed[0].invite.id == "i1");
  CHECK(out.missed[0].ended_by.id == "x1");
  CHECK(out.missed[0].release_index == 1);
  CHECK(ids(out.dropped) == std::vector<std::string>{"r1", "p1", "i1b", "t1", "u1", "p2", "e1"});
  for (const DroppedMessage& d : out.dropped) CHECK(d.reason == DropReason::missed_call);
}

TEST_CASE("backlog drain: an invite after a missed call of the same id starts anew", "[drain]") {
  SECTION("not ended: the re-invite rings") {
    const DrainOutput out = drain_backlog({
        msg(MessageType::invite, "i1", "c1"),
        msg(MessageType::cancel, "x1", "c1"),
        msg(MessageType::invite, "i2", "c1"),
        msg(MessageType::participant_update, "p2", "c1"),
    });
    CHECK(ids(out.release) == std::vector<std::string>{"i2", "p2"});
    REQUIRE(out.missed.size() == 1);
    CHECK(out.missed[0].invite.id == "i1");
    CHECK(out.missed[0].release_index == 0);
    CHECK(out.dropped.empty());
  }
  SECTION("ended too: two missed calls") {
    const DrainOutput out = drain_backlog({
        msg(MessageType::invite, "i1", "c1"),
        msg(MessageType::cancel, "x1", "c1"),
        msg(MessageType::invite, "i2", "c1"),
        msg(MessageType::hangup, "x2", "c1"),
    });
    CHECK(out.release.empty());
    REQUIRE(out.missed.size() == 2);
    CHECK(out.missed[0].invite.id == "i1");
    CHECK(out.missed[0].ended_by.id == "x1");
    CHECK(out.missed[1].invite.id == "i2");
    CHECK(out.missed[1].ended_by.id == "x2");
  }
}

TEST_CASE("backlog drain: messages without a call id are never matched", "[drain]") {
  // decode() refuses a call type without a call id; a hand-built one must not match another.
  const DrainOutput out = drain_backlog({msg(MessageType::invite, "i1"), msg(MessageType::cancel, "x1")});
  CHECK(ids(out.release) == std::vector<std::string>{"i1", "x1"});
  CHECK(out.missed.empty());
}

TEST_CASE("backlog drain: the deadline resolves without the marker", "[drain]") {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  feed_held(drain, {msg(MessageType::invite, "i1", "c1"), msg(MessageType::cancel, "x1", "c1"),
                    msg(MessageType::invite, "i2", "c2")});

  CHECK(drain.on_tick(kT0).empty());
  CHECK_FALSE(drain.on_tick(kT0 + 4'999).finished());
  CHECK(drain.collecting());

  const DrainOutput out = drain.on_tick(kT0 + 5'000);  // at the deadline exactly
  CHECK(out.end == DrainEnd::deadline);
  CHECK(ids(out.release) == std::vector<std::string>{"i2"});
  REQUIRE(out.missed.size() == 1);
  CHECK(out.missed[0].invite.id == "i1");
  CHECK(out.dropped.empty());
  CHECK_FALSE(drain.collecting());
  CHECK_FALSE(drain.deadline().has_value());

  // The marker arriving late is stale; what follows passes through.
  const DrainOutput late = drain.on_message(marker("m1"));
  CHECK_FALSE(late.finished());
  CHECK(late.release.empty());
  REQUIRE(late.dropped.size() == 1);
  CHECK(late.dropped[0].reason == DropReason::stale_marker);
  CHECK(ids(drain.on_message(msg(MessageType::cancel, "x2", "c2")).release) == std::vector<std::string>{"x2"});
  CHECK(drain.on_tick(kT0 + 10'000).empty());
}

TEST_CASE("backlog drain: a deadline long past ends the drain on the first tick", "[drain]") {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0).empty());
  feed_held(drain, {msg(MessageType::invite, "i1", "c1")});
  const DrainOutput out = drain.on_tick(kT0 + 3'600'000);
  CHECK(out.end == DrainEnd::deadline);
  CHECK(ids(out.release) == std::vector<std::string>{"i1"});
}

TEST_CASE("backlog drain: abort resolves what was held", "[drain]") {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  feed_held(drain, {msg(MessageType::invite, "i1", "c1"), msg(MessageType::ringing, "r1", "c1"),
                    msg(MessageType::call_ended, "e1", "c1"), msg(MessageType::invite, "i2", "c2")});

  const DrainOutput out = drain.abort();
  CHECK(out.end == DrainEnd::aborted);
  CHECK(ids(out.release) == std::vector<std::string>{"i2"});
  REQUIRE(out.missed.size() == 1);
  CHECK(out.missed[0].invite.id == "i1");
  CHECK(out.missed[0].ended_by.id == "e1");
  CHECK(ids(out.dropped) == std::vector<std::string>{"r1"});
  CHECK_FALSE(drain.collecting());
  CHECK(drain.held() == 0);

  // The aborted drain's marker is stale now.
  const DrainOutput late = drain.on_message(marker("m1"));
  REQUIRE(late.dropped.size() == 1);
  CHECK(late.dropped[0].reason == DropReason::stale_marker);
  CHECK(drain.abort().empty());
}

TEST_CASE("backlog drain: a drain that is not the current marker is dropped", "[drain]") {
  BacklogDrain drain;

  SECTION("not collecting") {
    const DrainOutput out = drain.on_message(marker("old"));
    CHECK(out.release.empty());
    CHECK(out.missed.empty());
    REQUIRE(out.dropped.size() == 1);
    CHECK(out.dropped[0].message.id == "old");
    CHECK(out.dropped[0].reason == DropReason::stale_marker);
    CHECK_FALSE(out.finished());
  }
  SECTION("collecting: dropped at once, the drain goes on") {
    REQUIRE(drain.begin("m2", kT0 + 5'000).empty());
    feed_held(drain, {msg(MessageType::invite, "i1", "c1")});
    const DrainOutput stale = drain.on_message(marker("m1"));
    CHECK_FALSE(stale.finished());
    CHECK(stale.release.empty());
    REQUIRE(stale.dropped.size() == 1);
    CHECK(stale.dropped[0].message.id == "m1");
    CHECK(stale.dropped[0].reason == DropReason::stale_marker);
    CHECK(drain.collecting());
    CHECK(drain.held() == 1);  // a stale marker is not held

    feed_held(drain, {msg(MessageType::cancel, "x1", "c1")});
    const DrainOutput out = drain.on_message(marker("m2"));
    CHECK(out.end == DrainEnd::marker);
    CHECK(out.release.empty());
    REQUIRE(out.missed.size() == 1);
    REQUIRE(out.dropped.size() == 1);
    CHECK(out.dropped[0].reason == DropReason::marker);
  }
}

TEST_CASE("backlog drain: a second drain after the first finished", "[drain]") {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  feed_held(drain, {msg(MessageType::invite, "i1", "c1")});
  const DrainOutput first = drain.on_message(marker("m1"));
  CHECK(first.end == DrainEnd::marker);
  CHECK(ids(first.release) == std::vector<std::string>{"i1"});

  // The next connection. An ending for the call released by the first drain passes as usual.
  REQUIRE(drain.begin("m2", kT0 + 65'000).empty());
  CHECK(drain.collecting());
  CHECK(*drain.deadline() == kT0 + 65'000);
  feed_held(drain, {msg(MessageType::cancel, "x1", "c1"), msg(MessageType::invite, "i2", "c2"),
                    msg(MessageType::hangup, "x2", "c2")});
  // The first connection's marker, re-sent by the broker: stale.
  const DrainOutput stale = drain.on_message(marker("m1"));
  REQUIRE(stale.dropped.size() == 1);
  CHECK(stale.dropped[0].reason == DropReason::stale_marker);
  CHECK(drain.on_tick(kT0 + 64'999).empty());

  const DrainOutput second = drain.on_message(marker("m2"));
  CHECK(second.end == DrainEnd::marker);
  CHECK(ids(second.release) == std::vector<std::string>{"x1"});
  REQUIRE(second.missed.size() == 1);
  CHECK(second.missed[0].invite.id == "i2");
  CHECK(second.missed[0].release_index == 1);
}

TEST_CASE("backlog drain: begin while collecting resolves the drain in progress", "[drain]") {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  feed_held(drain, {msg(MessageType::invite, "i1", "c1"), msg(MessageType::cancel, "x1", "c1"),
                    msg(MessageType::keepalive, "k2", "c2")});

  const DrainOutput out = drain.begin("m2", kT0 + 9'000);
  CHECK(out.end == DrainEnd::restarted);
  CHECK(ids(out.release) == std::vector<std::string>{"k2"});
  REQUIRE(out.missed.size() == 1);
  CHECK(drain.collecting());
  CHECK(drain.held() == 0);
  CHECK(*drain.deadline() == kT0 + 9'000);

  CHECK(drain.on_message(marker("m1")).dropped.at(0).reason == DropReason::stale_marker);
  CHECK(drain.on_message(marker("m2")).end == DrainEnd::marker);
}

TEST_CASE("backlog drain: arrival order is preserved", "[drain]") {
  std::vector<Envelope> backlog;
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    const std::string call = "c" + std::to_string(i % 7);
    const MessageType types[] = {MessageType::invite, MessageType::participant_update, MessageType::keepalive,
                                 MessageType::token_renewal, MessageType::mute_request};
    const std::string id = "n" + std::to_string(i);
    backlog.push_back(msg(types[i % 5], id, call));
    expected.push_back(id);
  }
  const DrainOutput out = drain_backlog(backlog);
  CHECK(ids(out.release) == expected);
  CHECK(out.missed.empty());
  CHECK(out.dropped.empty());
  // Moved out unchanged.
  for (std::size_t i = 0; i < backlog.size(); ++i) CHECK(out.release[i] == backlog[i]);
}

TEST_CASE("backlog drain: at most max_held messages are held", "[drain]") {
  CHECK(BacklogDrain{}.max_held() == 10'000);
  CHECK(BacklogDrain{0}.max_held() == 1);

  BacklogDrain drain(3);
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  feed_held(drain, {msg(MessageType::invite, "i1", "c1"), msg(MessageType::cancel, "x1", "c1")});
  CHECK(drain.held() == 2);

  // The third reaches the bound: the drain resolves everything held, this message included.
  const DrainOutput out = drain.on_message(msg(MessageType::invite, "i2", "c2"));
  CHECK(out.end == DrainEnd::limit);
  CHECK(ids(out.release) == std::vector<std::string>{"i2"});
  REQUIRE(out.missed.size() == 1);
  CHECK(out.missed[0].invite.id == "i1");
  CHECK_FALSE(drain.collecting());
  CHECK(drain.held() == 0);

  // The rest of the burst passes through; the marker, when it comes, is stale.
  CHECK(ids(drain.on_message(msg(MessageType::cancel, "x2", "c2")).release) == std::vector<std::string>{"x2"});
  CHECK(drain.on_message(marker("m1")).dropped.at(0).reason == DropReason::stale_marker);
}

TEST_CASE("backlog drain: the default bound holds 10,000 messages", "[drain]") {
  BacklogDrain drain;
  REQUIRE(drain.begin("m1", kT0 + 5'000).empty());
  for (int i = 0; i < 9'999; ++i) {
    REQUIRE(drain.on_message(msg(MessageType::keepalive, "k" + std::to_string(i), "c1")).empty());
  }
  CHECK(drain.held() == 9'999);
  const DrainOutput out = drain.on_message(msg(MessageType::keepalive, "last", "c1"));
  CHECK(out.end == DrainEnd::limit);
  CHECK(out.release.size() == 10'000);
  CHECK(out.release.back().id == "last");
}

TEST_CASE("backlog drain: every message comes out exactly once (seeded random backlogs)", "[drain]") {
  const MessageType types[] = {MessageType::invite,     MessageType::cancel,       MessageType::hangup,
                               MessageType::call_ended, MessageType::end_for_all,  MessageType::ringing,
                               MessageType::keepalive,  MessageType::participant_update, MessageType::hello_ack,
                               MessageType::drain};
  std::mt19937 rng(20240501);
  for (int round = 0; round < 300; ++round) {
    INFO("round " << round);
    BacklogDrain drain(1 + rng() % 40);
    REQUIRE(drain.begin("marker", kT0 + 5'000).empty());

    std::vector<std::string> fed;
    std::vector<std::string> released;  // in output order
    std::multiset<std::string> out_ids;
    std::vector<DrainOutput> outputs;
    const int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) {
      const MessageType type = types[rng() % (sizeof types / sizeof types[0])];
      const std::string id = "n" + std::to_string(i);
      Envelope m = msg(type, id, type == MessageType::hello_ack || type == MessageType::drain
                                     ? ""
                                     : "c" + std::to_string(rng() % 4));
      fed.push_back(id);
      outputs.push_back(drain.on_message(std::move(m)));
    }
    switch (rng() % 3) {
      case 0:
        outputs.push_back(drain.on_message(marker("marker")));
        fed.push_back("marker");
        break;
      case 1:
        outputs.push_back(drain.on_tick(kT0 + 5'000));
        break;
      default:
        outputs.push_back(drain.abort());
        break;
    }
    CHECK_FALSE(drain.collecting());
    CHECK(drain.held() == 0);

    for (const DrainOutput& out : outputs) {
      for (const Envelope& e : out.release) {
        released.push_back(e.id);
        out_ids.insert(e.id);
        CHECK(e.type != MessageType::drain);
      }
      std::size_t last_index = 0;
      for (const MissedCall& c : out.missed) {
        out_ids.insert(c.invite.id);
        out_ids.insert(c.ended_by.id);
        CHECK(c.invite.type == MessageType::invite);
        CHECK(c.invite.call_id == c.ended_by.call_id);
        CHECK(c.release_index >= last_index);
        CHECK(c.release_index <= out.release.size());
        last_index = c.release_index;
      }
      for (const DroppedMessage& d : out.dropped) out_ids.insert(d.message.id);
    }
    // Nothing lost, nothing twice.
    CHECK(out_ids == std::multiset<std::string>(fed.begin(), fed.end()));
    // Released messages keep their arrival order (ids are n<arrival index>).
    std::vector<int> order;
    for (const std::string& id : released) order.push_back(std::stoi(id.substr(1)));
    CHECK(std::is_sorted(order.begin(), order.end()));
  }
}

TEST_CASE("backlog drain: names", "[drain]") {
  CHECK(std::string(missed_reason_name(MissedReason::cancelled)) == "cancelled");
  CHECK(std::string(missed_reason_name(MissedReason::ended)) == "ended");
  CHECK(std::string(drop_reason_name(DropReason::marker)) == "marker");
  CHECK(std::string(drop_reason_name(DropReason::stale_marker)) == "stale_marker");
  CHECK(std::string(drop_reason_name(DropReason::missed_call)) == "missed_call");
  CHECK(std::string(drain_end_name(DrainEnd::none)) == "none");
  CHECK(std::string(drain_end_name(DrainEnd::marker)) == "marker");
  CHECK(std::string(drain_end_name(DrainEnd::deadline)) == "deadline");
  CHECK(std::string(drain_end_name(DrainEnd::limit)) == "limit");
  CHECK(std::string(drain_end_name(DrainEnd::aborted)) == "aborted");
  CHECK(std::string(drain_end_name(DrainEnd::restarted)) == "restarted");
}
