#include "actnet/runtime/log.hpp"

#include <mutex>

#include <spdlog/common.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "actnet/runtime/error.hpp"

namespace actnet::log {
namespace {

std::shared_ptr<spdlog::logger> make_stderr_logger() {
  auto logger = std::make_shared<spdlog::logger>(
      "actnet", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_level(spdlog::level::info);
  return logger;
}

// Taken rarely (start-up, configuration); nothing on a hot path asks for it.
std::mutex default_mutex;
std::shared_ptr<spdlog::logger> default_instance;

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const LogOptions& options) {
  std::shared_ptr<spdlog::logger> logger;
  if (options.path.empty()) {
    logger = make_stderr_logger();
  } else {
    try {
      logger = std::make_shared<spdlog::logger>(
          "actnet", std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.path));
    } catch (const spdlog::spdlog_ex& e) {
      throw std::system_error(make_error_code(Errc::invalid_argument),
                              "cannot open log file '" + options.path + "': " + e.what());
    }
  }
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

std::shared_ptr<spdlog::logger> default_logger() {
  std::lock_guard lock(default_mutex);
  if (!default_instance) default_instance = make_stderr_logger();
  return default_instance;
}

void set_default_logger(std::shared_ptr<spdlog::logger> logger) {
  std::lock_guard lock(default_mutex);
  default_instance = std::move(logger);
}

}  // namespace actnet::log
