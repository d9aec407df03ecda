#pragma once
// The one header a user includes: everything public in actnet.

#include "actnet/version.hpp"

#include "actnet/runtime/actor.hpp"
#include "actnet/runtime/actor_host.hpp"
#include "actnet/runtime/actor_ref.hpp"
#include "actnet/runtime/completion.hpp"
#include "actnet/runtime/error.hpp"
#include "actnet/runtime/log.hpp"
#include "actnet/runtime/mailbox.hpp"
#include "actnet/runtime/supervision.hpp"
#include "actnet/runtime/unique_function.hpp"
#include "actnet/runtime/worker_pool.hpp"

#include "actnet/io/address.hpp"
#include "actnet/io/result.hpp"
#include "actnet/io/socket_address.hpp"
#include "actnet/io/socket_options.hpp"
#include "actnet/io/status.hpp"
#include "actnet/io/unique_fd.hpp"

#include "actnet/action.hpp"
#include "actnet/client.hpp"
#include "actnet/conn.hpp"
#include "actnet/conn_ref.hpp"
#include "actnet/datagram_ref.hpp"
#include "actnet/engine.hpp"
#include "actnet/engine_stats.hpp"
#include "actnet/event_handler.hpp"
#include "actnet/options.hpp"
