// cs_client_options_t -> ClientConfig: every string checked for UTF-8, zero fields to defaults,
// enums range-checked, trusted keys loaded.
#pragma once

#include "capi/capi_support.h"
#include "core/client/client_config.h"

namespace callsignal::capi {

// Errors: invalid_argument (NULL, struct_size, UTF-8, a NULL list with a count), invalid_config
// (an enum out of range, a trusted key that does not load; the rest is Client::create's check).
Status client_config_from(const cs_client_options_t* options, ClientConfig& out);

}  // namespace callsignal::capi
