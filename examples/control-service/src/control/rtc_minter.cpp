#include "control/rtc_minter.h"

#include "control/rtc_minters.h"

namespace callsignal::control {

Result<std::unique_ptr<RtcMinter>> make_rtc_minter(const RtcConfig& config) {
  if (config.app_id.empty()) return Status::error(Errc::invalid_config, "rtc.app_id: required");
  if (config.app_key.empty()) return Status::error(Errc::invalid_config, "rtc.app_key: required");
  if (config.token_lifetime_s <= 0) return Status::error(Errc::invalid_config, "rtc.token_lifetime_s: must be positive");
  if (config.vendor == "test") return make_test_minter(config);
  if (config.vendor == "aliyun_artc") {
    if (config.gslb.empty()) return Status::error(Errc::invalid_config, "rtc.gslb: at least one URL for aliyun_artc");
    return make_artc_minter(config);
  }
  return Status::error(Errc::invalid_config, "rtc.vendor: '" + config.vendor + "' is not one of test|aliyun_artc");
}

}  // namespace callsignal::control
