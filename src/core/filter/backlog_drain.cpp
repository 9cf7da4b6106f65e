#include "core/filter/backlog_drain.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace callsignal {

namespace {

// A downlink cancel, hangup and call_ended end the call for this device alike (protocol section
// 10, call_ended); end_for_all ends it for everyone.
bool ends_call(MessageType type) noexcept {
  switch (type) {
    case MessageType::cancel:
    case MessageType::hangup:
    case MessageType::call_ended:
    case MessageType::end_for_all:
      return true;
    default:
      return false;
  }
}

MissedReason missed_reason_of(const Envelope& ending) {
  if (ending.type == MessageType::cancel) return MissedReason::cancelled;
  if (ending.type == MessageType::call_ended) {
    const EnvelopeResult<std::string_view> reason = ending.body.get_string("reason");
    if (reason.ok() && reason.value() == "cancelled") return MissedReason::cancelled;
  }
  return MissedReason::ended;
}

enum class Fate : std::uint8_t {
  release,
  missed_invite,  // MissedCall::invite
  missed_end,     // MissedCall::ended_by
  dropped,        // DropReason::missed_call
};

// One call's state during the scan of a backlog.
struct CallScan {
  bool open = false;          // an invite of this backlog, not ended yet
  bool ended_unseen = false;  // its run ended as a missed call: the app never saw this call
  std::size_t first_invite = 0;
  std::vector<std::size_t> run;  // the open run's messages after its first invite
};

struct MissedPair {
  std::size_t invite;
  std::size_t ending;
};

// Resolves one backlog (arrival order) into out, moving every envelope out of it.
void resolve(std::vector<Envelope>& backlog, DrainOutput& out) {
  const std::size_t n = backlog.size();
  std::vector<Fate> fate(n, Fate::release);
  std::vector<MissedPair> missed;

  {
    // Keys view the call ids in backlog, which does not change during the scan.
    std::unordered_map<std::string_view, CallScan> calls;
    for (std::size_t i = 0; i < n; ++i) {
      const Envelope& message = backlog[i];
      // An empty call id (a hand-built message; decode() refuses it on call types) matches nothing.
      if (message.call_id.empty()) continue;
      CallScan& call = calls[message.call_id];
      if (message.type == MessageType::invite) {
        if (call.open) {
          call.run.push_back(i);  // a second invite of the same run: dropped with it if it ends
        } else {
          // A new run, also after a missed call: a re-invite into a running call keeps its call id.
          call.open = true;
          call.ended_unseen = false;
          call.first_invite = i;
          call.run.clear();
        }
        continue;
      }
      if (call.open) {
        if (ends_call(message.type)) {
          for (std::size_t j : call.run) fate[j] = Fate::dropped;
          fate[call.first_invite] = Fate::missed_invite;
          fate[i] = Fate::missed_end;
          missed.push_back(MissedPair{call.first_invite, i});
          call.open = false;
          call.ended_unseen = true;
          call.run.clear();
        } else {
          call.run.push_back(i);
        }
      } else if (call.ended_unseen) {
        fate[i] = Fate::dropped;
      }
    }
  }

  // missed is in the order of the endings; the app wants it in the order of the invites.
  std::sort(missed.begin(), missed.end(),
            [](const MissedPair& a, const MissedPair& b) { return a.invite < b.invite; });

  out.missed.reserve(out.missed.size() + missed.size());
  std::size_t released_before = out.release.size();
  std::size_t scanned = 0;
  for (const MissedPair& pair : missed) {
    for (; scanned < pair.invite; ++scanned) {
      if (fate[scanned] == Fate::release) ++released_before;
    }
    MissedCall call;
    call.reason = missed_reason_of(backlog[pair.ending]);
    call.invite = std::move(backlog[pair.invite]);
    call.ended_by = std::move(backlog[pair.ending]);
    call.release_index = released_before;
    out.missed.push_back(std::move(call));
  }

  out.release.reserve(out.release.size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (fate[i]) {
      case Fate::release:
        out.release.push_back(std::move(backlog[i]));
        break;
      case Fate::dropped:
        out.dropped.push_back(DroppedMessage{std::move(backlog[i]), DropReason::missed_call});
        break;
      case Fate::missed_invite:
      case Fate::missed_end:
        break;  // moved into out.missed above
    }
  }
}

}  // namespace

const char* missed_reason_name(MissedReason reason) noexcept {
  switch (reason) {
    case MissedReason::cancelled:
      return "cancelled";
    case MissedReason::ended:
      return "ended";
  }
  return "unknown";
}

const char* drop_reason_name(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::marker:
      return "marker";
    case DropReason::stale_marker:
      return "stale_marker";
    case DropReason::missed_call:
      return "missed_call";
  }
  return "unknown";
}

const char* drain_end_name(DrainEnd end) noexcept {
  switch (end) {
    case DrainEnd::none:
      return "none";
    case DrainEnd::marker:
      return "marker";
    case DrainEnd::deadline:
      return "deadline";
    case DrainEnd::limit:
      return "limit";
    case DrainEnd::aborted:
      return "aborted";
    case DrainEnd::restarted:
      return "restarted";
  }
  return "unknown";
}

BacklogDrain::BacklogDrain(std::size_t max_held) noexcept : max_held_(std::max<std::size_t>(max_held, 1)) {}

std::optional<std::int64_t> BacklogDrain::deadline() const noexcept {
  if (!collecting_) return std::nullopt;
  return deadline_ms_;
}

DrainOutput BacklogDrain::begin(std::string marker_id, std::int64_t deadline_ms) {
  DrainOutput out;
  if (collecting_) finish(DrainEnd::restarted, out);
  marker_id_ = std::move(marker_id);
  deadline_ms_ = deadline_ms;
  collecting_ = true;
  return out;
}

DrainOutput BacklogDrain::on_message(Envelope message) {
  DrainOutput out;
  if (message.type == MessageType::drain) {
    if (collecting_ && message.id == marker_id_) {
      finish(DrainEnd::marker, out);
      out.dropped.push_back(DroppedMessage{std::move(message), DropReason::marker});
    } else {
      out.dropped.push_back(DroppedMessage{std::move(message), DropReason::stale_marker});
    }
    return out;
  }
  if (!collecting_) {
    out.release.push_back(std::move(message));
    return out;
  }
  held_.push_back(std::move(message));
  if (held_.size() >= max_held_) finish(DrainEnd::limit, out);
  return out;
}

DrainOutput BacklogDrain::on_tick(std::int64_t now_ms) {
  DrainOutput out;
  if (collecting_ && now_ms >= deadline_ms_) finish(DrainEnd::deadline, out);
  return out;
}

DrainOutput BacklogDrain::abort() {
  DrainOutput out;
  if (collecting_) finish(DrainEnd::aborted, out);
  return out;
}

void BacklogDrain::finish(DrainEnd end, DrainOutput& out) {
  collecting_ = false;
  marker_id_.clear();
  deadline_ms_ = 0;
  // Swapped out first so that held_ is empty (and its memory freed) whatever resolve() does.
  std::vector<Envelope> backlog;
  backlog.swap(held_);
  out.end = end;
  resolve(backlog, out);
}

}  // namespace callsignal
