/* An app built against an installed callsignal: it calls what answers without a broker. Built by
 * consumer_test.sh with CMake's find_package(callsignal) and with pkg-config, shared and static. */
#include <stdio.h>
#include <string.h>

#include <callsignal/callsignal.h>

static int failures = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

static int releases = 0;

static void count_release(void *user_data) {
  (void)user_data;
  ++releases;
}

/* cs_client_create() refuses `options`: *out must be NULL afterwards, err filled with `rc`. */
static int create_refused(const cs_client_options_t *options) {
  cs_listener_t listener = CS_LISTENER_INIT;
  int dummy = 0;
  cs_client_t *client = (cs_client_t *)&dummy; /* create must overwrite it */
  cs_error_t err;
  int rc;

  listener.release = count_release;
  releases = 0;
  memset(&err, 0, sizeof err);
  rc = cs_client_create(options, &listener, &client, &err);
  printf("cs_client_create: %d (%s): %s\n", rc, cs_strerror(rc), err.message);
  CHECK(client == NULL);
  CHECK(err.code == rc);
  CHECK(err.message[0] != '\0');
  CHECK(releases <= 1); /* once if the library read the listener, else never */
  cs_client_destroy(client);
  return rc;
}

int main(void) {
  cs_client_options_t options = CS_CLIENT_OPTIONS_INIT;
  int rc;

  printf("callsignal %s (header %s)\n", cs_version(), CALLSIGNAL_VERSION_STRING);
  CHECK(strcmp(cs_version(), CALLSIGNAL_VERSION_STRING) == 0);
  CHECK(cs_version_number() == CALLSIGNAL_VERSION_NUMBER);

  CHECK(strcmp(cs_strerror(CS_E_INVALID_ARGUMENT), "invalid argument") == 0);
  CHECK(strcmp(cs_strerror(-4242), "unknown error") == 0);
  CHECK(cs_strerror(CS_OK)[0] != '\0');

  /* A struct_size smaller than any release's struct. */
  options.struct_size = 4;
  rc = create_refused(&options);
  CHECK(rc == CS_E_INVALID_ARGUMENT);

  /* Well-formed, but no broker and no identity. */
  options.struct_size = sizeof options;
  rc = create_refused(&options);
  CHECK(rc == CS_E_INVALID_CONFIG || rc == CS_E_INVALID_ARGUMENT);

  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}
