#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include <catch2/catch.hpp>

#include "actnet/runtime/error.hpp"
#include "actnet/runtime/log.hpp"
#include "actnet/runtime/thread_owner.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("A file logger named actnet writes at and above its level to its file", "[log]") {
  char dir_template[] = "/tmp/actnet-log-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/actnet.log";
  {
    auto logger = actnet::log::make_logger({.level = spdlog::level::warn, .path = path});
    CHECK(logger->name() == "actnet");
    logger->info("hidden line");
    logger->warn("visible line {}", 42);
    logger->flush();
  }
  const std::string text = read_file(path);
  CHECK(text.find("visible line 42") != std::string::npos);
  CHECK(text.find("hidden line") == std::string::npos);
  unlink(path.c_str());
  rmdir(dir_template);
}

TEST_CASE("A log file that cannot be opened is a clear error naming the path", "[log]") {
  // spdlog creates missing parent directories, so the parent here is a regular file.
  const std::string path = "/dev/null/actnet.log";
  try {
    (void)actnet::log::make_logger({.level = spdlog::level::info, .path = path});
    FAIL("expected an error");
  } catch (const std::system_error& e) {
    CHECK(e.code() == actnet::Errc::invalid_argument);
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

TEST_CASE("The default logger can be replaced by the user's own and restored", "[log]") {
  auto mine = std::make_shared<spdlog::logger>("mine");
  actnet::log::set_default_logger(mine);
  CHECK(actnet::log::default_logger() == mine);
  actnet::log::set_default_logger(nullptr);
  auto restored = actnet::log::default_logger();
  REQUIRE(restored != nullptr);
  CHECK(restored->name() == "actnet");
}

TEST_CASE("A ThreadOwner knows its thread and can be rebound to another", "[owner]") {
  actnet::ThreadOwner owner;
  CHECK(owner.is_current());
  bool seen_from_other = true;
  std::thread([&] { seen_from_other = owner.is_current(); }).join();
  CHECK_FALSE(seen_from_other);
  std::thread([&] {
    owner.bind_to_current_thread();
    seen_from_other = owner.is_current();
  }).join();
  CHECK(seen_from_other);
  CHECK_FALSE(owner.is_current());
}

TEST_CASE("Error codes print in the actnet category", "[error]") {
  std::error_code ec = actnet::Errc::mailbox_closed;
  CHECK(std::string(ec.category().name()) == "actnet");
  CHECK(ec.message().find("mailbox closed") != std::string::npos);
  CHECK(ec != std::error_code{});
  CHECK(std::error_code(actnet::Errc::ok) == std::error_code(actnet::Errc::ok));
}
