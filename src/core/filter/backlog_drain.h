// BacklogDrain: never ring for a call that already ended while the device was away.
//
// After a reconnect with session present, the broker delivers the queued backlog in a burst. Right
// after connecting, the client publishes a `drain` marker (docs/protocol.md, section 10: type
// drain, a fresh id, from and to itself, on its own P2P topic); the broker queues it behind
// everything already queued, so when it comes back the backlog is complete. BacklogDrain holds the
// admitted messages of the burst until that marker (matched by id) or a deadline, then resolves
// them together (protocol section 9):
//
//   - An `invite` whose call is ended later in the same backlog, by a `cancel`, `hangup`,
//     `call_ended` or `end_for_all` with the same call id, is not released: it becomes one
//     MissedCall (the invite, the message that ended it, and why). The ending message is not
//     released either, nor any other message of that call from the invite on (ringing,
//     participant_update, keepalive, a re-sent invite with another id, a second ending, ...): they
//     belong to a call the app never saw. They come out in DrainOutput::dropped.
//   - Everything else is released unchanged, in arrival order: invites of calls not ended in the
//     backlog, and messages of calls with no invite in the backlog (an ending without an invite
//     is released: the app may know that call from before the disconnect).
//   - Order matters: only an ending *after* the invite ends it. An ending before an invite is
//     released, and the invite after it starts a new call for the app (a re-invite into a running
//     call keeps its call id). A late invite for a call that ended earlier is the call state
//     machine's to drop (it remembers ended calls), not this class's.
//   - Messages without a call id (hello_ack, error, ...) are always released.
//   - A `drain` that is not the current marker (one from an earlier connection, or this
//     connection's marker arriving after the deadline) is dropped, at any time.
//
// Nothing is lost: every message given to on_message() comes out exactly once, in one output's
// `release`, in a MissedCall (`invite` or `ended_by`), or in `dropped` (which includes the marker
// itself). The client marks each one handled in its InboxLedger once it has acted on it: the
// dropped ones at once, the others once given to the app.
//
// Ending a drain (DrainOutput::end says which):
//   - marker    on_message() got the marker whose id begin() was given;
//   - deadline  on_tick(now) with now at or past the deadline begin() was given;
//   - limit     on_message() brought the messages held to max_held: the drain resolves them, that
//               message included, and stops collecting (so it never holds more than max_held);
//               the rest of the burst passes through unresolved, and the marker, when it comes,
//               is dropped as stale;
//   - aborted   abort(): the connection dropped while collecting;
//   - restarted begin() while still collecting (a missed abort()): what was held is resolved
//               before the new drain starts.
// A drain that ends resolves only what it holds: an invite released at the end of one drain and
// its cancel arriving after it both reach the app, in that order, as on a live connection.
//
// Pure logic: no I/O, no threads, no clock reads (time comes in as arguments, in the same clock as
// the deadline: the client's monotonic ms). It does not re-check expiry: messages are held for at
// most the deadline, a few seconds, and the client re-checks on release if it cares.
//
// Not thread-safe: owned by the client's event thread, which makes every call. No callbacks.
// Allocates: std::bad_alloc may propagate (basic guarantee: the object stays destructible and
// usable, but a message in flight may be lost).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/envelope/envelope.h"

namespace callsignal {

// Why a missed call ended: `cancelled` for a `cancel` (the caller gave up) or a `call_ended` whose
// body reason is "cancelled"; `ended` for everything else (hangup, end_for_all, call_ended with any
// other reason; the MissedCall's ended_by has the detail).
enum class MissedReason {
  cancelled,
  ended,
};

// Static, never-null name: "cancelled", "ended".
const char* missed_reason_name(MissedReason reason) noexcept;

struct MissedCall {
  Envelope invite;    // the first invite of the call in the backlog
  Envelope ended_by;  // the first cancel, hangup, call_ended or end_for_all after it
  MissedReason reason = MissedReason::ended;
  // Where the invite was among the released messages: it came after release[0..release_index) and
  // before release[release_index] (release_index == release.size(): after all of them). Lets the
  // client give the app the missed call in its place in time; missed calls are listed in the order
  // of their invites, so their release_index values never decrease.
  std::size_t release_index = 0;
};

// Why a message was consumed without reaching the app.
enum class DropReason {
  marker,        // this drain's marker (it ended the drain)
  stale_marker,  // a drain that is not the current marker
  missed_call,   // another message of a missed call (not its invite nor the ending in MissedCall)
};

// Static, never-null name: "marker", "stale_marker", "missed_call".
const char* drop_reason_name(DropReason reason) noexcept;

struct DroppedMessage {
  Envelope message;
  DropReason reason = DropReason::missed_call;
};

// How a call ended a drain; none: it did not.
enum class DrainEnd {
  none,
  marker,
  deadline,
  limit,
  aborted,
  restarted,
};

// Static, never-null name: "none", "marker", "deadline", "limit", "aborted", "restarted".
const char* drain_end_name(DrainEnd end) noexcept;

// What one call hands back. The caller owns it (everything is moved out of the drain). Each vector
// is in arrival order (missed: in the order of the invites).
struct DrainOutput {
  std::vector<Envelope> release;       // for the app, in this order
  std::vector<MissedCall> missed;      // one "missed call" event each
  std::vector<DroppedMessage> dropped; // consumed: mark handled, tell the app nothing
  DrainEnd end = DrainEnd::none;       // the drain this call ended, if any

  bool finished() const noexcept { return end != DrainEnd::none; }
  bool empty() const noexcept { return release.empty() && missed.empty() && dropped.empty(); }
};

class BacklogDrain {
 public:
  static constexpr std::size_t kDefaultMaxHeld = 10'000;

  // max_held: the most messages held at once (0 counts as 1). See "limit" above.
  explicit BacklogDrain(std::size_t max_held = kDefaultMaxHeld) noexcept;

  // Starts collecting for a new connection: marker_id is the id of the drain this connection
  // published, deadline_ms the local time at which to stop waiting for it. Returns what a drain
  // still in progress resolved to (end == restarted), or an empty output (end == none).
  DrainOutput begin(std::string marker_id, std::int64_t deadline_ms);

  // True between begin() and the end of that drain.
  bool collecting() const noexcept { return collecting_; }
  // The deadline begin() was given, while collecting; nullopt otherwise. The client arms a timer
  // for it and calls on_tick() when it fires (the drain never reads a clock).
  std::optional<std::int64_t> deadline() const noexcept;
  // How many messages are held now (0 when not collecting).
  std::size_t held() const noexcept { return held_.size(); }
  std::size_t max_held() const noexcept { return max_held_; }

  // Feeds one message that has passed the filter (decoded, authentic, fresh, not a duplicate).
  //   Not collecting: a drain is dropped (stale_marker); anything else passes straight through
  //     (release == {message}).
  //   Collecting: the current marker ends the drain (end == marker; it is in dropped) and the
  //     output is the resolved backlog; another drain is dropped (stale_marker) and collecting
  //     goes on; anything else is held (empty output), unless holding it reaches max_held, which
  //     ends the drain (end == limit) with the backlog resolved, this message included.
  DrainOutput on_message(Envelope message);

  // Call when the deadline may have passed (the timer fired). Collecting and now_ms >= deadline:
  // ends the drain (end == deadline) and returns the resolved backlog. Otherwise an empty output.
  DrainOutput on_tick(std::int64_t now_ms);

  // The connection dropped while collecting: ends the drain (end == aborted) and returns what was
  // held, resolved (nothing is lost). Not collecting: an empty output. The marker of the aborted
  // drain is stale from now on.
  DrainOutput abort();

 private:
  // Stops collecting and resolves held_ into out.
  void finish(DrainEnd end, DrainOutput& out);

  std::size_t max_held_;
  bool collecting_ = false;
  std::string marker_id_;
  std::int64_t deadline_ms_ = 0;
  std::vector<Envelope> held_;  // arrival order
};

}  // namespace callsignal
