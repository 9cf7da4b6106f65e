// The public structs' layout, pinned: every struct's size and every field's offset, as compiled
// for LP64 targets (Linux and Android arm64/x86_64, iOS and macOS), and the values of the public
// codes and enumerations.
//
// An app built against an older callsignal.h keeps working with a newer library only if what it
// already knows does not move. The library reads options structs through struct_size, so a field
// appended at the end is safe; inserting, removing, reordering or retyping a field is not, and
// neither is renumbering a code. Such a change breaks the build here, on purpose: a struct may
// change only by appending fields at its end (then add their offsets and the new size below), and
// a code or an enumeration only by appending values.
//
// This file emits no code. It is compiled into libcallsignal.so and libcallsignal.a so that no
// build of the library can ship with a layout other than this one.
#include <cstddef>
#include <cstdint>

#include "callsignal/callsignal.h"

// 32-bit targets (armeabi-v7a, x86) have another layout, not pinned here.
#if UINTPTR_MAX == UINT64_MAX
static_assert(sizeof(void *) == 8 && sizeof(size_t) == 8);

// Enumerations are int-sized: a value outside int's range would change every struct holding one.
static_assert(sizeof(cs_broker_profile_t) == 4 && sizeof(cs_mqtt_version_t) == 4 &&
              sizeof(cs_auth_mode_t) == 4 && sizeof(cs_busy_policy_t) == 4 &&
              sizeof(cs_media_t) == 4 && sizeof(cs_connection_state_t) == 4 &&
              sizeof(cs_call_state_t) == 4 && sizeof(cs_end_reason_t) == 4 &&
              sizeof(cs_participant_state_t) == 4 && sizeof(cs_log_level_t) == 4);

// cs_error_t
static_assert(sizeof(cs_error_t) == 260);
static_assert(offsetof(cs_error_t, code) == 0);
static_assert(offsetof(cs_error_t, message) == 4);

// cs_trusted_key_t
static_assert(sizeof(cs_trusted_key_t) == 16);
static_assert(offsetof(cs_trusted_key_t, key_id) == 0);
static_assert(offsetof(cs_trusted_key_t, public_key) == 8);

// cs_auth_options_t
static_assert(sizeof(cs_auth_options_t) == 56);
static_assert(offsetof(cs_auth_options_t, mode) == 0);
static_assert(offsetof(cs_auth_options_t, username) == 8);
static_assert(offsetof(cs_auth_options_t, password) == 16);
static_assert(offsetof(cs_auth_options_t, access_key_id) == 24);
static_assert(offsetof(cs_auth_options_t, access_key_secret) == 32);
static_assert(offsetof(cs_auth_options_t, instance_id) == 40);
static_assert(offsetof(cs_auth_options_t, token) == 48);

// cs_tls_options_t
static_assert(sizeof(cs_tls_options_t) == 72);
static_assert(offsetof(cs_tls_options_t, enabled) == 0);
static_assert(offsetof(cs_tls_options_t, ca_file) == 8);
static_assert(offsetof(cs_tls_options_t, ca_dir) == 16);
static_assert(offsetof(cs_tls_options_t, client_cert_file) == 24);
static_assert(offsetof(cs_tls_options_t, client_key_file) == 32);
static_assert(offsetof(cs_tls_options_t, client_key_password) == 40);
static_assert(offsetof(cs_tls_options_t, spki_sha256_pins) == 48);
static_assert(offsetof(cs_tls_options_t, spki_sha256_pin_count) == 56);
static_assert(offsetof(cs_tls_options_t, skip_hostname_check) == 64);
static_assert(offsetof(cs_tls_options_t, insecure_skip_verify) == 68);

// cs_client_options_t
static_assert(sizeof(cs_client_options_t) == 320);
static_assert(offsetof(cs_client_options_t, struct_size) == 0);
static_assert(offsetof(cs_client_options_t, broker_uris) == 8);
static_assert(offsetof(cs_client_options_t, broker_uri_count) == 16);
static_assert(offsetof(cs_client_options_t, broker_profile) == 24);
static_assert(offsetof(cs_client_options_t, mqtt_version) == 28);
static_assert(offsetof(cs_client_options_t, group_id) == 32);
static_assert(offsetof(cs_client_options_t, device_id) == 40);
static_assert(offsetof(cs_client_options_t, user_id) == 48);
static_assert(offsetof(cs_client_options_t, uplink_parent) == 56);
static_assert(offsetof(cs_client_options_t, downlink_parent) == 64);
static_assert(offsetof(cs_client_options_t, platform) == 72);
static_assert(offsetof(cs_client_options_t, auth) == 80);
static_assert(offsetof(cs_client_options_t, tls) == 136);
static_assert(offsetof(cs_client_options_t, keepalive_s) == 208);
static_assert(offsetof(cs_client_options_t, connect_timeout_s) == 212);
static_assert(offsetof(cs_client_options_t, backoff_initial_ms) == 216);
static_assert(offsetof(cs_client_options_t, backoff_max_ms) == 220);
static_assert(offsetof(cs_client_options_t, session_expiry_s) == 224);
static_assert(offsetof(cs_client_options_t, data_dir) == 232);
static_assert(offsetof(cs_client_options_t, fsync) == 240);
static_assert(offsetof(cs_client_options_t, trusted_keys) == 248);
static_assert(offsetof(cs_client_options_t, trusted_key_count) == 256);
static_assert(offsetof(cs_client_options_t, request_timeout_ms) == 264);
static_assert(offsetof(cs_client_options_t, ring_timeout_ms) == 268);
static_assert(offsetof(cs_client_options_t, join_timeout_ms) == 272);
static_assert(offsetof(cs_client_options_t, request_lifetime_ms) == 276);
static_assert(offsetof(cs_client_options_t, keepalive_interval_ms) == 280);
static_assert(offsetof(cs_client_options_t, peer_silence_ms) == 284);
static_assert(offsetof(cs_client_options_t, busy_policy) == 288);
static_assert(offsetof(cs_client_options_t, max_group) == 292);
static_assert(offsetof(cs_client_options_t, max_payload_bytes) == 296);
static_assert(offsetof(cs_client_options_t, max_outbox_messages) == 300);
static_assert(offsetof(cs_client_options_t, max_outbox_bytes) == 304);
static_assert(offsetof(cs_client_options_t, skew_tolerance_ms) == 308);
static_assert(offsetof(cs_client_options_t, max_future_ms) == 312);

// cs_connection_event_t
static_assert(sizeof(cs_connection_event_t) == 40);
static_assert(offsetof(cs_connection_event_t, state) == 0);
static_assert(offsetof(cs_connection_event_t, session_present) == 4);
static_assert(offsetof(cs_connection_event_t, reason) == 8);
static_assert(offsetof(cs_connection_event_t, detail) == 16);
static_assert(offsetof(cs_connection_event_t, broker_uri) == 24);
static_assert(offsetof(cs_connection_event_t, attempt) == 32);
static_assert(offsetof(cs_connection_event_t, retry_in_ms) == 36);

// cs_incoming_call_t
static_assert(sizeof(cs_incoming_call_t) == 80);
static_assert(offsetof(cs_incoming_call_t, call_id) == 0);
static_assert(offsetof(cs_incoming_call_t, caller) == 8);
static_assert(offsetof(cs_incoming_call_t, media) == 16);
static_assert(offsetof(cs_incoming_call_t, custom_json) == 24);
static_assert(offsetof(cs_incoming_call_t, callees) == 32);
static_assert(offsetof(cs_incoming_call_t, callee_count) == 40);
static_assert(offsetof(cs_incoming_call_t, members) == 48);
static_assert(offsetof(cs_incoming_call_t, member_count) == 56);
static_assert(offsetof(cs_incoming_call_t, waiting) == 64);
static_assert(offsetof(cs_incoming_call_t, auto_accepted) == 68);
static_assert(offsetof(cs_incoming_call_t, replayed) == 72);

// cs_call_state_event_t
static_assert(sizeof(cs_call_state_event_t) == 16);
static_assert(offsetof(cs_call_state_event_t, call_id) == 0);
static_assert(offsetof(cs_call_state_event_t, state) == 8);
static_assert(offsetof(cs_call_state_event_t, end_reason) == 12);

// cs_rtc_param_t
static_assert(sizeof(cs_rtc_param_t) == 16);
static_assert(offsetof(cs_rtc_param_t, key) == 0);
static_assert(offsetof(cs_rtc_param_t, value) == 8);

// cs_rtc_params_t
static_assert(sizeof(cs_rtc_params_t) == 40);
static_assert(offsetof(cs_rtc_params_t, call_id) == 0);
static_assert(offsetof(cs_rtc_params_t, vendor) == 8);
static_assert(offsetof(cs_rtc_params_t, params) == 16);
static_assert(offsetof(cs_rtc_params_t, param_count) == 24);
static_assert(offsetof(cs_rtc_params_t, params_json) == 32);

// cs_participant_t
static_assert(sizeof(cs_participant_t) == 16);
static_assert(offsetof(cs_participant_t, user_id) == 0);
static_assert(offsetof(cs_participant_t, state) == 8);

// cs_participants_event_t
static_assert(sizeof(cs_participants_event_t) == 24);
static_assert(offsetof(cs_participants_event_t, call_id) == 0);
static_assert(offsetof(cs_participants_event_t, participants) == 8);
static_assert(offsetof(cs_participants_event_t, participant_count) == 16);

// cs_mute_request_t
static_assert(sizeof(cs_mute_request_t) == 24);
static_assert(offsetof(cs_mute_request_t, call_id) == 0);
static_assert(offsetof(cs_mute_request_t, by) == 8);
static_assert(offsetof(cs_mute_request_t, audio) == 16);
static_assert(offsetof(cs_mute_request_t, video) == 20);

// cs_missed_call_t
static_assert(sizeof(cs_missed_call_t) == 24);
static_assert(offsetof(cs_missed_call_t, call_id) == 0);
static_assert(offsetof(cs_missed_call_t, caller) == 8);
static_assert(offsetof(cs_missed_call_t, reason) == 16);

// cs_error_event_t
static_assert(sizeof(cs_error_event_t) == 32);
static_assert(offsetof(cs_error_event_t, code) == 0);
static_assert(offsetof(cs_error_event_t, call_id) == 8);
static_assert(offsetof(cs_error_event_t, what) == 16);
static_assert(offsetof(cs_error_event_t, message) == 24);

// cs_listener_t
static_assert(sizeof(cs_listener_t) == 112);
static_assert(offsetof(cs_listener_t, struct_size) == 0);
static_assert(offsetof(cs_listener_t, user_data) == 8);
static_assert(offsetof(cs_listener_t, release) == 16);
static_assert(offsetof(cs_listener_t, on_connection) == 24);
static_assert(offsetof(cs_listener_t, on_incoming_call) == 32);
static_assert(offsetof(cs_listener_t, on_call_state) == 40);
static_assert(offsetof(cs_listener_t, on_call_id) == 48);
static_assert(offsetof(cs_listener_t, on_join_rtc) == 56);
static_assert(offsetof(cs_listener_t, on_rtc_update) == 64);
static_assert(offsetof(cs_listener_t, on_leave_rtc) == 72);
static_assert(offsetof(cs_listener_t, on_participants) == 80);
static_assert(offsetof(cs_listener_t, on_mute_request) == 88);
static_assert(offsetof(cs_listener_t, on_missed_call) == 96);
static_assert(offsetof(cs_listener_t, on_error) == 104);

// cs_call_options_t
static_assert(sizeof(cs_call_options_t) == 40);
static_assert(offsetof(cs_call_options_t, struct_size) == 0);
static_assert(offsetof(cs_call_options_t, callees) == 8);
static_assert(offsetof(cs_call_options_t, callee_count) == 16);
static_assert(offsetof(cs_call_options_t, media) == 24);
static_assert(offsetof(cs_call_options_t, custom_json) == 32);

// cs_stats_t
static_assert(sizeof(cs_stats_t) == 72);
static_assert(offsetof(cs_stats_t, struct_size) == 0);
static_assert(offsetof(cs_stats_t, received) == 8);
static_assert(offsetof(cs_stats_t, delivered) == 16);
static_assert(offsetof(cs_stats_t, duplicates_dropped) == 24);
static_assert(offsetof(cs_stats_t, expired_dropped) == 32);
static_assert(offsetof(cs_stats_t, invalid_dropped) == 40);
static_assert(offsetof(cs_stats_t, forged_dropped) == 48);
static_assert(offsetof(cs_stats_t, reconnects) == 56);
static_assert(offsetof(cs_stats_t, outbound_queued) == 64);
#endif  // UINTPTR_MAX == UINT64_MAX

// Array sizes in the ABI.
static_assert(CS_ERROR_MESSAGE_SIZE == 256);
static_assert(CS_CALL_ID_SIZE == 65);

// Status codes: new ones are only ever appended.
static_assert(CS_OK == 0 && CS_E_INVALID_ARGUMENT == 1 && CS_E_INVALID_CONFIG == 2 &&
              CS_E_INVALID_STATE == 3 && CS_E_CLOSED == 4 && CS_E_OUTBOX_FULL == 5 &&
              CS_E_IO == 6 && CS_E_NOT_CONNECTED == 7 && CS_E_TIMEOUT == 8 && CS_E_TLS == 9 &&
              CS_E_AUTH == 10 && CS_E_BROKER == 11 && CS_E_EXPIRED == 12 &&
              CS_E_INTERNAL == 13 && CS_E_NO_MEMORY == 14 && CS_E_UNKNOWN_CALL == 15);

// Enumerations: the values cross the ABI as ints.
static_assert(CS_BROKER_GENERIC == 0 && CS_BROKER_ALIBABA == 1);
static_assert(CS_MQTT_3_1_1 == 0 && CS_MQTT_5 == 1);
static_assert(CS_AUTH_NONE == 0 && CS_AUTH_USERNAME_PASSWORD == 1 &&
              CS_AUTH_ALIBABA_SIGNATURE == 2 && CS_AUTH_ALIBABA_TOKEN == 3);
static_assert(CS_BUSY_AUTO_REJECT == 0 && CS_BUSY_CALL_WAITING == 1);
static_assert(CS_MEDIA_AUDIO == 0 && CS_MEDIA_VIDEO == 1);
static_assert(CS_CONNECTION_IDLE == 0 && CS_CONNECTION_CONNECTING == 1 &&
              CS_CONNECTION_CONNECTED == 2 && CS_CONNECTION_DISCONNECTED == 3 &&
              CS_CONNECTION_CLOSED == 4);
static_assert(CS_CALL_IDLE == 0 && CS_CALL_OUTGOING == 1 && CS_CALL_DIALING == 2 &&
              CS_CALL_INCOMING == 3 && CS_CALL_ACCEPTING == 4 && CS_CALL_CONNECTING == 5 &&
              CS_CALL_ACTIVE == 6 && CS_CALL_RECOVERED == 7 && CS_CALL_ENDING == 8 &&
              CS_CALL_ENDED == 9);
static_assert(CS_END_NONE == -1 && CS_END_LOCAL_HANGUP == 0 && CS_END_REMOTE_HANGUP == 1 &&
              CS_END_REJECTED == 2 && CS_END_BUSY == 3 && CS_END_NO_ANSWER == 4 &&
              CS_END_CANCELLED == 5 && CS_END_ANSWERED_ELSEWHERE == 6 &&
              CS_END_REJECTED_ELSEWHERE == 7 && CS_END_KICKED == 8 && CS_END_ENDED_BY_HOST == 9 &&
              CS_END_EXPIRED == 10 && CS_END_JOIN_FAILED == 11 && CS_END_NETWORK_LOST == 12 &&
              CS_END_SERVICE_ERROR == 13 && CS_END_GLARE == 14);
static_assert(CS_PARTICIPANT_INVITED == 0 && CS_PARTICIPANT_RINGING == 1 &&
              CS_PARTICIPANT_JOINED == 2 && CS_PARTICIPANT_REJECTED == 3 &&
              CS_PARTICIPANT_BUSY == 4 && CS_PARTICIPANT_NO_ANSWER == 5 &&
              CS_PARTICIPANT_LEFT == 6);
static_assert(CS_LOG_DEBUG == 0 && CS_LOG_INFO == 1 && CS_LOG_WARN == 2 && CS_LOG_ERROR == 3 &&
              CS_LOG_OFF == 4);
