// A raw HTTP/1.1 client over loopback for the hostile-client tests and the benchmark: binds
// a source address (127.0.0.2, 127.0.0.3 ... are all loopback), sends exact bytes, reads
// the reply with a bounded wait.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

namespace stillroom::test {

// A connected TCP socket from `source_ip` to 127.0.0.1:port, or -1.
inline int connect_from(const std::string& source_ip, int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, source_ip.c_str(), &src.sin_addr);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool send_text(int fd, std::string_view text) {
    while (!text.empty()) {
        const auto n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

struct RawReply {
    int status = 0; // 0: no reply (closed or timed out)
    std::string head;
    std::string body;
    bool closed = false; // the server closed the connection
};

// Reads one reply (Content-Length framed) or until the server closes, at most `timeout_ms`.
inline RawReply read_reply(int fd, int timeout_ms) {
    RawReply r;
    std::string buf;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) { // bounded by the deadline
        const auto head_end = buf.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            r.head = buf.substr(0, head_end);
            if (r.head.size() > 12) r.status = std::atoi(r.head.c_str() + 9);
            const auto cl = r.head.find("Content-Length: ");
            if (cl != std::string::npos) {
                const std::size_t len = std::stoul(r.head.substr(cl + 16));
                if (buf.size() >= head_end + 4 + len) {
                    r.body = buf.substr(head_end + 4, len);
                    return r;
                }
            } else if (r.head.find("Transfer-Encoding: chunked") != std::string::npos) {
                r.body = buf.substr(head_end + 4); // a stream: its head is the reply
                return r;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char chunk[8192];
        const auto n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
            r.closed = true;
            break;
        }
        buf.append(chunk, static_cast<std::size_t>(n));
    }
    if (r.status == 0) r.head = buf;
    return r;
}

// One request on a fresh connection from `source_ip`.
inline RawReply raw_request(const std::string& source_ip, int port, const std::string& method,
                            const std::string& path, const std::string& headers = "",
                            const std::string& body = "", int timeout_ms = 10000) {
    const int fd = connect_from(source_ip, port);
    if (fd < 0) return {};
    std::string req =
        method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers;
    if (!body.empty() || method == "POST" || method == "PUT")
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    RawReply r;
    if (send_text(fd, req)) r = read_reply(fd, timeout_ms);
    ::close(fd);
    return r;
}

} // namespace stillroom::test
