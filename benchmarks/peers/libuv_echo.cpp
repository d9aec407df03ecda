// actnet-peer-libuv-echo: libuv the way its users tune it: one uv_loop per thread, each
// with its own SO_REUSEPORT listener (opened by hand and handed over with uv_tcp_open:
// Debian's libuv predates UV_TCP_REUSEPORT). Reads land in one buffer per loop and go back
// with uv_try_write; only a short write copies the rest into the connection and queues a
// uv_write, with reading stopped until it completes. Idle connections hold no buffer.
//
//   actnet-peer-libuv-echo --port P --threads N

#include <uv.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "peer_args.hpp"

namespace {

struct LoopData {
  std::vector<char> buffer = std::vector<char>(64 * 1024);  // every read of this loop
};

struct Conn {
  uv_tcp_t tcp;
  uv_write_t write;
  std::vector<char> unsent;
};

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

void on_close(uv_handle_t* handle) {
  delete reinterpret_cast<Conn*>(handle);
}

void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* data = static_cast<LoopData*>(handle->loop->data);
  *buf = uv_buf_init(data->buffer.data(), static_cast<unsigned>(data->buffer.size()));
}

void on_write(uv_write_t* req, int status) {
  auto* conn = reinterpret_cast<Conn*>(req->handle);
  conn->unsent.clear();
  if (status < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), on_close);
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), on_alloc, on_read);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* conn = reinterpret_cast<Conn*>(stream);
  if (nread < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(stream), on_close);
    return;
  }
  if (nread == 0) return;
  uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(nread));
  int written = uv_try_write(stream, &out, 1);
  if (written == UV_EAGAIN) written = 0;
  if (written < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(stream), on_close);
    return;
  }
  if (written == nread) return;
  conn->unsent.assign(buf->base + written, buf->base + nread);
  uv_read_stop(stream);
  uv_buf_t rest = uv_buf_init(conn->unsent.data(), static_cast<unsigned>(conn->unsent.size()));
  uv_write(&conn->write, stream, &rest, 1, on_write);
}

void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* conn = new Conn;
  uv_tcp_init(server->loop, &conn->tcp);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), on_close);
    return;
  }
  uv_tcp_nodelay(&conn->tcp, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), on_alloc, on_read);
}

void serve(int port) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  LoopData data;
  loop.data = &data;
  uv_tcp_t server;
  uv_tcp_init(&loop, &server);
  uv_tcp_open(&server, peers::reuse_port_listener(port));
  if (uv_listen(reinterpret_cast<uv_stream_t*>(&server), SOMAXCONN, on_connection) != 0)
    std::exit(1);
  uv_run(&loop, UV_RUN_DEFAULT);
}

}  // namespace

int main(int argc, char** argv) {
  const peers::PeerArgs args = peers::parse_peer_args(argc, argv, "actnet-peer-libuv-echo");
  std::vector<std::thread> threads;
  for (int t = 0; t < args.threads; ++t)
    threads.emplace_back(serve, args.port);
  for (auto& t : threads)
    t.join();
}
