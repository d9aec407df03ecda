// actnet-peer-libevent-echo: libevent as its own samples write an echo server, scaled out:
// one event_base per thread (created without evthread locking: nothing is shared), each
// with its own SO_REUSEPORT evconnlistener; a bufferevent per connection whose read
// callback moves the input evbuffer onto the output one without copying
// (evbuffer_add_buffer).
//
//   actnet-peer-libevent-echo --port P --threads N

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/tcp.h>

#include <thread>
#include <vector>

#include "peer_args.hpp"

namespace {

void on_read(bufferevent* bev, void*) {
  evbuffer_add_buffer(bufferevent_get_output(bev), bufferevent_get_input(bev));
}

void on_event(bufferevent* bev, short events, void*) {
  if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

void on_accept(evconnlistener* listener, evutil_socket_t fd, sockaddr*, int, void*) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  event_base* base = evconnlistener_get_base(listener);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev, on_read, nullptr, on_event, nullptr);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void serve(int port) {
  event_base* base = event_base_new();
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sin.sin_port = htons(static_cast<std::uint16_t>(port));
  evconnlistener* listener = evconnlistener_new_bind(
      base, on_accept, nullptr,
      LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
      SOMAXCONN, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  if (listener == nullptr) {
    std::perror("evconnlistener_new_bind");
    std::exit(1);
  }
  event_base_dispatch(base);
}

}  // namespace

int main(int argc, char** argv) {
  const peers::PeerArgs args = peers::parse_peer_args(argc, argv, "actnet-peer-libevent-echo");
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t)
    threads.emplace_back(serve, args.port);
  for (auto& t : threads)
    t.join();
}
