// actnet-peer-asio-echo: Boost.Asio as its documentation teaches it at scale: one
// io_context per thread (no locking inside), each with its own SO_REUSEPORT acceptor; each
// session loops async_read_some → async_write on its own 8 KiB buffer, kept alive by a
// shared_ptr captured in the handlers.
//
//   actnet-peer-asio-echo --port P --threads N

#include <array>
#include <memory>
#include <thread>
#include <utility>  // Boost 1.74's asio uses std::exchange without including it
#include <vector>

#include <boost/asio.hpp>

#include "peer_args.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}
  void read() {
    socket_.async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (!ec) self->write(n);
        });
  }

 private:
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buffer_, n),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }
  tcp::socket socket_;
  std::array<char, 8192> buffer_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->read();
    }
    accept(acceptor);
  });
}

void serve(int port) {
  asio::io_context io(1);  // concurrency hint 1: this context never runs on two threads
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.set_option(reuse_port(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  accept(acceptor);
  io.run();
}

}  // namespace

int main(int argc, char** argv) {
  const peers::PeerArgs args = peers::parse_peer_args(argc, argv, "actnet-peer-asio-echo");
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t)
    threads.emplace_back(serve, args.port);
  for (auto& t : threads)
    t.join();
}
