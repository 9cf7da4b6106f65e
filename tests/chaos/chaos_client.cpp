// A device for the chaos harness: one cs_client_t on the public C ABI (libcallsignal.so), with a
// persistent data_dir, acting as a plain app would.
//
//   callsignal_chaos_client BROKER_URI DATA_DIR DEVICE_ID USER_ID UPLINK DOWNLINK KEY_ID PUBLIC_KEY
//                           EVENTS_LOG STDERR_LOG MQTT_VERSION(3|5)
//
// Every app-visible event that concerns an invite is appended to EVENTS_LOG as one line, with one
// write(2) on an O_APPEND descriptor before the callback returns, so that a SIGKILL can never
// lose (or tear) a line for something the app saw:
//   ring <call_id> <unix_ms>                  on_incoming_call
//   missed <call_id> <unix_ms> <reason>       on_missed_call
//   start - <unix_ms> <pid>                   the process started (informational)
// The app does no dedup of its own: the C ABI does not flag replayed messages, so every line
// counts (tests/chaos/README.md says why that is the right check here).
//
// What the app does with a ringing call is decided by the call id alone (so a replayed seed does
// the same): mostly reject at once, sometimes accept, "join" RTC, hang up once active, and leave;
// sometimes let it ring until the caller's control message or the ring timeout ends it.
// SIGTERM or SIGINT: destroy the client and exit 0. It dies (SIGKILL) with the runner.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <callsignal/callsignal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int g_events_fd = -1;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void append_event(const std::string& line) {
  const std::string text = line + "\n";
  // One write() of a short line to an O_APPEND file: all or nothing, even if killed right after.
  if (::write(g_events_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::fprintf(stderr, "chaos client: cannot write the events log\n");
    std::abort();
  }
}

// FNV-1a over the call id: the app's choice for this call, the same in every run of a seed.
unsigned choice_of(const char* call_id) {
  std::uint32_t h = 2166136261u;
  for (const char* p = call_id; *p != '\0'; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
  return h % 100;
}

void log_failure(const char* what, const char* call_id, const cs_error_t& err) {
  // Refusals are expected under chaos (a call ended meanwhile): logged for a human, not counted.
  std::fprintf(stderr, "%s %s: %s\n", what, call_id, err.message);
}

struct App {
  cs_client_t* client = nullptr;
};

void on_incoming(void* user_data, const cs_incoming_call_t* event) {
  App* app = static_cast<App*>(user_data);
  append_event("ring " + std::string(event->call_id) + " " + std::to_string(unix_ms()));
  const unsigned choice = choice_of(event->call_id);
  cs_error_t err;
  if (choice < 70) {
    if (cs_client_reject(app->client, event->call_id, nullptr, &err) != CS_OK) log_failure("reject", event->call_id, err);
  } else if (choice < 98) {
    if (cs_client_accept(app->client, event->call_id, &err) != CS_OK) log_failure("accept", event->call_id, err);
  }
  // else: let it ring.
}

void on_missed(void* user_data, const cs_missed_call_t* event) {
  (void)user_data;
  append_event("missed " + std::string(event->call_id) + " " + std::to_string(unix_ms()) + " " +
               cs_end_reason_name(event->reason));
}

void on_join(void* user_data, const cs_rtc_params_t* params) {
  App* app = static_cast<App*>(user_data);
  cs_error_t err;
  if (cs_client_rtc_joined(app->client, params->call_id, &err) != CS_OK) log_failure("rtc_joined", params->call_id, err);
}

void on_state(void* user_data, const cs_call_state_event_t* event) {
  App* app = static_cast<App*>(user_data);
  if (event->state != CS_CALL_ACTIVE) return;
  cs_error_t err;
  if (cs_client_hangup(app->client, event->call_id, &err) != CS_OK) log_failure("hangup", event->call_id, err);
}

void on_leave(void* user_data, const char* call_id) {
  App* app = static_cast<App*>(user_data);
  cs_error_t err;
  if (cs_client_rtc_left(app->client, call_id, &err) != CS_OK) log_failure("rtc_left", call_id, err);
}

void on_error(void* user_data, const cs_error_event_t* event) {
  (void)user_data;
  std::fprintf(stderr, "error event %s (%s): %s\n", event->what, cs_strerror(event->code), event->message);
}

int usage() {
  std::fprintf(stderr,
               "usage: callsignal_chaos_client BROKER_URI DATA_DIR DEVICE_ID USER_ID UPLINK DOWNLINK KEY_ID "
               "PUBLIC_KEY EVENTS_LOG STDERR_LOG MQTT_VERSION\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 12) return usage();
  // Dies with the runner, even when the runner itself is killed or aborts (a sanitizer report
  // with halt_on_error): no device outlives its run.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() == 1) return 1;
  // Our own stderr file: the runner does not drain the pipe it gave us.
  const int err_fd = ::open(argv[10], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (err_fd < 0 || ::dup2(err_fd, STDERR_FILENO) < 0) return 1;
  ::close(err_fd);
  g_events_fd = ::open(argv[9], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (g_events_fd < 0) {
    std::fprintf(stderr, "cannot open %s\n", argv[9]);
    return 1;
  }
  append_event("start - " + std::to_string(unix_ms()) + " " + std::to_string(::getpid()));

  // SIGTERM and SIGINT are taken by sigwait below: blocked before the SDK starts its threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const char* brokers[] = {argv[1]};
  const cs_trusted_key_t keys[] = {{argv[7], argv[8]}};
  cs_client_options_t options = CS_CLIENT_OPTIONS_INIT;
  options.broker_uris = brokers;
  options.broker_uri_count = 1;
  options.mqtt_version = std::strcmp(argv[11], "5") == 0 ? CS_MQTT_5 : CS_MQTT_3_1_1;
  options.group_id = "GID_chaos";
  options.device_id = argv[3];
  options.user_id = argv[4];
  options.uplink_parent = argv[5];
  options.downlink_parent = argv[6];
  options.platform = "chaos";
  options.data_dir = argv[2];
  options.trusted_keys = keys;
  options.trusted_key_count = 1;
  // A dead link (blackhole) is noticed within a few seconds, and reconnects come quickly.
  options.keepalive_s = 2;
  options.connect_timeout_s = 2;
  options.backoff_initial_ms = 100;
  options.backoff_max_ms = 1000;
  options.ring_timeout_ms = 3000;
  options.join_timeout_ms = 3000;

  App app;
  cs_listener_t listener = CS_LISTENER_INIT;
  listener.user_data = &app;
  listener.on_incoming_call = on_incoming;
  listener.on_missed_call = on_missed;
  listener.on_join_rtc = on_join;
  listener.on_call_state = on_state;
  listener.on_leave_rtc = on_leave;
  listener.on_error = on_error;

  cs_error_t err;
  if (cs_client_create(&options, &listener, &app.client, &err) != CS_OK) {
    std::fprintf(stderr, "cs_client_create: %s\n", err.message);
    return 1;
  }
  if (cs_client_connect(app.client, &err) != CS_OK) {
    std::fprintf(stderr, "cs_client_connect: %s\n", err.message);
    cs_client_destroy(app.client);
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  cs_client_destroy(app.client);
  ::close(g_events_fd);
  return 0;
}
