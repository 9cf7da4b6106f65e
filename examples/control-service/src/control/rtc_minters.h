// The concrete minters behind make_rtc_minter() (config already checked). Internal.
#pragma once

#include <memory>

#include "control/rtc_minter.h"

namespace callsignal::control {

std::unique_ptr<RtcMinter> make_test_minter(const RtcConfig& config);
std::unique_ptr<RtcMinter> make_artc_minter(const RtcConfig& config);

}  // namespace callsignal::control
