// Compiles callsignal.hpp alone: it must need no other include and no flag of ours.
#include "callsignal/callsignal.hpp"

namespace {
// Instantiates the member templates, which a plain include would leave unchecked.
[[maybe_unused]] void use_every_member(callsignal::sdk::Client& client) {
  client.connect();
  client.disconnect();
  (void)client.connection_state();
  const std::string id = client.start_call({"alice"}, callsignal::sdk::Media::video, "{}");
  client.accept(id);
  client.reject(id, "busy");
  client.cancel(id);
  client.hangup(id);
  client.invite(id, {"carol"});
  client.request_mute(id, "carol", true, false);
  client.kick(id, "carol");
  client.end_for_all(id);
  client.rtc_joined(id);
  client.rtc_left(id);
  client.rtc_failed(id, "gone");
  client.rtc_token_expiring(id);
  client.app_foreground();
  client.app_background();
  client.network_changed();
  client.push_received("frame");
  client.renew_token("token");
  (void)client.stats();
  callsignal::sdk::set_log_handler(callsignal::sdk::LogLevel::warn, [](callsignal::sdk::LogLevel, std::string_view) {});
}
}  // namespace
