#include "cli_app.h"

#include <sstream>

namespace {

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

CliApp::~CliApp() { cs_client_destroy(client_.exchange(nullptr)); }

cs_listener_t CliApp::listener_for(CliApp* app) {
  cs_listener_t l = CS_LISTENER_INIT;
  l.user_data = app;
  l.on_connection = [](void* a, const cs_connection_event_t* e) { static_cast<CliApp*>(a)->on_connection(*e); };
  l.on_incoming_call = [](void* a, const cs_incoming_call_t* e) { static_cast<CliApp*>(a)->on_incoming_call(*e); };
  l.on_call_state = [](void* a, const cs_call_state_event_t* e) { static_cast<CliApp*>(a)->on_call_state(*e); };
  l.on_call_id = [](void* a, const char* r, const char* c) { static_cast<CliApp*>(a)->on_call_id(r, c); };
  l.on_join_rtc = [](void* a, const cs_rtc_params_t* p) { static_cast<CliApp*>(a)->on_rtc("join_rtc", *p, true); };
  l.on_rtc_update = [](void* a, const cs_rtc_params_t* p) { static_cast<CliApp*>(a)->on_rtc("rtc_update", *p, false); };
  l.on_leave_rtc = [](void* a, const char* c) { static_cast<CliApp*>(a)->on_leave_rtc(c); };
  l.on_participants = [](void* a, const cs_participants_event_t* e) { static_cast<CliApp*>(a)->on_participants(*e); };
  l.on_mute_request = [](void* a, const cs_mute_request_t* e) { static_cast<CliApp*>(a)->on_mute_request(*e); };
  l.on_missed_call = [](void* a, const cs_missed_call_t* e) { static_cast<CliApp*>(a)->on_missed_call(*e); };
  l.on_error = [](void* a, const cs_error_event_t* e) { static_cast<CliApp*>(a)->on_error(*e); };
  return l;
}

bool CliApp::start() {
  cs_client_options_t options = options_.to_client_options();
  cs_listener_t listener = listener_for(this);
  cs_error_t err{};
  cs_client_t* client = nullptr;
  if (cs_client_create(&options, &listener, &client, &err) != CS_OK) {
    out_.print(Line("error").str("what", "create").str("code", cs_strerror(err.code)).str("message", err.message));
    return false;
  }
  client_ = client;
  if (cs_client_connect(client, &err) != CS_OK) {
    out_.print(Line("error").str("what", "connect").str("code", cs_strerror(err.code)).str("message", err.message));
    return false;
  }
  out_.note("callsignal-cli " + std::string(cs_version()) + ": user " + options_.user + ", device " + options_.device +
            ". Type commands (call, accept, reject, hangup, invite, mute, kick, status, quit).");
  return true;
}

std::string CliApp::current_call() {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::string CliApp::ringing_call() {
  std::lock_guard<std::mutex> lock(mu_);
  return ringing_;
}

void CliApp::result(const std::string& command, int status, const cs_error_t& err) {
  Line line("result");
  line.str("command", command).flag("ok", status == CS_OK);
  if (status != CS_OK) line.str("code", cs_strerror(status)).str("message", err.message);
  out_.print(line);
}

bool CliApp::run_command(const std::string& text) {
  const std::vector<std::string> words = split_words(text);
  if (words.empty()) return true;
  const std::string& command = words[0];
  std::vector<std::string> args(words.begin() + 1, words.end());
  cs_client_t* client = client_.load();
  cs_error_t err{};
  int status = CS_OK;

  if (command == "quit" || command == "exit") {
    return false;
  } else if (command == "status") {
    show_status();
    return true;
  } else if (command == "call") {
    bool video = false;
    std::vector<const char*> callees;
    for (const std::string& a : args) {
      if (a == "--video") video = true;
      else callees.push_back(a.c_str());
    }
    cs_call_options_t call = CS_CALL_OPTIONS_INIT;
    call.callees = callees.data();
    call.callee_count = callees.size();
    call.media = video ? CS_MEDIA_VIDEO : CS_MEDIA_AUDIO;
    char call_id[CS_CALL_ID_SIZE] = {0};
    status = cs_client_start_call(client, &call, call_id, &err);
    if (status == CS_OK) {
      std::lock_guard<std::mutex> lock(mu_);
      current_ = call_id;
    }
  } else if (command == "accept") {
    const std::string id = ringing_call();
    status = cs_client_accept(client, id.empty() ? "none" : id.c_str(), &err);
  } else if (command == "reject") {
    const std::string id = ringing_call();
    status = cs_client_reject(client, id.empty() ? "none" : id.c_str(), nullptr, &err);
  } else if (command == "hangup") {
    std::string id = current_call();
    if (id.empty()) id = ringing_call();
    status = cs_client_hangup(client, id.empty() ? "none" : id.c_str(), &err);
  } else if (command == "invite") {
    std::vector<const char*> users;
    for (const std::string& a : args) users.push_back(a.c_str());
    const std::string id = current_call();
    status = cs_client_invite(client, id.empty() ? "none" : id.c_str(), users.data(), users.size(), &err);
  } else if (command == "mute" || command == "kick") {
    const std::string id = current_call();
    const char* target = args.empty() ? nullptr : args[0].c_str();
    status = command == "mute" ? cs_client_request_mute(client, id.empty() ? "none" : id.c_str(), target, 1, 0, &err)
                               : cs_client_kick(client, id.empty() ? "none" : id.c_str(), target, &err);
  } else {
    out_.print(Line("result").str("command", command).flag("ok", false).str("code", "unknown command")
                   .str("message", "try: call, accept, reject, hangup, invite, mute, kick, status, quit"));
    return true;
  }
  result(command, status, err);
  return true;
}

void CliApp::show_status() {
  cs_client_t* client = client_.load();
  cs_stats_t stats = CS_STATS_INIT;
  cs_error_t err{};
  (void)cs_client_get_stats(client, &stats, &err);
  out_.print(Line("status")
                 .str("connection", cs_connection_state_name(cs_client_connection_state(client)))
                 .str("call", current_call())
                 .str("ringing", ringing_call())
                 .num("received", static_cast<long long>(stats.received))
                 .num("delivered", static_cast<long long>(stats.delivered))
                 .num("duplicates", static_cast<long long>(stats.duplicates_dropped))
                 .num("expired", static_cast<long long>(stats.expired_dropped))
                 .num("invalid", static_cast<long long>(stats.invalid_dropped))
                 .num("forged", static_cast<long long>(stats.forged_dropped))
                 .num("reconnects", static_cast<long long>(stats.reconnects))
                 .num("outbound_queued", static_cast<long long>(stats.outbound_queued)));
}

void CliApp::on_connection(const cs_connection_event_t& e) {
  Line line("connection");
  line.str("state", cs_connection_state_name(e.state));
  if (e.state == CS_CONNECTION_CONNECTED) line.flag("session_present", e.session_present != 0);
  if (e.state == CS_CONNECTION_DISCONNECTED) {
    line.str("reason", cs_strerror(e.reason)).str("detail", e.detail).num("retry_in_ms", e.retry_in_ms);
  }
  out_.print(line);
}

void CliApp::on_incoming_call(const cs_incoming_call_t& e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.auto_accepted) current_ = e.call_id;
    else ringing_ = e.call_id;
  }
  out_.print(Line("incoming_call")
                 .str("call_id", e.call_id)
                 .str("caller", e.caller)
                 .str("media", e.media == CS_MEDIA_VIDEO ? "video" : "audio")
                 .list("callees", std::vector<std::string>(e.callees, e.callees + e.callee_count))
                 .list("members", std::vector<std::string>(e.members, e.members + e.member_count))
                 .raw_json("custom", e.custom_json)
                 .flag("waiting", e.waiting != 0)
                 .flag("auto_accepted", e.auto_accepted != 0)
                 .flag("replayed", e.replayed != 0));
}

void CliApp::on_call_state(const cs_call_state_event_t& e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string id = e.call_id;
    if (e.state == CS_CALL_ACCEPTING || e.state == CS_CALL_ACTIVE || e.state == CS_CALL_CONNECTING) {
      current_ = id;
      if (ringing_ == id) ringing_.clear();
    }
    if (e.state == CS_CALL_ENDING || e.state == CS_CALL_ENDED) {
      if (current_ == id) current_.clear();
      if (ringing_ == id) ringing_.clear();
    }
  }
  Line line("call_state");
  line.str("call_id", e.call_id).str("state", cs_call_state_name(e.state));
  if (e.end_reason != CS_END_NONE) line.str("reason", cs_end_reason_name(e.end_reason));
  out_.print(line);
}

void CliApp::on_call_id(const char* request_id, const char* call_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ == request_id) current_ = call_id;
  }
  out_.print(Line("call_id").str("request_id", request_id).str("call_id", call_id));
}

void CliApp::on_rtc(const char* event, const cs_rtc_params_t& p, bool join) {
  out_.print(Line(event).str("call_id", p.call_id).str("vendor", p.vendor).raw_json("params", p.params_json));
  if (join && options_.simulate_rtc) {
    // No RTC SDK in a terminal: report the join at once, as an app would once its SDK joined.
    cs_error_t err{};
    const int status = cs_client_rtc_joined(client_.load(), p.call_id, &err);
    if (status != CS_OK) result("rtc_joined", status, err);
  }
}

void CliApp::on_leave_rtc(const char* call_id) {
  out_.print(Line("leave_rtc").str("call_id", call_id));
  if (options_.simulate_rtc) {
    cs_error_t err{};
    const int status = cs_client_rtc_left(client_.load(), call_id, &err);
    if (status != CS_OK) result("rtc_left", status, err);
  }
}

void CliApp::on_participants(const cs_participants_event_t& e) {
  std::vector<std::string> entries;
  for (std::size_t i = 0; i < e.participant_count; ++i) {
    entries.push_back(std::string(e.participants[i].user_id) + ":" +
                      cs_participant_state_name(e.participants[i].state));
  }
  out_.print(Line("participants").str("call_id", e.call_id).list("participants", entries));
}

void CliApp::on_mute_request(const cs_mute_request_t& e) {
  out_.print(Line("mute_request").str("call_id", e.call_id).str("by", e.by).flag("audio", e.audio != 0)
                 .flag("video", e.video != 0));
}

void CliApp::on_missed_call(const cs_missed_call_t& e) {
  out_.print(Line("missed_call").str("call_id", e.call_id).str("caller", e.caller)
                 .str("reason", cs_end_reason_name(e.reason)));
}

void CliApp::on_error(const cs_error_event_t& e) {
  out_.print(Line("error").str("what", e.what).str("call_id", e.call_id).str("code", cs_strerror(e.code))
                 .str("message", e.message));
}
