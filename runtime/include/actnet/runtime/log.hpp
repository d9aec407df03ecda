#pragma once
// actnet logs through spdlog. By default every component shares one logger named "actnet"
// writing to stderr; a user may configure its level and file, or hand in a logger of their
// own. An engine keeps the logger it was given, so two engines may log to different places.

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "actnet/export.hpp"

namespace actnet::log {

/// What make_logger() builds.
struct ACTNET_API LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;  ///< the lowest level logged
  std::string path;  ///< empty: stderr; else appended to this file
};

/// Any thread: a new logger named "actnet" (not registered in spdlog's global registry).
/// Throws std::system_error (invalid_argument), naming the path and the reason, when the
/// file cannot be opened; the engine turns that into the error value run() returns.
ACTNET_API std::shared_ptr<spdlog::logger> make_logger(const LogOptions& options);

/// Any thread: the process-wide default logger, created on first use.
ACTNET_API std::shared_ptr<spdlog::logger> default_logger();

/// Any thread: replaces the default logger (nullptr restores the stderr one). Components that
/// already took the old one keep it.
ACTNET_API void set_default_logger(std::shared_ptr<spdlog::logger> logger);

}  // namespace actnet::log
