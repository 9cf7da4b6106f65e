// Call commands and the RTC SDK's reports.
#include "capi/capi_support.h"

using namespace callsignal;
using namespace callsignal::capi;

namespace {

constexpr std::size_t kCallOptionsV1Size = sizeof(cs_call_options_t);

// Runs `command(client, call_id)` for a command that names a call.
template <typename Command>
int call_command(cs_client_t* client, const char* call_id, cs_error_t* err, Command&& command) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    std::string id;
    if (Status s = read_string(call_id, "call_id", id); !s.ok()) return s;
    return command(*c, id);
  });
}

}  // namespace

extern "C" {

int cs_client_start_call(cs_client_t* client, const cs_call_options_t* options, char* out_call_id,
                         cs_error_t* err) noexcept {
  return guarded(err, [&]() -> Status {
    std::shared_ptr<Client> c;
    if (Status s = client_of(client, c); !s.ok()) return s;
    cs_call_options_t in = CS_CALL_OPTIONS_INIT;
    if (Status s = read_versioned(options, "options", kCallOptionsV1Size, in); !s.ok()) return s;
    std::vector<std::string> callees;
    if (Status s = read_string_list(in.callees, in.callee_count, "callees", callees); !s.ok()) return s;
    const int media = enum_value(in.media);
    if (media != CS_MEDIA_AUDIO && media != CS_MEDIA_VIDEO) {
      return Status::error(Errc::invalid_argument, "media: not a cs_media_t value");
    }
    std::string custom;
    if (Status s = read_optional_string(in.custom_json, "custom_json", custom); !s.ok()) return s;
    auto started = c->start_call(callees, static_cast<Media>(media), custom);
    if (!started.ok()) return started.status();
    if (out_call_id != nullptr) {
      const std::string& id = started.value();
      const std::size_t length = std::min(id.size(), static_cast<std::size_t>(CS_CALL_ID_SIZE - 1));
      std::memcpy(out_call_id, id.data(), length);
      out_call_id[length] = '\0';
    }
    return Status::success();
  });
}

int cs_client_accept(cs_client_t* client, const char* call_id, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [](Client& c, const std::string& id) { return c.accept(id); });
}

int cs_client_reject(cs_client_t* client, const char* call_id, const char* reason, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [reason](Client& c, const std::string& id) {
    std::string why;
    if (Status s = read_optional_string(reason, "reason", why); !s.ok()) return s;
    return c.reject(id, why);
  });
}

int cs_client_cancel(cs_client_t* client, const char* call_id, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [](Client& c, const std::string& id) { return c.cancel(id); });
}

int cs_client_hangup(cs_client_t* client, const char* call_id, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [](Client& c, const std::string& id) { return c.hangup(id); });
}

int cs_client_invite(cs_client_t* client, const char* call_id, const char* const* users, size_t user_count,
                     cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [users, user_count](Client& c, const std::string& id) {
    std::vector<std::string> list;
    if (Status s = read_string_list(users, user_count, "users", list); !s.ok()) return s;
    return c.invite(id, list);
  });
}

int cs_client_request_mute(cs_client_t* client, const char* call_id, const char* target, int audio, int video,
                           cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [target, audio, video](Client& c, const std::string& id) {
    std::string who;
    if (Status s = read_string(target, "target", who); !s.ok()) return s;
    if (audio == 0 && video == 0) return Status::error(Errc::invalid_argument, "audio, video: ask to mute at least one");
    return c.request_mute(id, who, audio != 0, video != 0);
  });
}

int cs_client_kick(cs_client_t* client, const char* call_id, const char* target, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [target](Client& c, const std::string& id) {
    std::string who;
    if (Status s = read_string(target, "target", who); !s.ok()) return s;
    return c.kick(id, who);
  });
}

int cs_client_end_for_all(cs_client_t* client, const char* call_id, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [](Client& c, const std::string& id) { return c.end_for_all(id); });
}

int cs_client_rtc_joined(cs_client_t* client, const char* call_id, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [](Client& c, const std::string& id) { return c.rtc_joined(id); });
}

int cs_client_rtc_left(cs_client_t* client, const char* call_id, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [](Client& c, const std::string& id) { return c.rtc_left(id); });
}

int cs_client_rtc_failed(cs_client_t* client, const char* call_id, const char* detail, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [detail](Client& c, const std::string& id) {
    std::string why;
    if (Status s = read_optional_string(detail, "detail", why); !s.ok()) return s;
    return c.rtc_failed(id, why);
  });
}

int cs_client_rtc_token_expiring(cs_client_t* client, const char* call_id, cs_error_t* err) noexcept {
  return call_command(client, call_id, err, [](Client& c, const std::string& id) { return c.rtc_token_expiring(id); });
}

}  // extern "C"
