#include "connection_commands.hpp"

#include <unistd.h>

#include <array>
#include <cctype>
#include <utility>

#include "glob.hpp"
#include "resp_reply.hpp"

namespace redis {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// COMMAND's entry: name, arity, flags, first key, last key, step.
void command_entry(const CommandSpec& spec, std::string& out) {
  reply::array(out, 6);
  reply::bulk(out, spec.name);
  reply::integer(out, spec.arity);
  reply::array(out, 0);
  const bool keyed = spec.route == Route::one_key || spec.route == Route::each_key;
  reply::integer(out, keyed ? 1 : 0);
  reply::integer(out, spec.route == Route::each_key ? -1 : keyed ? 1 : 0);
  reply::integer(out, spec.route == Route::each_key ? spec.step : keyed ? 1 : 0);
}

void command(std::span<const std::string_view> args, std::string& out) {
  if (args.size() == 1) {
    reply::array(out, static_cast<std::int64_t>(all_commands().size()));
    for (const CommandSpec& spec : all_commands())
      command_entry(spec, out);
    return;
  }
  const std::string_view sub = args[1];
  if (iequals(sub, "count") && args.size() == 2) {
    return reply::integer(out, static_cast<std::int64_t>(all_commands().size()));
  }
  if (iequals(sub, "docs")) return reply::array(out, 0);  // no documentation to offer
  if (iequals(sub, "info")) {
    reply::array(out, static_cast<std::int64_t>(args.size() - 2));
    for (std::size_t i = 2; i < args.size(); ++i) {
      if (const CommandSpec* spec = find_command(args[i])) {
        command_entry(*spec, out);
      } else {
        reply::nil_array(out);
      }
    }
    return;
  }
  reply::error(out, std::string("ERR unknown subcommand '")
                        .append(sub.substr(0, 128))
                        .append("'. Try COMMAND HELP."));
}

void config(std::span<const std::string_view> args, std::string& out) {
  if (!iequals(args[1], "get")) {
    return reply::error(out, std::string("ERR unknown subcommand '")
                                 .append(args[1].substr(0, 128))
                                 .append("'. Try CONFIG HELP."));
  }
  if (args.size() < 3) return reply::error(out, arity_error("config|get"));
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kSettings = {{
      {"save", ""},
      {"appendonly", "no"},
      {"databases", "1"},
      {"maxmemory", "0"},
      {"proto-max-bulk-len", "536870912"},
  }};
  std::string items;
  std::int64_t n = 0;
  for (const auto& [name, value] : kSettings) {
    for (std::size_t i = 2; i < args.size(); ++i) {
      if (glob_match(args[i], name, true)) {
        reply::bulk(items, name);
        reply::bulk(items, value);
        n += 2;
        break;
      }
    }
  }
  reply::array(out, n);
  out.append(items);
}

void info(const ServerFacts& facts, std::string& out) {
  std::string text("# Server\r\n");
  text.append("redis_version:7.0.15\r\n")
      .append("redis_mode:standalone\r\n")
      .append("server:actnet-redis\r\n")
      .append("multiplexing_api:epoll\r\n")
      .append("process_id:")
      .append(std::to_string(::getpid()))
      .append("\r\ntcp_port:")
      .append(std::to_string(facts.port))
      .append("\r\nevent_loops:")
      .append(std::to_string(facts.loops))
      .append("\r\nkeyspace_shards:")
      .append(std::to_string(facts.shards))
      .append("\r\n");
  reply::bulk(out, text);
}

}  // namespace

void run_connection_command(const CommandSpec& spec, std::span<const std::string_view> args,
                            const ServerFacts& facts, std::string& out) {
  switch (spec.cmd) {
    case Cmd::ping:
      if (args.size() > 2) return reply::error(out, arity_error("ping"));
      return args.size() == 2 ? reply::bulk(out, args[1]) : reply::simple(out, "PONG");
    case Cmd::echo:
      return reply::bulk(out, args[1]);
    case Cmd::select:
      if (args[1] == "0") return reply::ok(out);
      for (char c : args[1]) {
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
          return reply::error(out, reply::kNotInteger);
        }
      }
      return reply::error(out, "ERR DB index is out of range");
    case Cmd::quit:
      return reply::ok(out);
    case Cmd::info:
      return info(facts, out);
    case Cmd::command:
      return command(args, out);
    case Cmd::config:
      return config(args, out);
    default:
      return reply::error(out, "ERR command not handled by the connection");
  }
}

}  // namespace redis
