// The control service's JSON config file (docs/control-service.md, "Configuration"). RapidJSON.
// Unknown keys are refused, so that a typo never silently falls back to a default.
#pragma once

#include <string>
#include <string_view>

#include "control/control_config.h"
#include "core/common/status.h"

namespace callsignal::control {

// Parses `json` into a config. Relative file paths in it (signing_key.file, tls files,
// rtc.app_key_file, data_dir) are taken relative to `base_dir` (empty: the working directory).
// Loads the signing key and the app key (from rtc.app_key, rtc.app_key_file or the environment
// variable named by rtc.app_key_env). Errors: invalid_config naming the key ("limits.ring_timeout_ms:
// must be an integer"), io_error (an unreadable key file), then validate()'s.
Result<ControlConfig> parse_config(std::string_view json, const std::string& base_dir);

// Reads and parses a config file; base_dir is the file's directory.
Result<ControlConfig> load_config_file(const std::string& path);

}  // namespace callsignal::control
