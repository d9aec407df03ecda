// The version has one source, project(actnet VERSION ...): the macros, the constants and the
// linked library's version() must all say the same.
#include <actnet/actnet.hpp>
#include <catch2/catch.hpp>
#include <string>

TEST_CASE("the version macros, constants and linked library agree") {
  const std::string parts = std::to_string(actnet::kVersionMajor) + "." +
                            std::to_string(actnet::kVersionMinor) + "." +
                            std::to_string(actnet::kVersionPatch);
  CHECK(parts == ACTNET_VERSION_STRING);
  CHECK(std::string(actnet::version()) == ACTNET_VERSION_STRING);
  CHECK(ACTNET_VERSION ==
        ACTNET_VERSION_MAJOR * 10000 + ACTNET_VERSION_MINOR * 100 + ACTNET_VERSION_PATCH);
  static_assert(ACTNET_VERSION_MAJOR == actnet::kVersionMajor);
}
