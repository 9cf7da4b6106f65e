/*
 * callsignal: call signaling over MQTT. The stable C ABI.
 *
 * This one header is the whole public API of the SDK. The JNI and Objective-C bindings and the
 * thin C++ header (callsignal.hpp) are built on it alone.
 *
 * Conventions (they hold for every function below unless its comment says otherwise)
 *   - Handles are opaque: cs_client_t is an incomplete type. Create/destroy pairs; destroy
 *     accepts NULL.
 *   - Functions return an int status: CS_OK (0) or a CS_E_* code. cs_strerror() names a code.
 *     Functions that can fail take an optional `cs_error_t *err` (may be NULL): on failure it is
 *     filled with the code and an English message naming the argument or field at fault; on
 *     success it is left untouched. The caller owns it (a stack variable is fine).
 *   - Strings passed in are UTF-8, NUL-terminated and borrowed: the SDK copies what it keeps
 *     before the function returns. Invalid UTF-8 is refused with CS_E_INVALID_ARGUMENT, and so
 *     is a NULL array given with a count above 0.
 *   - Strings handed out in events are UTF-8, owned by the SDK and valid only until the
 *     callback returns: copy what you keep.
 *   - Options structs start with `struct_size`; initialise them with their CS_..._INIT macro,
 *     then set the fields you need. A zero field means "the default" given in its comment. The
 *     SDK reads only the first struct_size bytes, so a program built against an older, smaller
 *     struct keeps working when fields are added at the end. A struct_size smaller than the
 *     first release's struct, or larger than this library knows, is CS_E_INVALID_ARGUMENT.
 *   - Every function is thread-safe and never throws: a C++ exception never crosses this ABI.
 *
 * Threads and callbacks
 *   - Every listener callback runs on the SDK's event thread, one at a time (callbacks of all
 *     clients of the process are serialised on that thread, in the order the events happened).
 *     A slow callback delays the others: hand long work to a thread of yours.
 *   - No callback is made while the SDK holds a lock of its own, so any function of this header
 *     may be called from inside a callback, cs_client_destroy() of the calling client included
 *     (see there).
 *   - The log handler (cs_log_set_handler) is the exception: it runs on whichever SDK thread
 *     logs.
 */
#ifndef CALLSIGNAL_CALLSIGNAL_H
#define CALLSIGNAL_CALLSIGNAL_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(CALLSIGNAL_BUILDING)
#    define CS_API __declspec(dllexport)
#  elif defined(CALLSIGNAL_SHARED)
#    define CS_API __declspec(dllimport)
#  else
#    define CS_API
#  endif
#else
#  define CS_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
#  define CS_NOEXCEPT noexcept
extern "C" {
#else
#  define CS_NOEXCEPT
#endif

/* ---- version ----------------------------------------------------------------------------- */

#define CALLSIGNAL_VERSION_MAJOR 0
#define CALLSIGNAL_VERSION_MINOR 1
#define CALLSIGNAL_VERSION_PATCH 0
#define CALLSIGNAL_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for #if comparisons. */
#define CALLSIGNAL_VERSION_NUMBER \
  (CALLSIGNAL_VERSION_MAJOR * 10000 + CALLSIGNAL_VERSION_MINOR * 100 + CALLSIGNAL_VERSION_PATCH)

/* The version of the library linked at run time ("0.1.0"): static, never NULL. Compare with
 * CALLSIGNAL_VERSION_STRING to detect a header/library mismatch. */
CS_API const char *cs_version(void) CS_NOEXCEPT;
/* The same as a number, like CALLSIGNAL_VERSION_NUMBER. */
CS_API int cs_version_number(void) CS_NOEXCEPT;

/* ---- status codes and errors -------------------------------------------------------------- */

/* Stable values: new codes are only ever appended. */
#define CS_OK 0
#define CS_E_INVALID_ARGUMENT 1 /* an argument is NULL, malformed, not UTF-8, or a bad struct_size */
#define CS_E_INVALID_CONFIG 2   /* an options field is missing or wrong (the message names it) */
#define CS_E_INVALID_STATE 3    /* not allowed now: e.g. accept on a call that is not ringing */
#define CS_E_CLOSED 4           /* the client is being destroyed, or was disconnected for good */
#define CS_E_OUTBOX_FULL 5      /* the durable outbound queue is full: nothing was queued */
#define CS_E_IO 6               /* the data directory could not be read or written */
#define CS_E_NOT_CONNECTED 7    /* the operation needs a live broker connection */
#define CS_E_TIMEOUT 8          /* a deadline passed */
#define CS_E_TLS 9              /* TLS setup, certificate verification or pin check failed */
#define CS_E_AUTH 10            /* the broker refused the credentials */
#define CS_E_BROKER 11          /* the broker refused or dropped the connection */
#define CS_E_EXPIRED 12         /* a message outlived its lifetime */
#define CS_E_INTERNAL 13        /* a bug or an unexpected library failure */
#define CS_E_NO_MEMORY 14       /* an allocation failed */
#define CS_E_UNKNOWN_CALL 15    /* no call with this id is known to this client */

/* A short English name for a status code ("invalid argument"): static, never NULL; codes this
 * library does not know give "unknown error". */
CS_API const char *cs_strerror(int code) CS_NOEXCEPT;

#define CS_ERROR_MESSAGE_SIZE 256

/* Detail about a failure, filled by the function that failed. Caller-owned. The message is
 * NUL-terminated (truncated to fit) and never contains a secret. */
typedef struct cs_error {
  int code;
  char message[CS_ERROR_MESSAGE_SIZE];
} cs_error_t;

/* ---- enumerations ------------------------------------------------------------------------- */

typedef enum cs_broker_profile {
  CS_BROKER_GENERIC = 0, /* Mosquitto, EMQX, HiveMQ, RabbitMQ: the client subscribes to its P2P topic */
  CS_BROKER_ALIBABA = 1  /* Alibaba Cloud MQTT: native P2P, no last will */
} cs_broker_profile_t;

typedef enum cs_mqtt_version {
  CS_MQTT_3_1_1 = 0,
  CS_MQTT_5 = 1
} cs_mqtt_version_t;

typedef enum cs_auth_mode {
  CS_AUTH_NONE = 0,
  CS_AUTH_USERNAME_PASSWORD = 1,
  CS_AUTH_ALIBABA_SIGNATURE = 2, /* access key id + secret: the SDK computes the signature */
  CS_AUTH_ALIBABA_TOKEN = 3      /* access key id + a token from your server; see cs_client_renew_token() */
} cs_auth_mode_t;

typedef enum cs_busy_policy {
  CS_BUSY_AUTO_REJECT = 0, /* an invite during a call is refused "busy"; the app gets a missed call */
  CS_BUSY_CALL_WAITING = 1 /* it rings as a waiting call; accepting it hangs up the current one */
} cs_busy_policy_t;

typedef enum cs_media {
  CS_MEDIA_AUDIO = 0,
  CS_MEDIA_VIDEO = 1
} cs_media_t;

typedef enum cs_connection_state {
  CS_CONNECTION_IDLE = 0,         /* created, cs_client_connect() not called yet */
  CS_CONNECTION_CONNECTING = 1,   /* an attempt is under way */
  CS_CONNECTION_CONNECTED = 2,    /* connected and subscribed: invites flow */
  CS_CONNECTION_DISCONNECTED = 3, /* waiting for the next automatic attempt */
  CS_CONNECTION_CLOSED = 4        /* cs_client_disconnect() ran: terminal for this client */
} cs_connection_state_t;

/* The state of one call on this device (docs/call-states.md draws the transitions). */
typedef enum cs_call_state {
  CS_CALL_IDLE = 0,
  CS_CALL_OUTGOING = 1,   /* our call request is on its way to the service */
  CS_CALL_DIALING = 2,    /* the service created the call; the callees ring; we are joining RTC */
  CS_CALL_INCOMING = 3,   /* ringing here */
  CS_CALL_ACCEPTING = 4,  /* we answered; joining RTC */
  CS_CALL_CONNECTING = 5, /* someone answered; our RTC join is not done yet */
  CS_CALL_ACTIVE = 6,     /* in the call */
  CS_CALL_RECOVERED = 7,  /* reserved: a call found live after an app restart */
  CS_CALL_ENDING = 8,     /* over; leaving the RTC channel */
  CS_CALL_ENDED = 9       /* terminal */
} cs_call_state_t;

/* Why a call ended on this device. */
typedef enum cs_end_reason {
  CS_END_NONE = -1,               /* the call has not ended */
  CS_END_LOCAL_HANGUP = 0,        /* the user hung up here */
  CS_END_REMOTE_HANGUP = 1,       /* the peer hung up */
  CS_END_REJECTED = 2,            /* the callee declined (or we did) */
  CS_END_BUSY = 3,                /* the callee was busy */
  CS_END_NO_ANSWER = 4,           /* nobody answered in time */
  CS_END_CANCELLED = 5,           /* the caller gave up before an answer */
  CS_END_ANSWERED_ELSEWHERE = 6,  /* another device of this user answered */
  CS_END_REJECTED_ELSEWHERE = 7,  /* another device of this user declined */
  CS_END_KICKED = 8,              /* a participant removed us */
  CS_END_ENDED_BY_HOST = 9,       /* someone ended the call for everyone */
  CS_END_EXPIRED = 10,            /* the invite's lifetime ran out */
  CS_END_JOIN_FAILED = 11,        /* the RTC join failed or took too long */
  CS_END_NETWORK_LOST = 12,       /* the call's liveness was lost */
  CS_END_SERVICE_ERROR = 13,      /* the service refused our request or never answered */
  CS_END_GLARE = 14               /* our call crossed the peer's; theirs went on instead */
} cs_end_reason_t;

typedef enum cs_participant_state {
  CS_PARTICIPANT_INVITED = 0,
  CS_PARTICIPANT_RINGING = 1,
  CS_PARTICIPANT_JOINED = 2,
  CS_PARTICIPANT_REJECTED = 3,
  CS_PARTICIPANT_BUSY = 4,
  CS_PARTICIPANT_NO_ANSWER = 5,
  CS_PARTICIPANT_LEFT = 6
} cs_participant_state_t;

typedef enum cs_log_level {
  CS_LOG_DEBUG = 0,
  CS_LOG_INFO = 1,
  CS_LOG_WARN = 2,
  CS_LOG_ERROR = 3,
  CS_LOG_OFF = 4
} cs_log_level_t;

/* Static names, never NULL ("active", "answered_elsewhere", ...); "unknown" out of range. */
CS_API const char *cs_call_state_name(cs_call_state_t state) CS_NOEXCEPT;
CS_API const char *cs_end_reason_name(cs_end_reason_t reason) CS_NOEXCEPT;
CS_API const char *cs_connection_state_name(cs_connection_state_t state) CS_NOEXCEPT;
CS_API const char *cs_participant_state_name(cs_participant_state_t state) CS_NOEXCEPT;

/* ---- logging ------------------------------------------------------------------------------ */

/* Receives one log line: `message` is valid during the call only. Runs on the SDK thread that
 * logs (the event thread, Paho's threads, or the caller of a cs_ function), possibly from
 * several threads at once. It must not call cs_log_set_handler(). Keys, passwords and tokens
 * never appear in a log line. */
typedef void (*cs_log_fn)(void *user_data, cs_log_level_t level, const char *message);

/* Installs the process-wide log handler, replacing the previous one (whose release, if any, is
 * called once no thread is inside it any more). Lines below `min_level` are not formatted at
 * all. fn NULL: logging off (the default). `release` (may be NULL) is called exactly once with
 * `user_data`, when the handler is replaced. */
CS_API void cs_log_set_handler(cs_log_level_t min_level, cs_log_fn fn, void *user_data,
                               void (*release)(void *user_data)) CS_NOEXCEPT;

/* ---- client options ----------------------------------------------------------------------- */

/* A trusted signing key of the call control service. */
typedef struct cs_trusted_key {
  const char *key_id;     /* the "kid" the service signs with, 1..64 of [A-Za-z0-9._:-] */
  const char *public_key; /* PEM "PUBLIC KEY" text, or the raw 32-byte Ed25519 key in base64 */
} cs_trusted_key_t;

typedef struct cs_auth_options {
  cs_auth_mode_t mode;
  const char *username;          /* CS_AUTH_USERNAME_PASSWORD */
  const char *password;          /* CS_AUTH_USERNAME_PASSWORD; never logged */
  const char *access_key_id;     /* CS_AUTH_ALIBABA_* */
  const char *access_key_secret; /* CS_AUTH_ALIBABA_SIGNATURE; never logged */
  const char *instance_id;       /* CS_AUTH_ALIBABA_* */
  const char *token;             /* CS_AUTH_ALIBABA_TOKEN; never logged */
} cs_auth_options_t;

typedef struct cs_tls_options {
  int enabled;                       /* also implied by ssl:// and mqtts:// broker URIs */
  const char *ca_file;               /* PEM bundle; NULL with ca_dir NULL: the system store */
  const char *ca_dir;                /* directory of hashed PEM certificates */
  const char *client_cert_file;      /* PEM, for mutual TLS */
  const char *client_key_file;       /* PEM, required with client_cert_file */
  const char *client_key_password;   /* never logged */
  const char *const *spki_sha256_pins; /* base64 SHA-256 of the broker's SubjectPublicKeyInfo */
  size_t spki_sha256_pin_count;
  int skip_hostname_check;           /* lab brokers only */
  int insecure_skip_verify;          /* lab brokers only: no certificate check at all */
} cs_tls_options_t;

typedef struct cs_client_options {
  uint32_t struct_size; /* sizeof(cs_client_options_t), set by CS_CLIENT_OPTIONS_INIT */

  /* Broker: URIs tcp://, mqtt://, ssl:// or mqtts:// host:port, tried in order (required). */
  const char *const *broker_uris;
  size_t broker_uri_count;
  cs_broker_profile_t broker_profile;
  cs_mqtt_version_t mqtt_version;

  /* Identity. The MQTT client id is <group_id>@@@<device_id>, at most 64 characters. */
  const char *group_id;        /* required */
  const char *device_id;       /* required: stable per app install */
  const char *user_id;         /* required: the app user this device serves */
  const char *uplink_parent;   /* required: first topic level towards the service */
  const char *downlink_parent; /* required: first topic level towards devices */
  const char *platform;        /* told to the service in "hello"; NULL: "desktop" */

  cs_auth_options_t auth;
  cs_tls_options_t tls;

  /* Connection. */
  uint32_t keepalive_s;        /* 0: 30 */
  uint32_t connect_timeout_s;  /* 0: 10 */
  uint32_t backoff_initial_ms; /* first reconnect delay; 0: 500 */
  uint32_t backoff_max_ms;     /* 0: 60000 */
  uint32_t session_expiry_s;   /* MQTT 5 session expiry; 0: 7 days */

  /* Storage. data_dir holds the durable outbox and the inbox ledger (dedup across restarts):
   * one directory per client, kept across app launches. NULL: memory only (tests and tools:
   * nothing survives a restart). */
  const char *data_dir;
  int fsync; /* non-zero: fsync every durable write (survives power loss; costs a flash write) */

  /* Security: the service's public keys. None: signatures are not checked (development only:
   * anyone who can publish to the downlink topics can then forge invites). */
  const cs_trusted_key_t *trusted_keys;
  size_t trusted_key_count;

  /* Calls. */
  uint32_t request_timeout_ms;   /* a call request unanswered by the service; 0: 15000 */
  uint32_t ring_timeout_ms;      /* ringing / dialing without an answer; 0: 30000 */
  uint32_t join_timeout_ms;      /* RTC join to cs_client_rtc_joined(); 0: 15000 */
  uint32_t request_lifetime_ms;  /* lifetime (ttl) of our requests to the service; 0: 30000 */
  uint32_t keepalive_interval_ms; /* in-call keepalive to the service; 0: 15000 */
  uint32_t peer_silence_ms;      /* no in-call keepalive from the service: the call is lost; 0: 45000 */
  cs_busy_policy_t busy_policy;
  uint32_t max_group;            /* participants per call, caller included; 0: 9 */

  /* Limits. */
  uint32_t max_payload_bytes;   /* largest accepted frame; 0: 16384 */
  uint32_t max_outbox_messages; /* 0: 10000 */
  uint32_t max_outbox_bytes;    /* 0: 16 MiB */
  uint32_t skew_tolerance_ms;   /* clock disagreement tolerated on expiry checks; 0: 5000 */
  uint32_t max_future_ms;       /* how far ahead of the service clock a stamp may be; 0: 30000 */
} cs_client_options_t;

#ifdef __cplusplus
#  define CS_CLIENT_OPTIONS_INIT                                                                 \
    {                                                                                            \
      sizeof(cs_client_options_t), NULL, 0, CS_BROKER_GENERIC, CS_MQTT_3_1_1, NULL, NULL, NULL,  \
          NULL, NULL, NULL, {CS_AUTH_NONE, NULL, NULL, NULL, NULL, NULL, NULL},                  \
          {0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0}, 0, 0, 0, 0, 0, NULL, 0, NULL, 0, 0,  \
          0, 0, 0, 0, 0, CS_BUSY_AUTO_REJECT, 0, 0, 0, 0, 0, 0                                   \
    }
#else
#  define CS_CLIENT_OPTIONS_INIT { .struct_size = sizeof(cs_client_options_t) }
#endif

/* ---- events ------------------------------------------------------------------------------- */

typedef struct cs_connection_event {
  cs_connection_state_t state;
  int session_present;  /* connected: the broker kept our session (queued messages follow) */
  int reason;           /* disconnected: a CS_E_* code */
  const char *detail;   /* disconnected: why, in English; "" otherwise */
  const char *broker_uri; /* connecting / connected: which broker; "" otherwise */
  uint32_t attempt;     /* consecutive failed attempts so far */
  uint32_t retry_in_ms; /* disconnected: delay before the next attempt */
} cs_connection_event_t;

typedef struct cs_incoming_call {
  const char *call_id;
  const char *caller;            /* user id of who called */
  cs_media_t media;
  const char *custom_json;       /* the caller's app data as a JSON object text; "" if none */
  const char *const *callees;    /* everyone invited, us included */
  size_t callee_count;
  const char *const *members;    /* already in the call (an invite to a running call) */
  size_t member_count;
  int waiting;                   /* rings while we are in another call (call waiting) */
  int auto_accepted;             /* glare: it replaced our own outgoing call, already accepted */
  int replayed;                  /* 1: an earlier run of the app received this invite and was
                                    killed or closed before the SDK knew the app had it; that run
                                    may have shown it. Check your own state before ringing again. */
} cs_incoming_call_t;

typedef struct cs_call_state_event {
  const char *call_id;
  cs_call_state_t state;
  cs_end_reason_t end_reason; /* CS_END_NONE unless state is ENDING or ENDED */
} cs_call_state_event_t;

typedef struct cs_rtc_param {
  const char *key;
  const char *value;
} cs_rtc_param_t;

/* RTC join parameters minted by the service for this device: pass them to your RTC SDK. */
typedef struct cs_rtc_params {
  const char *call_id;
  const char *vendor;            /* e.g. "aliyun_artc", "agora"; "" if the service did not say */
  const cs_rtc_param_t *params;  /* sorted by key */
  size_t param_count;
  const char *params_json;       /* the same as one JSON object text */
} cs_rtc_params_t;

typedef struct cs_participant {
  const char *user_id;
  cs_participant_state_t state;
} cs_participant_t;

typedef struct cs_participants_event {
  const char *call_id;
  const cs_participant_t *participants; /* everyone but us, sorted by user id */
  size_t participant_count;
} cs_participants_event_t;

typedef struct cs_mute_request {
  const char *call_id;
  const char *by; /* who asked; "" if the service did not say */
  int audio;      /* mute the microphone */
  int video;      /* mute the camera */
} cs_mute_request_t;

typedef struct cs_missed_call {
  const char *call_id;
  const char *caller;
  cs_end_reason_t reason; /* CANCELLED, BUSY (refused while in a call), REMOTE_HANGUP, ... */
} cs_missed_call_t;

typedef struct cs_error_event {
  int code;             /* CS_E_* */
  const char *call_id;  /* the call concerned; "" if none */
  const char *what;     /* what failed: "accept", "call_request", "outbox", ... */
  const char *message;  /* English, for logs; never a secret */
} cs_error_event_t;

/* The app's callbacks. Every callback may be NULL (the event is dropped). All run on the SDK's
 * event thread, serially; the pointers they receive are valid until they return. */
typedef struct cs_listener {
  uint32_t struct_size; /* sizeof(cs_listener_t), set by CS_LISTENER_INIT */
  void *user_data;      /* passed to every callback */
  /* Called exactly once with user_data, after the last callback of the client has returned:
   * during cs_client_destroy() on the destroying thread, or, when destroy was called from
   * inside a callback, on the event thread just after that callback returns. When
   * cs_client_create() fails, release is called at once on the calling thread, unless the
   * failure was a NULL `out`, a NULL listener or a listener struct_size the library does not
   * know (then the listener was never read and user_data stays yours). */
  void (*release)(void *user_data);

  void (*on_connection)(void *user_data, const cs_connection_event_t *event);
  /* Ring: show the incoming call UI (or the call-waiting tone when event->waiting). */
  void (*on_incoming_call)(void *user_data, const cs_incoming_call_t *event);
  void (*on_call_state)(void *user_data, const cs_call_state_event_t *event);
  /* An outgoing call got the service's call id: from now on events name it by call_id instead of
   * the request id cs_client_start_call() returned. */
  void (*on_call_id)(void *user_data, const char *request_id, const char *call_id);
  /* Join this RTC channel now, then report cs_client_rtc_joined() or cs_client_rtc_failed(). */
  void (*on_join_rtc)(void *user_data, const cs_rtc_params_t *params);
  /* New parameters (a renewed token) for the channel already joined: the changed keys merged
   * into the full set. */
  void (*on_rtc_update)(void *user_data, const cs_rtc_params_t *params);
  /* Leave the RTC channel of this call, then report cs_client_rtc_left(). */
  void (*on_leave_rtc)(void *user_data, const char *call_id);
  void (*on_participants)(void *user_data, const cs_participants_event_t *event);
  /* A participant asks this user to mute: show it; the SDK never mutes on its own. */
  void (*on_mute_request)(void *user_data, const cs_mute_request_t *event);
  /* A call the user missed: it never rang here (cancelled or ended before this device came
   * online, refused busy, or expired), or the caller cancelled it while it rang. A call that rang
   * until the ring timeout is not reported here: on_call_state ends it with CS_END_NO_ANSWER. */
  void (*on_missed_call)(void *user_data, const cs_missed_call_t *event);
  /* Something failed asynchronously: the service refused a request, a durable write failed. */
  void (*on_error)(void *user_data, const cs_error_event_t *event);
} cs_listener_t;

#ifdef __cplusplus
#  define CS_LISTENER_INIT \
    { sizeof(cs_listener_t), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }
#else
#  define CS_LISTENER_INIT { .struct_size = sizeof(cs_listener_t) }
#endif

/* ---- the client --------------------------------------------------------------------------- */

typedef struct cs_client cs_client_t;

/* Creates a client: validates the options and opens (or creates) data_dir. Does not connect;
 * no callback comes before cs_client_connect() except those of what the app itself hands in
 * (cs_client_push_received, commands).
 * The listener struct is copied; from here on the SDK owns user_data until release.
 * Errors: CS_E_INVALID_ARGUMENT (NULL options/listener/out, bad struct_size, invalid UTF-8),
 * CS_E_INVALID_CONFIG (names the field), CS_E_IO (data_dir), CS_E_TLS (unreadable CA or key
 * files), CS_E_NO_MEMORY, CS_E_INTERNAL. On error *out is set to NULL. */
CS_API int cs_client_create(const cs_client_options_t *options, const cs_listener_t *listener,
                            cs_client_t **out, cs_error_t *err) CS_NOEXCEPT;

/* Disconnects (a clean DISCONNECT: the service sees the device go offline), stops every timer,
 * and frees the client. NULL is a no-op. From any thread but the event thread it returns once
 * no callback of this client runs any more, after calling release. From inside a callback it
 * returns at once: no further callback of this client is made after the current one returns,
 * and release runs on the event thread after it; the disconnect then finishes in the background,
 * and until it has, data_dir stays locked (a cs_client_create() on it fails with CS_E_IO: retry).
 * Messages received but not yet handed to the app, or handed over in a callback that was still
 * running, stay in data_dir for the next cs_client_create(), which hands them over again flagged
 * `replayed` (cs_incoming_call_t). A call racing destroy on another thread
 * finishes safely (CS_E_CLOSED or its result). After destroy, the handle is refused with
 * CS_E_INVALID_ARGUMENT (and destroying it again is a no-op) for as long as its address has not
 * been reused by a newer client: do not keep using a destroyed handle. */
CS_API void cs_client_destroy(cs_client_t *client) CS_NOEXCEPT;

/* Starts connecting in the background and keeps the connection up (automatic reconnect with
 * backoff) until cs_client_disconnect() or cs_client_destroy(). First, the listener gets what an
 * earlier run of the app received but never handed over (a killed app loses no invite); then
 * progress comes through on_connection. Calling it again while connecting or connected is CS_OK.
 * Errors: CS_E_INVALID_ARGUMENT (NULL), CS_E_CLOSED (after cs_client_disconnect()). */
CS_API int cs_client_connect(cs_client_t *client, cs_error_t *err) CS_NOEXCEPT;

/* Disconnects for good (the client cannot connect again; destroy it and create a new one).
 * Returns once disconnected, at most about a second, or at once from the event thread.
 * Errors: CS_E_INVALID_ARGUMENT (NULL). */
CS_API int cs_client_disconnect(cs_client_t *client, cs_error_t *err) CS_NOEXCEPT;

/* The connection state now. A NULL or destroyed handle reads as CS_CONNECTION_CLOSED. */
CS_API cs_connection_state_t cs_client_connection_state(const cs_client_t *client) CS_NOEXCEPT;

/* ---- calls (app -> SDK) ------------------------------------------------------------------- */

#define CS_CALL_ID_SIZE 65 /* the largest call id (64 bytes) and its NUL */

typedef struct cs_call_options {
  uint32_t struct_size;        /* sizeof(cs_call_options_t), set by CS_CALL_OPTIONS_INIT */
  const char *const *callees;  /* user ids: one for a 1:1 call, more for a group call */
  size_t callee_count;
  cs_media_t media;
  const char *custom_json;     /* NULL or a JSON object text, handed to the callees as is */
} cs_call_options_t;

#ifdef __cplusplus
#  define CS_CALL_OPTIONS_INIT { sizeof(cs_call_options_t), NULL, 0, CS_MEDIA_AUDIO, NULL }
#else
#  define CS_CALL_OPTIONS_INIT { .struct_size = sizeof(cs_call_options_t) }
#endif

/* Starts a call: sends the call request (queued durably if offline). The call's id until the
 * service answers is the request id written to out_call_id (a buffer of CS_CALL_ID_SIZE
 * bytes, may be NULL); on_call_id then gives the service's call id. Events follow: on_call_state
 * (OUTGOING, DIALING...), on_join_rtc once the service created the call.
 * Errors: CS_E_INVALID_ARGUMENT (no callees, more than max_group - 1, a bad user id, the user
 * itself, custom_json not a JSON object), CS_E_INVALID_STATE (already in a call),
 * CS_E_OUTBOX_FULL, CS_E_IO, CS_E_CLOSED. */
CS_API int cs_client_start_call(cs_client_t *client, const cs_call_options_t *options,
                                char *out_call_id, cs_error_t *err) CS_NOEXCEPT;

/* Answers a ringing call. Errors: CS_E_UNKNOWN_CALL, CS_E_INVALID_STATE (not ringing), and
 * those of sending (CS_E_OUTBOX_FULL, CS_E_IO, CS_E_CLOSED). */
CS_API int cs_client_accept(cs_client_t *client, const char *call_id, cs_error_t *err) CS_NOEXCEPT;

/* Declines a ringing call. reason: NULL for "declined", or 1..64 bytes ("unavailable", ...).
 * Errors: as cs_client_accept(). */
CS_API int cs_client_reject(cs_client_t *client, const char *call_id, const char *reason,
                            cs_error_t *err) CS_NOEXCEPT;

/* Gives up an outgoing call nobody has answered yet. Errors: as cs_client_accept()
 * (CS_E_INVALID_STATE once answered: hang up instead). */
CS_API int cs_client_cancel(cs_client_t *client, const char *call_id, cs_error_t *err) CS_NOEXCEPT;

/* Leaves a call in any state (cancels an unanswered outgoing call, declines a ringing one).
 * On an ended call: CS_OK, nothing happens. Errors: CS_E_UNKNOWN_CALL, sending errors. */
CS_API int cs_client_hangup(cs_client_t *client, const char *call_id, cs_error_t *err) CS_NOEXCEPT;

/* Invites more users into a call we are in. Errors: CS_E_INVALID_ARGUMENT (no users, bad ids,
 * over max_group), CS_E_UNKNOWN_CALL, CS_E_INVALID_STATE (not in the call), sending errors. */
CS_API int cs_client_invite(cs_client_t *client, const char *call_id, const char *const *users,
                            size_t user_count, cs_error_t *err) CS_NOEXCEPT;

/* Asks `target` to mute its audio and/or video (they see on_mute_request). Errors: as
 * cs_client_invite(). */
CS_API int cs_client_request_mute(cs_client_t *client, const char *call_id, const char *target,
                                  int audio, int video, cs_error_t *err) CS_NOEXCEPT;

/* Removes `target` from the call (the service decides whether we may). Errors: as
 * cs_client_invite(). */
CS_API int cs_client_kick(cs_client_t *client, const char *call_id, const char *target,
                          cs_error_t *err) CS_NOEXCEPT;

/* Ends the call for every participant. Errors: as cs_client_invite(). */
CS_API int cs_client_end_for_all(cs_client_t *client, const char *call_id, cs_error_t *err) CS_NOEXCEPT;

/* ---- what the app reports (app -> SDK) ---------------------------------------------------- */

/* The RTC SDK joined / left the channel of `call_id`, or failed to join (or dropped out).
 * detail (may be NULL) is for logs. Errors: CS_E_INVALID_ARGUMENT, CS_E_UNKNOWN_CALL. */
CS_API int cs_client_rtc_joined(cs_client_t *client, const char *call_id, cs_error_t *err) CS_NOEXCEPT;
CS_API int cs_client_rtc_left(cs_client_t *client, const char *call_id, cs_error_t *err) CS_NOEXCEPT;
CS_API int cs_client_rtc_failed(cs_client_t *client, const char *call_id, const char *detail,
                                cs_error_t *err) CS_NOEXCEPT;
/* The RTC SDK says the channel token is about to expire: the SDK asks the service for a new one
 * (on_rtc_update). Errors: CS_E_UNKNOWN_CALL, CS_E_INVALID_STATE (not in RTC). */
CS_API int cs_client_rtc_token_expiring(cs_client_t *client, const char *call_id,
                                        cs_error_t *err) CS_NOEXCEPT;

/* The app came to the foreground: reconnect at once if disconnected. */
CS_API int cs_client_app_foreground(cs_client_t *client, cs_error_t *err) CS_NOEXCEPT;
/* The app went to the background. The connection is kept for as long as the OS lets the
 * process run; what arrives meanwhile also comes by OS push (cs_client_push_received). */
CS_API int cs_client_app_background(cs_client_t *client, cs_error_t *err) CS_NOEXCEPT;
/* The network changed (Wi-Fi to cellular, a new address): the connection may be dead, so it is
 * replaced at once instead of waiting for the keepalive to notice. */
CS_API int cs_client_network_changed(cs_client_t *client, cs_error_t *err) CS_NOEXCEPT;

/* An OS push (APNs, FCM) carried a callsignal frame: hand over the frame text (`size` bytes,
 * need not be NUL-terminated). It goes through the same checks and the same dedup as MQTT
 * messages: an invite that arrives both ways rings once. The events follow on the event thread.
 * Refused frames (forged, expired, malformed) are counted in the stats, are not an error of this
 * call, and change nothing. Errors: CS_E_INVALID_ARGUMENT (NULL), CS_E_IO (could not be
 * recorded: hand it in again later), CS_E_CLOSED. */
CS_API int cs_client_push_received(cs_client_t *client, const char *payload, size_t size,
                                   cs_error_t *err) CS_NOEXCEPT;

/* CS_AUTH_ALIBABA_TOKEN: the new broker token from your server, used for the next connects and
 * uploaded at once when connected. Errors: CS_E_INVALID_ARGUMENT, CS_E_INVALID_STATE (another
 * auth mode), CS_E_CLOSED. */
CS_API int cs_client_renew_token(cs_client_t *client, const char *token, cs_error_t *err) CS_NOEXCEPT;

/* ---- stats -------------------------------------------------------------------------------- */

typedef struct cs_stats {
  uint32_t struct_size;         /* set by the caller: sizeof(cs_stats_t) (CS_STATS_INIT) */
  uint64_t received;            /* downlink messages that reached the client */
  uint64_t delivered;           /* genuine, timely, new: handed on to the call logic */
  uint64_t duplicates_dropped;  /* copies of messages already delivered (QoS 1, re-sends, push) */
  uint64_t expired_dropped;     /* past their lifetime, or stamped too far in the future */
  uint64_t invalid_dropped;     /* malformed, wrong types, oversize, unknown type or version */
  uint64_t forged_dropped;      /* unsigned, unknown key or bad signature; or for another device */
  uint64_t reconnects;          /* successful connects after the first */
  uint64_t outbound_queued;     /* requests waiting in the durable outbox now */
} cs_stats_t;

#ifdef __cplusplus
#  define CS_STATS_INIT { sizeof(cs_stats_t), 0, 0, 0, 0, 0, 0, 0, 0 }
#else
#  define CS_STATS_INIT { .struct_size = sizeof(cs_stats_t) }
#endif

/* Fills *stats (the first stats->struct_size bytes). Errors: CS_E_INVALID_ARGUMENT. */
CS_API int cs_client_get_stats(const cs_client_t *client, cs_stats_t *stats, cs_error_t *err) CS_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CALLSIGNAL_CALLSIGNAL_H */
