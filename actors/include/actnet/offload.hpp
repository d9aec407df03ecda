#pragma once
// offload() is gnet's "hand the blocking part to the ants pool" without its data race: the
// job runs on the engine's WorkerPool, and `then` runs back on the connection's loop, where
// it may touch the connection and the handler's state like any other callback. If the
// connection closed meanwhile, `then` still runs (on the loop) with a null Conn* and
// Errc::connection_closed, so nothing is lost silently; a graceful stop waits for offloaded
// jobs in flight (up to its deadline).
//
//   actnet::offload(conn, [q = std::move(query)] { return db.run(q); },  // worker thread
//                   [](actnet::Conn* conn, actnet::Result<Rows> rows) {  // conn's loop
//                     if (conn && rows) conn->write(render(*rows));
//                   });

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "actnet/export.hpp"
#include "actnet/io/result.hpp"
#include "actnet/runtime/error.hpp"
#include "actnet/runtime/unique_function.hpp"

namespace actnet {

class Conn;

namespace detail {
/// Loop thread of `conn`: runs `job` on the engine's pool, then `then` on the loop with the
/// connection if it is still open. `then` gets an error instead when the connection closed
/// (connection_closed), the pool is full (queue_full) or released (pool_released).
ACTNET_API void submit_offload(Conn& conn, UniqueFunction<void()> job,
                               UniqueFunction<void(Conn*, std::error_code)> then);
}  // namespace detail

/// Loop thread of `conn`. `job()` → R runs on a worker; `then(Conn*, Result<R>)` runs on the
/// connection's loop (R = void gives Result<std::monostate>). A job that throws gives
/// Errc::job_failed with the exception's message.
template <class Job, class Then>
void offload(Conn& conn, Job job, Then then) {
  using R = std::invoke_result_t<Job&>;
  using Value = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  // Written by the worker, read by the loop after the message that carries `then` back:
  // the mailbox orders the two.
  auto result = std::make_shared<std::optional<Result<Value>>>();
  detail::submit_offload(
      conn,
      [job = std::move(job), result]() mutable {
        try {
          if constexpr (std::is_void_v<R>) {
            job();
            result->emplace(std::monostate{});
          } else {
            result->emplace(job());
          }
        } catch (const std::exception& e) {
          result->emplace(
              Error{make_error_code(Errc::job_failed), std::string("offloaded job: ") + e.what()});
        } catch (...) {
          result->emplace(
              Error{make_error_code(Errc::job_failed), "offloaded job: a non-standard exception"});
        }
      },
      [then = std::move(then), result](Conn* c, std::error_code ec) mutable {
        if (ec || !result->has_value()) {
          then(c, Result<Value>(Error{ec ? ec : make_error_code(Errc::job_failed),
                                      "offload: " + (ec ? ec.message() : "no result")}));
        } else {
          then(c, std::move(**result));
        }
      });
}

}  // namespace actnet
