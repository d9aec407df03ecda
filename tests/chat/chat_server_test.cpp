// actnet-chat end to end, in process: the ChatServer handler on a real engine with two
// loops over loopback, raw TCP clients speaking HTTP and WebSocket by hand.

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "../../demos/chat/chat_server.hpp"
#include "actnet/actnet.hpp"
#include "chat/ws_test_client.hpp"

using namespace std::chrono_literals;

namespace {

struct Server {
  explicit Server(const actnet::Options& options = {.num_event_loops = 2, .stop_timeout = 1000ms})
      : running(actnet::start(handler, {"tcp://127.0.0.1:0"}, options)) {}

  chat::ChatServer handler;  // outlives the engine: declared first
  actnet::Result<actnet::RunningEngine> running;

  actnet::io::SocketAddress address() { return running->engine().listen_addresses().at(0); }
};

std::unique_ptr<WsTestClient> member(Server& server, const std::string& target) {
  auto client = std::make_unique<WsTestClient>(server.address());
  const HttpReply reply = client->handshake(target);
  REQUIRE(reply.status() == 101);
  REQUIRE(reply.head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") !=
          std::string::npos);
  return client;
}

}  // namespace

TEST_CASE("The page is served at / with its length, twice on one kept-alive connection",
          "[chat][server]") {
  Server server;
  REQUIRE(server.running);
  WsTestClient client(server.address());
  for (int i = 0; i < 2; ++i) {
    const HttpReply reply = client.http("GET /?name=alice HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(reply.status() == 200);
    CHECK(reply.head.find("Content-Type: text/html; charset=utf-8\r\n") != std::string::npos);
    CHECK(reply.head.find("Connection: keep-alive\r\n") != std::string::npos);
    CHECK(reply.body.find("id=\"messages\"") != std::string::npos);
    CHECK(reply.body.rfind("</html>") != std::string::npos);
  }
  const HttpReply last = client.http("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(last.status() == 200);
  CHECK(client.tcp().closed_within(5000));
}

TEST_CASE("Unknown paths get 404, bad requests 400 and oversized heads 431, then close",
          "[chat][server]") {
  Server server;
  REQUIRE(server.running);
  const std::pair<std::string, int> cases[] = {
      {"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404},
      {"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", 400},  // not an upgrade
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405},
      {"GARBAGE\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", 431},
  };
  for (const auto& [request, status] : cases) {
    INFO(request.substr(0, 40));
    WsTestClient client(server.address());
    CHECK(client.http(request).status() == status);
    CHECK(client.tcp().closed_within(5000));
  }
}

TEST_CASE("Three members join, one speaks, and all three get the message with seq 1",
          "[chat][server]") {
  Server server;
  REQUIRE(server.running);
  auto alice = member(server, "/ws?name=alice");
  CHECK(alice->read_event("join") == R"({"type":"join","name":"alice","online":["alice"]})");
  auto bob = member(server, "/ws?name=b%C3%B6b");
  const std::string bob_joined = R"({"type":"join","name":"böb","online":["alice","böb"]})";
  CHECK(alice->read_event("join") == bob_joined);
  CHECK(bob->read_event("join") == bob_joined);
  auto guest = member(server, "/ws");
  const std::string guest_joined =
      R"({"type":"join","name":"guest-1","online":["alice","böb","guest-1"]})";
  CHECK(alice->read_event("join") == guest_joined);
  CHECK(bob->read_event("join") == guest_joined);
  CHECK(guest->read_event("join") == guest_joined);

  bob->send(chat::Opcode::text, "hello \"world\"\n");
  const std::string said = R"({"type":"message","from":"böb","text":"hello \"world\"\n","seq":1})";
  CHECK(alice->read_event("message") == said);
  CHECK(bob->read_event("message") == said);
  CHECK(guest->read_event("message") == said);

  // A fragmented message with a ping in the middle arrives whole, as seq 2.
  alice->send(chat::Opcode::text, "frag", false);
  alice->send(chat::Opcode::ping, "p");
  alice->send(chat::Opcode::continuation, "mented", true);
  const std::string second = R"({"type":"message","from":"alice","text":"fragmented","seq":2})";
  CHECK(guest->read_event("message") == second);
  CHECK(alice->read_event("message") == second);

  guest.reset();  // its connection closes without a close frame
  const std::string left = R"({"type":"leave","name":"guest-1","online":["alice","böb"]})";
  CHECK(alice->read_event("leave") == left);
  CHECK(bob->read_event("leave") == left);
}

TEST_CASE("Bad frames close the connection with the matching close code", "[chat][server]") {
  Server server;
  REQUIRE(server.running);
  const std::pair<std::string, std::uint16_t> cases[] = {
      {std::string("\x81\x05Hello", 7), 1002},                        // unmasked
      {std::string("\x81\xff\0\0\0\0\0\x20\0\0\1\2\3\4", 14), 1009},  // 2 MiB, 64-bit length
      {chat::encode_masked_frame(static_cast<chat::Opcode>(0x3), "x", {1, 2, 3, 4}), 1002},
      {chat::encode_masked_frame(chat::Opcode::text, "bad \xc0\xaf", {1, 2, 3, 4}), 1007},
      {chat::encode_masked_frame(chat::Opcode::ping, std::string(126, 'p'), {1, 2, 3, 4}), 1002},
      {chat::encode_masked_frame(chat::Opcode::continuation, "x", {1, 2, 3, 4}), 1002},
      {chat::encode_masked_frame(chat::Opcode::binary, "x", {1, 2, 3, 4}), 1003},
  };
  auto watcher = member(server, "/ws?name=watcher");
  for (const auto& [bytes, code] : cases) {
    INFO("expecting " << code);
    auto client = member(server, "/ws?name=bad");
    client->tcp().send_all(bytes);
    CHECK(client->read_close_code() == code);
    CHECK(client->tcp().closed_within(5000));
  }
  // The room kept working for everyone else.
  watcher->send(chat::Opcode::text, "still here");
  const auto said = watcher->read_event("message");
  REQUIRE(said);
  CHECK(said->find(R"("text":"still here","seq":1)") != std::string::npos);
}

TEST_CASE("A ping gets a pong with the same payload, a close gets its code echoed",
          "[chat][server]") {
  Server server;
  REQUIRE(server.running);
  auto client = member(server, "/ws?name=pinger");
  client->send(chat::Opcode::ping, "are you there?");
  for (;;) {
    const auto frame = client->read_frame();
    REQUIRE(frame);
    if (frame->opcode == 0x1) continue;  // the join event may come first
    CHECK(frame->opcode == 0xA);
    CHECK(frame->payload == "are you there?");
    break;
  }
  client->send(chat::Opcode::close, std::string("\x0f\xa0"
                                                "bye",
                                                5));  // 4000
  CHECK(client->read_close_code() == 4000);
  CHECK(client->tcp().closed_within(5000));
}

TEST_CASE("A truncated handshake then a close leaves the server serving others", "[chat][server]") {
  Server server;
  REQUIRE(server.running);
  {
    WsTestClient broken(server.address());
    broken.tcp().send_all("GET /ws?name=x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr");
  }  // closed mid-head
  {
    WsTestClient upgraded_then_gone(server.address());
    upgraded_then_gone.handshake("/ws?name=gone");
    upgraded_then_gone.send(chat::Opcode::text, "half a fr");
    upgraded_then_gone.tcp().send_all(std::string("\x81\xfe\x01", 3));  // cut inside a header
  }
  auto client = member(server, "/ws?name=after");
  // The Room may hear of "gone"'s close after "after" joined; then a leave follows.
  auto joined = client->read_event("join");
  REQUIRE(joined);
  CHECK(joined->rfind(R"({"type":"join","name":"after","online":[)", 0) == 0);
  if (*joined != R"({"type":"join","name":"after","online":["after"]})") {
    CHECK(client->read_event("leave") == R"({"type":"leave","name":"gone","online":["after"]})");
  }
  WsTestClient page(server.address());
  CHECK(page.http("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status() == 200);
}

TEST_CASE("A name that is not percent-encoded UTF-8 is refused with 400", "[chat][server]") {
  Server server;
  REQUIRE(server.running);
  WsTestClient bad_escape(server.address());
  CHECK(bad_escape.handshake("/ws?name=%zz").status() == 400);
  WsTestClient bad_utf8(server.address());
  CHECK(bad_utf8.handshake("/ws?name=%C0%AF").status() == 400);
}

TEST_CASE("A member that stops reading is dropped instead of slowing the room", "[chat][server]") {
  // Small limits so the slow member's backlog passes the hard limit quickly.
  Server server({.num_event_loops = 2,
                 .write_high_water = 64 * 1024,
                 .write_low_water = 16 * 1024,
                 .write_hard_limit = 256 * 1024,
                 .socket_send_buffer = 64 * 1024,
                 .stop_timeout = 1000ms});
  REQUIRE(server.running);
  auto slow = member(server, "/ws?name=slow");  // never reads again
  auto speaker = member(server, "/ws?name=speaker");
  REQUIRE(speaker->read_event("join"));

  // The speaker reads each of its own messages back before sending the next, so only the
  // slow member falls behind: 400 x 16 KiB is far beyond its kernel buffers and the limit.
  const std::string text(16 * 1024, 'x');
  bool slow_left = false;
  for (int seq = 1; seq <= 400; ++seq) {
    speaker->send(chat::Opcode::text, text);
    for (;;) {
      const auto event = speaker->read_text();
      REQUIRE(event);
      if (event->rfind(R"({"type":"leave","name":"slow")", 0) == 0) {
        slow_left = true;
        continue;
      }
      REQUIRE(event->rfind(R"({"type":"message")", 0) == 0);
      REQUIRE(event->find(",\"seq\":" + std::to_string(seq) + "}") != std::string::npos);
      break;
    }
  }
  if (!slow_left) {
    const auto event = speaker->read_event("leave");
    REQUIRE(event);
    slow_left = event->rfind(R"({"type":"leave","name":"slow")", 0) == 0;
  }
  CHECK(slow_left);
}

TEST_CASE(
    "A connection that never finishes its HTTP request is closed after the idle limit, "
    "while a room member may stay silent",
    "[chat][server]") {
  chat::ChatServer handler(/*announce=*/false, /*http_idle=*/200ms);
  auto running = actnet::start(handler, {"tcp://127.0.0.1:0"}, {.num_event_loops = 2});
  REQUIRE(running.ok());
  const auto address = running->engine().listen_addresses().at(0);
  WsTestClient member(address);
  REQUIRE(member.handshake("/ws?name=quiet").status() == 101);
  WsTestClient slow(address);
  slow.tcp().send_all("GET / HTTP/1.1\r\nHost: x\r\n");  // never ends its head
  CHECK(slow.tcp().closed_within(5000));
  std::this_thread::sleep_for(400ms);  // twice the limit: the member stays
  WsTestClient other(address);
  REQUIRE(other.handshake("/ws?name=other").status() == 101);
  // The quiet member is still in the room: after its own join it hears the newcomer's.
  REQUIRE(member.read_event("join"));
  const auto join = member.read_event("join");
  REQUIRE(join);
  CHECK(join->find("\"name\":\"other\"") != std::string::npos);
}
