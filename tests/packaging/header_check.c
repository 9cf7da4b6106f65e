/* Proves that callsignal.h is a C header: this file includes it and uses every public type and
 * every _INIT macro. It is valid C99 and valid C++17, and is compiled as both: in the build
 * (callsignal_header_check_c, _cxx) and by ctest, with exactly the flags an app might use.
 * As C++, the _INIT macros list every field positionally, so a field added to a struct but not
 * to its macro fails -Wmissing-field-initializers (-Wextra). */
#include "callsignal/callsignal.h"

/* A callback of every listener type: a mismatch with cs_listener_t is an incompatible pointer
 * assignment, an error in both languages under -Werror. */
static void on_release(void *user_data) { (void)user_data; }

static void on_log(void *user_data, cs_log_level_t level, const char *message) {
  (void)user_data;
  (void)level;
  (void)message;
}

static void on_connection(void *user_data, const cs_connection_event_t *event) {
  cs_connection_state_t state = event->state;
  (void)user_data;
  (void)state;
}

static void on_incoming_call(void *user_data, const cs_incoming_call_t *event) {
  cs_media_t media = event->media;
  (void)user_data;
  (void)media;
}

static void on_call_state(void *user_data, const cs_call_state_event_t *event) {
  cs_call_state_t state = event->state;
  cs_end_reason_t reason = event->end_reason;
  (void)user_data;
  (void)state;
  (void)reason;
}

static void on_call_id(void *user_data, const char *request_id, const char *call_id) {
  (void)user_data;
  (void)request_id;
  (void)call_id;
}

static void on_rtc(void *user_data, const cs_rtc_params_t *params) {
  const cs_rtc_param_t *first = params->param_count > 0 ? &params->params[0] : NULL;
  (void)user_data;
  (void)first;
}

static void on_leave_rtc(void *user_data, const char *call_id) {
  (void)user_data;
  (void)call_id;
}

static void on_participants(void *user_data, const cs_participants_event_t *event) {
  const cs_participant_t *first = event->participant_count > 0 ? &event->participants[0] : NULL;
  cs_participant_state_t state = first != NULL ? first->state : CS_PARTICIPANT_INVITED;
  (void)user_data;
  (void)state;
}

static void on_mute_request(void *user_data, const cs_mute_request_t *event) {
  (void)user_data;
  (void)event;
}

static void on_missed_call(void *user_data, const cs_missed_call_t *event) {
  (void)user_data;
  (void)event;
}

static void on_error(void *user_data, const cs_error_event_t *event) {
  (void)user_data;
  (void)event;
}

/* Referenced from nowhere, so never called and never linked: it only has to compile. */
int callsignal_header_check(void);

int callsignal_header_check(void) {
  static const char *const uris[] = {"tcp://127.0.0.1:1883"};
  static const char *const pins[] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  static const char *const callees[] = {"bob"};
  cs_trusted_key_t key = {"k1", "MCowBQYDK2VwAyEA"};
  cs_auth_options_t auth;
  cs_tls_options_t tls;
  cs_client_options_t options = CS_CLIENT_OPTIONS_INIT;
  cs_listener_t listener = CS_LISTENER_INIT;
  cs_call_options_t call = CS_CALL_OPTIONS_INIT;
  cs_stats_t stats = CS_STATS_INIT;
  cs_error_t err;
  cs_client_t *client = NULL;
  cs_log_fn log_fn = on_log;
  cs_broker_profile_t profile = CS_BROKER_ALIBABA;
  cs_mqtt_version_t mqtt = CS_MQTT_5;
  cs_auth_mode_t mode = CS_AUTH_USERNAME_PASSWORD;
  cs_busy_policy_t busy = CS_BUSY_CALL_WAITING;
  cs_log_level_t level = CS_LOG_WARN;
  char call_id[CS_CALL_ID_SIZE];

  options.broker_uris = uris;
  options.broker_uri_count = 1;
  options.broker_profile = profile;
  options.mqtt_version = mqtt;
  auth = options.auth;
  auth.mode = mode;
  auth.username = "alice";
  options.auth = auth;
  tls = options.tls;
  tls.spki_sha256_pins = pins;
  tls.spki_sha256_pin_count = 1;
  options.tls = tls;
  options.trusted_keys = &key;
  options.trusted_key_count = 1;
  options.busy_policy = busy;

  listener.release = on_release;
  listener.on_connection = on_connection;
  listener.on_incoming_call = on_incoming_call;
  listener.on_call_state = on_call_state;
  listener.on_call_id = on_call_id;
  listener.on_join_rtc = on_rtc;
  listener.on_rtc_update = on_rtc;
  listener.on_leave_rtc = on_leave_rtc;
  listener.on_participants = on_participants;
  listener.on_mute_request = on_mute_request;
  listener.on_missed_call = on_missed_call;
  listener.on_error = on_error;

  call.callees = callees;
  call.callee_count = 1;
  call.media = CS_MEDIA_VIDEO;

  cs_log_set_handler(level, log_fn, NULL, on_release);
  if (cs_client_create(&options, &listener, &client, &err) != CS_OK) return err.code;
  if (cs_client_start_call(client, &call, call_id, &err) != CS_OK) return err.code;
  if (cs_client_get_stats(client, &stats, NULL) != CS_OK) return CS_E_INTERNAL;
  cs_client_destroy(client);
  return stats.delivered > 0 ? 1 : 0;
}
