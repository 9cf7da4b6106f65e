// Client identity and topic names: building and checking them.
// Every check returns Errc::invalid_argument with a message that starts with `field` (the name of
// the argument or config field being checked); config validation reports the same messages as
// invalid_config. Lengths are in bytes (ids are ASCII, so bytes are characters there).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace callsignal {

inline constexpr std::string_view kClientIdSeparator = "@@@";

// Allowed in group and device ids: letters, digits, '-', '_', '.', ':'. Checked by validate_id_part.
Status validate_id_part(std::string_view field, std::string_view value);

// <group>@@@<device>, both parts valid, whole at most max_length characters. Messages name
// "group_id" or "device_id"; when the whole is too long they name group_id if no device id could
// fit after it, else device_id.
Result<std::string> make_client_id(std::string_view group_id, std::string_view device_id,
                                   std::size_t max_length);

// A topic filter or name: non-empty, valid UTF-8, no empty levels, no NUL, at most max_length.
// Publish topics may not contain '+' or '#'; subscription filters may, per MQTT rules ('#' only as
// the whole last level, '+' only as a whole level). Control characters (U+0001..U+001F,
// U+007F..U+009F) are refused too: MQTT says topics SHOULD NOT hold them and a broker MAY close
// the connection over one, which would turn one bad publish into a reconnect loop.
// A leading '$' is allowed ($SYS/uploadToken, $SYS/# filters).
Status validate_publish_topic(std::string_view field, std::string_view topic, std::size_t max_length);
Status validate_topic_filter(std::string_view field, std::string_view filter, std::size_t max_length);

// A parent topic: non-empty, one level (no '/'), no wildcards, not starting with '$', and the
// same UTF-8 / NUL / control character rules as topics.
Status validate_parent_topic(std::string_view field, std::string_view parent);

// The topics one client uses, built from validated parents and client id (no checks here).
struct Topics {
  std::string p2p;     // <downlink-parent>/p2p/<client-id>: where this client's invites arrive
  std::string status;  // <uplink-parent>/status: online/offline presence (and the last will)

  // <uplink-parent>/<sub>, e.g. uplink("req").
  std::string uplink(std::string_view sub) const;
  std::string uplink_parent;
  std::string downlink_parent;
};

Topics make_topics(std::string_view uplink_parent, std::string_view downlink_parent,
                   std::string_view client_id);

// The P2P topic of any client, for senders (the control service, tests).
std::string p2p_topic(std::string_view downlink_parent, std::string_view client_id);

}  // namespace callsignal
