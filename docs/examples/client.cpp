// The Client: dials a line server on 127.0.0.1:PORT (the echo example, say), sends "hello",
// prints the line that comes back and exits. Its connection is an ordinary Conn: the same
// handler callbacks as an accepted one, on the client's own loop.
// Usage: actnet-example-client PORT
#include <chrono>
#include <cstdio>
#include <future>
#include <string>

#include <actnet/actnet.hpp>

using namespace std::chrono_literals;

// doc:begin handler
class Hello final : public actnet::EventHandler {
 public:
  actnet::Action on_open(actnet::Conn& conn) override {  // connected: the client's loop
    conn.write("hello\n");
    return actnet::Action::none;
  }
  actnet::Action on_traffic(actnet::Conn& conn) override {
    const std::string_view buffered = conn.peek();
    if (const std::size_t end = buffered.find('\n'); end != std::string_view::npos) {
      reply_ = std::string(conn.next(end + 1));
      return actnet::Action::close;
    }
    return actnet::Action::none;
  }
  actnet::Action on_close(actnet::Conn&, std::error_code error) override {
    done_.set_value(reply_.empty() ? std::string("closed: ").append(error.message()) : reply_);
    return actnet::Action::none;
  }
  void failed(std::error_code error) {
    done_.set_value(std::string("dial failed: ").append(error.message()));
  }
  std::future<std::string> result() { return done_.get_future(); }

 private:
  std::string reply_;  // only the connection's loop touches it
  std::promise<std::string> done_;
};
// doc:end handler

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: actnet-example-client PORT\n");
    return 2;
  }
  Hello hello;
  std::future<std::string> result = hello.result();
  // doc:begin dial
  actnet::Result<actnet::Client> client = actnet::Client::start(hello);  // one loop of its own
  if (!client) {
    std::fprintf(stderr, "client: %s\n", client.error().message.c_str());
    return 1;
  }
  // Never blocks a loop: resolution happens here, the connect on the client's loop. The
  // callback runs once: after on_open, or with why the dial failed (no on_open, no on_close).
  client->dial(std::string("tcp://127.0.0.1:").append(argv[1]), {.timeout = 2s},
               [&hello](std::error_code error, actnet::ConnRef) {
                 if (error) hello.failed(error);
               });
  // doc:end dial
  if (result.wait_for(5s) != std::future_status::ready) {
    std::fprintf(stderr, "client: no answer within 5 s\n");
    return 1;
  }
  const std::string line = result.get();
  std::printf("%s", line.c_str());
  client->stop();
  return line.starts_with("hello") && client->wait() ? 0 : 1;
}
