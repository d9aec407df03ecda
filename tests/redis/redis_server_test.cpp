// The Redis handler served in-process (actnet::start): the keyspace is one database across
// loops (keys written on one loop are read on every other), pipelined replies leave in
// request order whichever shard answers, expiry is real both lazily and by the ticker's
// sweep, and bad input gets an error and a close rather than a crash or a hang.

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "redis/resp_client.hpp"
#include "redis_handler.hpp"

using namespace std::chrono_literals;
using redis_test::bulk;
using redis_test::RespClient;

namespace {

struct Server {
  explicit Server(std::size_t loops)
      : running(actnet::start(handler, {"tcp://127.0.0.1:0"},
                              {.num_event_loops = loops, .ticker = true})) {
    REQUIRE(running.ok());
    port = running->engine().listen_addresses().at(0).port();
  }
  redis::RedisHandler handler;
  actnet::Result<actnet::RunningEngine> running;
  std::uint16_t port = 0;
};

}  // namespace

TEST_CASE("keys set through one connection are read through connections on every other loop",
          "[redis]") {
  Server server(4);
  // Round robin: four connections, one per loop.
  std::vector<std::unique_ptr<RespClient>> clients;
  for (int i = 0; i < 4; ++i)
    clients.push_back(std::make_unique<RespClient>(server.port));
  for (auto& c : clients)
    REQUIRE(c->call({"PING"}) == "+PONG\r\n");

  constexpr int kKeys = 200;  // spread over all four shards
  for (int i = 0; i < kKeys; ++i) {
    REQUIRE(clients[0]->call({"SET", "key:" + std::to_string(i), "value:" + std::to_string(i)}) ==
            "+OK\r\n");
  }
  REQUIRE(clients[0]->call({"RPUSH", "list", "a", "b"}) == ":2\r\n");
  for (std::size_t c = 0; c < clients.size(); ++c) {
    INFO("client " << c);
    for (int i = 0; i < kKeys; ++i) {
      REQUIRE(clients[c]->call({"GET", "key:" + std::to_string(i)}) ==
              bulk("value:" + std::to_string(i)));
    }
    CHECK(clients[c]->call({"MGET", "key:0", "nope", "key:199"}) ==
          std::string("*3\r\n") + bulk("value:0") + "$-1\r\n" + bulk("value:199"));
    CHECK(clients[c]->call({"DBSIZE"}) == ":201\r\n");
    CHECK(clients[c]->call({"EXISTS", "key:1", "key:2", "nope"}) == ":2\r\n");
    CHECK(clients[c]->call({"LRANGE", "list", "0", "-1"}) ==
          std::string("*2\r\n") + bulk("a") + bulk("b"));
    const std::string keys = clients[c]->call({"KEYS", "key:1?"});
    CHECK(keys.rfind("*10\r\n", 0) == 0);
  }
  CHECK(clients[3]->call({"DEL", "key:0", "key:1", "nope"}) == ":2\r\n");
  CHECK(clients[1]->call({"DBSIZE"}) == ":199\r\n");
  CHECK(clients[2]->call({"FLUSHALL"}) == "+OK\r\n");
  CHECK(clients[0]->call({"DBSIZE"}) == ":0\r\n");
}

TEST_CASE("a pipeline of 3,000 commands over every shard is answered in request order", "[redis]") {
  Server server(4);
  RespClient client(server.port);
  std::string pipeline, expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "p:" + std::to_string(i);
    pipeline += RespClient::frame({"SET", key, std::to_string(i)});
    pipeline += RespClient::frame({"INCR", key});
    pipeline += RespClient::frame({"MGET", key, "p:0"});
    expected += std::string("+OK\r\n:") + std::to_string(i + 1) + "\r\n*2\r\n" +
                bulk(std::to_string(i + 1)) + bulk("1");
  }
  client.send_raw(pipeline);
  std::string got;
  for (int i = 0; i < 3000; ++i) {
    const std::string r = client.reply();
    REQUIRE(!r.empty());
    got += r;
  }
  CHECK(got == expected);
}

TEST_CASE("a key set with PX 100 is gone after 200 ms, by the sweep and by GET", "[redis]") {
  Server server(2);
  RespClient client(server.port);
  REQUIRE(client.call({"SET", "a", "v", "PX", "100"}) == "+OK\r\n");
  REQUIRE(client.call({"SET", "b", "v", "PX", "100"}) == "+OK\r\n");
  REQUIRE(client.call({"SET", "c", "v", "EX", "100"}) == "+OK\r\n");
  CHECK(client.call({"DBSIZE"}) == ":3\r\n");
  std::this_thread::sleep_for(200ms);
  // Nothing touched a or b: only the ticker's Sweep can have removed them.
  CHECK(client.call({"DBSIZE"}) == ":1\r\n");
  CHECK(client.call({"GET", "a"}) == "$-1\r\n");
  CHECK(client.call({"PTTL", "b"}) == ":-2\r\n");
  CHECK(client.call({"GET", "c"}) == bulk("v"));
}

TEST_CASE("inline commands typed by hand are answered", "[redis]") {
  Server server(1);
  RespClient client(server.port);
  client.send_raw("PING\r\nSET greeting \"hello world\"\r\nGET greeting\nECHO 'a b'\r\n");
  CHECK(client.reply() == "+PONG\r\n");
  CHECK(client.reply() == "+OK\r\n");
  CHECK(client.reply() == bulk("hello world"));
  CHECK(client.reply() == bulk("a b"));
}

TEST_CASE("a malformed frame gets a protocol error after the replies before it, then a close",
          "[redis]") {
  Server server(2);
  RespClient client(server.port);
  client.send_raw(RespClient::frame({"SET", "k", "v"}) + RespClient::frame({"GET", "k"}) +
                  "*1\r\n$536870913\r\n");
  CHECK(client.reply() == "+OK\r\n");
  CHECK(client.reply() == bulk("v"));
  CHECK(client.reply() == "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(client.reply().empty());  // closed
}

TEST_CASE("QUIT answers OK and closes, wrong types and unknown commands get Redis's errors",
          "[redis]") {
  Server server(2);
  RespClient client(server.port);
  CHECK(client.call({"LPUSH", "l", "x"}) == ":1\r\n");
  CHECK(client.call({"GET", "l"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(client.call({"FOO", "bar"}) ==
        "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n");
  CHECK(client.call({"MSET", "a"}) == "-ERR wrong number of arguments for 'mset' command\r\n");
  CHECK(client.call({"QUIT"}) == "+OK\r\n");
  CHECK(client.reply().empty());
}
