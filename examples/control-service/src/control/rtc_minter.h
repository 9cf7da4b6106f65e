// RTC join parameters: the per-participant "rtc" map of an invite (and of token_renewal).
//
// The control service holds the RTC app's secret (app key) and mints a token per user and
// channel; devices only ever see the tokens. A minter is pluggable: the service asks for one by
// vendor name (RtcConfig::vendor) and never looks inside the map it returns.
//
// Vendors:
//  - "test": a documented fake for tests and demos (no RTC service needed). Keys appid, channel,
//    userid, timestamp, token, with token = hex(HMAC-SHA256(app_key,
//    "callsignal-test|" + appid + "|" + channel + "|" + userid + "|" + timestamp)): a fake RTC
//    server that knows the app key can check it. User ids: any protocol identifier.
//  - "aliyun_artc": Alibaba Cloud ARTC. Keys appid, channel, userid, nonce, timestamp, token, gslb,
//    with token = hex(SHA-256(AppID + AppKey + ChannelID + UserID + Nonce + Timestamp)), timestamp =
//    the token's expiry in Unix seconds, nonce = "AK-" + 32 random hex characters, gslb = the
//    configured GSLB URLs as JSON array text. Channel and user ids: 1..64 of [A-Za-z0-9_-].
//
// Thread-safety: mint() and check_user_id() are const and safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace callsignal::control {

using RtcParams = std::map<std::string, std::string>;

struct RtcConfig {
  std::string vendor = "test";  // "test" or "aliyun_artc"
  std::string app_id;           // required
  std::string app_key;          // required; secret: never logged, never sent to a device
  // aliyun_artc only: the GSLB URLs handed to the RTC SDK.
  std::vector<std::string> gslb = {"https://rgslb.rtc.aliyuncs.com"};
  std::int64_t token_lifetime_s = 24 * 3600;  // the token's validity from when it is minted
};

class RtcMinter {
 public:
  virtual ~RtcMinter() = default;

  // The invite's "vendor" field.
  virtual const std::string& vendor() const noexcept = 0;

  // Whether the RTC service accepts `user` as a user id. Errors: invalid_argument naming the user.
  virtual Status check_user_id(std::string_view user) const = 0;

  // The join parameters for `user` in `channel`, minted at `now_s` (Unix seconds).
  // Errors: invalid_argument (a channel or user id the vendor refuses), internal (OpenSSL).
  virtual Result<RtcParams> mint(const std::string& channel, const std::string& user, std::int64_t now_s) const = 0;
};

// The minter for config.vendor. Errors: invalid_config naming the field (rtc.vendor unknown,
// rtc.app_id / rtc.app_key empty, rtc.token_lifetime_s not positive, rtc.gslb empty for ARTC).
Result<std::unique_ptr<RtcMinter>> make_rtc_minter(const RtcConfig& config);

// The token formulas, for known-answer tests and fake RTC servers.
Result<std::string> test_vendor_token(std::string_view app_id, std::string_view app_key, std::string_view channel,
                                      std::string_view user, std::string_view timestamp);
Result<std::string> artc_token(std::string_view app_id, std::string_view app_key, std::string_view channel,
                               std::string_view user, std::string_view nonce, std::string_view timestamp);

// 1..64 characters of [A-Za-z0-9_-]: what ARTC accepts as a channel or user id.
bool is_artc_id(std::string_view id) noexcept;

}  // namespace callsignal::control
