// Alibaba Cloud ARTC join parameters (the "token = SHA-256 of the concatenation" scheme).
#include "control/digest.h"
#include "control/rtc_minter.h"
#include "control/rtc_minters.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace callsignal::control {

bool is_artc_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> artc_token(std::string_view app_id, std::string_view app_key, std::string_view channel,
                               std::string_view user, std::string_view nonce, std::string_view timestamp) {
  std::string data;
  data.append(app_id).append(app_key).append(channel).append(user).append(nonce).append(timestamp);
  return sha256_hex(data);
}

namespace {

std::string json_array(const std::vector<std::string>& values) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartArray();
  for (const auto& v : values) writer.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

class ArtcMinter final : public RtcMinter {
 public:
  explicit ArtcMinter(RtcConfig config) : config_(std::move(config)), gslb_(json_array(config_.gslb)) {}

  const std::string& vendor() const noexcept override { return vendor_; }

  Status check_user_id(std::string_view user) const override {
    if (!is_artc_id(user)) {
      return Status::error(Errc::invalid_argument,
                           "user id '" + std::string(user) + "': ARTC takes 1..64 characters of [A-Za-z0-9_-]");
    }
    return Status::success();
  }

  Result<RtcParams> mint(const std::string& channel, const std::string& user, std::int64_t now_s) const override {
    if (!is_artc_id(channel)) {
      return Status::error(Errc::invalid_argument, "channel '" + channel + "': ARTC takes 1..64 characters of [A-Za-z0-9_-]");
    }
    if (Status s = check_user_id(user); !s.ok()) return s;
    auto random = random_hex(16);
    if (!random.ok()) return random.status();
    const std::string nonce = "AK-" + random.value();
    const std::string timestamp = std::to_string(now_s + config_.token_lifetime_s);
    auto token = artc_token(config_.app_id, config_.app_key, channel, user, nonce, timestamp);
    if (!token.ok()) return token.status();
    return RtcParams{{"appid", config_.app_id}, {"channel", channel},     {"userid", user}, {"nonce", nonce},
                     {"timestamp", timestamp},  {"token", token.value()}, {"gslb", gslb_}};
  }

 private:
  RtcConfig config_;
  std::string gslb_;
  std::string vendor_ = "aliyun_artc";
};

}  // namespace

std::unique_ptr<RtcMinter> make_artc_minter(const RtcConfig& config) { return std::make_unique<ArtcMinter>(config); }

}  // namespace callsignal::control
