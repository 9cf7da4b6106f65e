// The "test" RTC vendor: deterministic for a given second, checkable with the app key.
#include "control/digest.h"
#include "control/rtc_minter.h"
#include "control/rtc_minters.h"

#include "core/envelope/schema.h"

namespace callsignal::control {

Result<std::string> test_vendor_token(std::string_view app_id, std::string_view app_key, std::string_view channel,
                                      std::string_view user, std::string_view timestamp) {
  std::string data = "callsignal-test|";
  data.append(app_id).append("|").append(channel).append("|").append(user).append("|").append(timestamp);
  return hmac_sha256_hex(app_key, data);
}

namespace {

class TestMinter final : public RtcMinter {
 public:
  explicit TestMinter(RtcConfig config) : config_(std::move(config)) {}

  const std::string& vendor() const noexcept override { return vendor_; }

  Status check_user_id(std::string_view user) const override {
    if (!is_valid_identifier(user)) {
      return Status::error(Errc::invalid_argument, "user id '" + std::string(user) + "': not a protocol identifier");
    }
    return Status::success();
  }

  Result<RtcParams> mint(const std::string& channel, const std::string& user, std::int64_t now_s) const override {
    if (Status s = check_user_id(user); !s.ok()) return s;
    const std::string timestamp = std::to_string(now_s + config_.token_lifetime_s);
    auto token = test_vendor_token(config_.app_id, config_.app_key, channel, user, timestamp);
    if (!token.ok()) return token.status();
    return RtcParams{{"appid", config_.app_id},
                     {"channel", channel},
                     {"userid", user},
                     {"timestamp", timestamp},
                     {"token", token.value()}};
  }

 private:
  RtcConfig config_;
  std::string vendor_ = "test";
};

}  // namespace

std::unique_ptr<RtcMinter> make_test_minter(const RtcConfig& config) { return std::make_unique<TestMinter>(config); }

}  // namespace callsignal::control
