// The bounded HTTP front: one epoll thread frames requests, worker pools serve them.
#include "control/http_guard.hpp"

#include "control/lane_pool.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace stillroom {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool contains_token_ci(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (iequals(trim(list.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

} // namespace

RequestFrame frame_request(std::string_view buf, std::size_t max_header, std::size_t max_body) {
    using K = RequestFrame::Kind;
    const auto end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return {buf.size() > max_header ? K::HeaderTooLarge : K::Incomplete, 0};
    if (end + 4 > max_header) return {K::HeaderTooLarge, 0};
    const std::size_t header_len = end + 4;
    std::string_view head = buf.substr(0, end);
    const auto first_eol = head.find("\r\n");
    head = first_eol == std::string_view::npos ? std::string_view{} : head.substr(first_eol + 2);
    bool chunked = false;
    bool has_length = false;
    std::size_t length = 0;
    while (!head.empty()) {
        const auto eol = head.find("\r\n");
        const std::string_view line = head.substr(0, eol);
        head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = trim(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "transfer-encoding")) {
            if (contains_token_ci(value, "chunked")) chunked = true;
        } else if (iequals(name, "content-length")) {
            if (value.empty() || value.size() > 18) return {K::Bad, 0};
            std::size_t n = 0;
            for (char c : value) {
                if (c < '0' || c > '9') return {K::Bad, 0};
                n = n * 10 + static_cast<std::size_t>(c - '0');
            }
            if (has_length && n != length) return {K::Bad, 0}; // two lengths: request smuggling
            has_length = true;
            length = n;
        }
    }
    if (chunked) {
        std::size_t p = header_len;
        std::size_t total = 0;
        for (;;) { // each turn consumes a chunk: bounded by the buffer's size
            const auto eol = buf.find("\r\n", p);
            if (eol == std::string_view::npos)
                return {buf.size() - p > 1024 ? K::Bad : K::Incomplete, 0};
            std::string_view size_line = buf.substr(p, eol - p);
            size_line = trim(size_line.substr(0, size_line.find(';')));
            if (size_line.empty() || size_line.size() > 15) return {K::Bad, 0};
            std::size_t size = 0;
            for (char c : size_line) {
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0) return {K::Bad, 0};
                size = size * 16 + static_cast<std::size_t>(d);
            }
            total += size;
            if (total > max_body) return {K::TooLarge, 0};
            p = eol + 2;
            if (size == 0) {
                std::size_t trailers = 0;
                for (;;) { // trailer lines until an empty one
                    const auto t = buf.find("\r\n", p);
                    if (t == std::string_view::npos)
                        return {buf.size() - p > max_header ? K::HeaderTooLarge : K::Incomplete, 0};
                    if (t == p) return {K::Complete, t + 2};
                    trailers += t - p + 2;
                    if (trailers > max_header) return {K::HeaderTooLarge, 0};
                    p = t + 2;
                }
            }
            if (buf.size() < p + size + 2) return {K::Incomplete, 0};
            if (buf.substr(p + size, 2) != "\r\n") return {K::Bad, 0};
            p += size + 2;
        }
    }
    if (length > max_body) return {K::TooLarge, 0};
    if (buf.size() < header_len + length) return {K::Incomplete, 0};
    return {K::Complete, header_len + length};
}

RequestSummary summarize_request(std::string_view request) {
    RequestSummary r;
    const auto head_end = request.find("\r\n\r\n");
    std::string_view head = request.substr(0, head_end);
    const auto eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    const auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return r;
    r.method = line.substr(0, sp1);
    const auto sp2 = line.find(' ', sp1 + 1);
    r.target = line.substr(sp1 + 1,
                           sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp1 - 1);
    bool chunked = false;
    head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    while (!head.empty()) { // each turn consumes a line
        const auto e = head.find("\r\n");
        const std::string_view h = head.substr(0, e);
        head = e == std::string_view::npos ? std::string_view{} : head.substr(e + 2);
        const auto colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = trim(h.substr(0, colon));
        if (iequals(name, "authorization"))
            r.authorization = trim(h.substr(colon + 1));
        else if (iequals(name, "transfer-encoding") &&
                 contains_token_ci(h.substr(colon + 1), "chunked"))
            chunked = true;
    }
    if (!chunked && head_end != std::string_view::npos) r.body = request.substr(head_end + 4);
    return r;
}

bool is_json_media_type(std::string_view content_type) {
    return iequals(trim(content_type.substr(0, content_type.find(';'))), "application/json");
}

bool host_allowed(std::string_view host, const std::vector<std::string>& allowed) {
    host = trim(host);
    std::string name;
    if (!host.empty() && host.front() == '[') { // [v6]:port
        const auto close = host.find(']');
        if (close == std::string_view::npos) return false;
        name = std::string(host.substr(1, close - 1));
        in6_addr a6{};
        return inet_pton(AF_INET6, name.c_str(), &a6) == 1;
    }
    name = std::string(host.substr(0, host.find(':')));
    for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!name.empty() && name.back() == '.') name.pop_back();
    in_addr a4{};
    if (inet_pton(AF_INET, name.c_str(), &a4) == 1) return true;
    if (name == "localhost") return true;
    char self[256] = {};
    if (gethostname(self, sizeof self - 1) == 0 && self[0]) {
        std::string me = self;
        for (char& c : me)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == me || name == me + ".local") return true;
    }
    for (const auto& a : allowed)
        if (iequals(a, name)) return true;
    return false;
}

// Named, not anonymous: HttpGuardFront (declared in the header) holds these as members.
namespace http_guard_detail {

// After a final error reply, how long and how much of the rest of a request is read and dropped.
constexpr Ms kLingerTime{2000};
constexpr std::size_t kLingerBytes = 4u << 20;

// A fixed set of threads with a bounded queue. try_submit never blocks.
class WorkerPool {
public:
    WorkerPool(int threads, std::size_t max_queued) : max_queued_(max_queued) {
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this] { run(); });
    }
    ~WorkerPool() { stop(); }
    // False (nothing queued) when every worker is busy and the queue is full.
    bool try_submit(std::function<void()> fn) {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= idle_ + max_queued_) return false;
        queue_.push_back(std::move(fn));
        cv_.notify_one();
        return true;
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ && threads_.empty()) return;
            stopping_ = true;
            queue_.clear(); // closes their sockets
        }
        cv_.notify_all();
        for (auto& t : threads_)
            t.join();
        threads_.clear();
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            ++idle_;
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            --idle_;
            if (stopping_) return;
            auto fn = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            fn();
            lock.lock();
        }
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    std::size_t max_queued_;
    bool stopping_ = false;
};

struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
    bool handshaken = false;
    std::string ip;
    int port = 0;
    std::string local_ip;
    int local_port = 0;
    std::string in;
    DeviceTime deadline{};
    bool started = false; // a byte of the current request has arrived
    int served = 0;
    bool close_after = false;
    bool draining = false; // replied and half-closed: the rest of the request is read and dropped
    std::size_t drained = 0;
    bool trusted = false;      // has shown a valid token or device cookie
    std::uint64_t age = 0;     // when it last became idle, for closing the oldest stranger
    bool login_slot = false;   // holds one of its address's stranger login slots
    bool hold_refusal = false; // a stranger's login: a refusal waits (refused_login_delay)
    std::string held_reply;    // that refusal, sent when its time comes
    ~Conn() {
        if (ssl) {
            SSL_shutdown(ssl);
            SSL_free(ssl);
        }
        if (fd >= 0) {
            ::shutdown(fd, SHUT_RDWR);
            ::close(fd);
        }
    }
};

void address_of(const sockaddr_storage& ss, std::string& ip, int& port) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
        inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
        port = ntohs(a.sin_port);
    } else if (ss.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
        inet_ntop(AF_INET6, &a.sin6_addr, buf, sizeof buf);
        port = ntohs(a.sin6_port);
    }
    ip = buf;
}

// Writes all of `data` before `deadline`; false on error or timeout. Runs on: any thread
// that owns the connection.
bool send_all(Conn& c, const char* data, std::size_t size, DeviceTime deadline,
              const DeviceClock& clock) {
    std::size_t done = 0;
    while (done < size) {
        ssize_t n;
        int want = POLLOUT;
        if (c.ssl) {
            const int chunk = static_cast<int>(std::min<std::size_t>(size - done, 1 << 20));
            n = SSL_write(c.ssl, data + done, chunk);
            if (n <= 0) {
                const int err = SSL_get_error(c.ssl, static_cast<int>(n));
                if (err == SSL_ERROR_WANT_READ)
                    want = POLLIN;
                else if (err != SSL_ERROR_WANT_WRITE)
                    return false;
                n = -1;
                errno = EAGAIN;
            }
        } else {
            n = ::send(c.fd, data + done, size - done, MSG_NOSIGNAL);
        }
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
        const auto left = std::chrono::duration_cast<Ms>(deadline - clock.now()).count();
        if (left <= 0) return false;
        pollfd p{c.fd, static_cast<short>(want), 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return false;
    }
    return true;
}

// A complete request in memory; the response goes to the socket.
class BufferedStream final : public httplib::Stream {
public:
    BufferedStream(Conn& c, std::string request, Ms write_timeout, const DeviceClock& clock)
        : c_(c), request_(std::move(request)), write_timeout_(write_timeout), clock_(clock) {}
    bool is_readable() const override { return pos_ < request_.size(); }
    bool is_writable() const override {
        pollfd p{c_.fd, POLLOUT, 0};
        return ::poll(&p, 1, static_cast<int>(write_timeout_.count())) > 0 &&
               !(p.revents & (POLLERR | POLLHUP | POLLNVAL));
    }
    ssize_t read(char* ptr, std::size_t size) override {
        const std::size_t n = std::min(size, request_.size() - pos_);
        std::copy_n(request_.data() + pos_, n, ptr);
        pos_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, std::size_t size) override {
        if (c_.hold_refusal && !failed_) { // a stranger's login: kept until its status is known
            held_.append(ptr, size);
            return static_cast<ssize_t>(size);
        }
        if (failed_ || !send_all(c_, ptr, size, clock_.now() + write_timeout_, clock_)) {
            failed_ = true;
            return -1;
        }
        return static_cast<ssize_t>(size);
    }
    using httplib::Stream::write;
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = c_.ip;
        port = c_.port;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = c_.local_ip;
        port = c_.local_port;
    }
    socket_t socket() const override { return c_.fd; }
    bool failed() const { return failed_; }
    // What a held response says: a refusal (429, 503) is handed to the guard with the
    // connection; anything else (a success, a wrong PIN that was checked) is sent now.
    void settle_held() {
        if (!c_.hold_refusal) return;
        c_.hold_refusal = false;
        if (is_refusal(held_)) {
            c_.held_reply = std::move(held_);
            return;
        }
        if (!send_all(c_, held_.data(), held_.size(), clock_.now() + write_timeout_, clock_))
            failed_ = true;
    }
    static bool is_refusal(std::string_view response) {
        return response.rfind("HTTP/1.1 429 ", 0) == 0 || response.rfind("HTTP/1.1 503 ", 0) == 0;
    }

private:
    Conn& c_;
    std::string request_;
    std::size_t pos_ = 0;
    Ms write_timeout_;
    const DeviceClock& clock_;
    bool failed_ = false;
    std::string held_;
};

// httplib hands each accepted socket to its task queue; this one runs the task at once on
// the accepting thread, where GuardedServer::process_and_close_socket only adopts it.
class InlineQueue final : public httplib::TaskQueue {
public:
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override {}
};

std::string canned(int status, const char* reason, const std::string& message) {
    const std::string body = "{\"error\":\"" + message + "\"}";
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nContent-Type: application/json\r\nCache-Control: "
           "no-store\r\nX-Content-Type-Options: nosniff\r\n"
           "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

} // namespace http_guard_detail
using namespace http_guard_detail;

class HttpGuardFront {
public:
    HttpGuardFront(GuardedServer& server, HttpGuardLimits limits, SSL_CTX* tls, DeviceClock& clock)
        : server_(server), limits_(limits), tls_(tls), clock_(clock),
          requests_(limits.request_workers, limits.urgent_workers, 0,
                    {limits.max_queued, limits.max_queued, limits.max_queued_strangers}),
          logins_(limits.login_workers, limits.trusted_login_workers, 1, {16, 16, 8}) {
        if (limits_.stream_groups.empty()) limits_.stream_groups = {limits_.stream_workers};
        for (int n : limits_.stream_groups)
            streams_.push_back(std::make_unique<WorkerPool>(n, 0));
        epoll_ = epoll_create1(EPOLL_CLOEXEC);
        wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = wake_;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
        thread_ = std::thread([this] { run(); });
    }
    ~HttpGuardFront() { stop(); }

    void stop() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake();
        thread_.join();
        for (auto& p : streams_)
            p->stop();
        logins_.stop();
        requests_.stop();
        std::lock_guard lock(mutex_);
        adopted_.clear();
        returned_.clear();
        held_.clear();
        held_count_ = 0;
        ::close(epoll_);
        ::close(wake_);
        if (tls_) SSL_CTX_free(tls_);
        tls_ = nullptr;
    }

    // Runs on: the accepting thread.
    void adopt(int fd) {
        auto c = std::make_unique<Conn>();
        c->fd = fd;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
            address_of(ss, c->ip, c->port);
        len = sizeof ss;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
            address_of(ss, c->local_ip, c->local_port);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
                   sizeof one); // no Nagle delay on small replies
        std::lock_guard lock(mutex_);
        if (stopping_) return; // c closes the socket
        adopted_.push_back(std::move(c));
        wake();
    }

    int open_connections() const { return open_.load(); }
    int held_refusals() const { return held_count_.load(); }
    void set_classifier(RequestClassifier c) { classifier_ = std::move(c); }

private:
    void wake() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    }

    // A connection back from a worker. Runs on: a worker thread.
    void hand_back(std::unique_ptr<Conn> c) {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        returned_.push_back(std::move(c));
        wake();
    }

    void run() {
        std::vector<epoll_event> events(128);
        DeviceTime last_sweep = clock_.now();
        for (;;) {
            const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
            {
                std::lock_guard lock(mutex_);
                if (stopping_) break;
            }
            for (int i = 0; i < n; ++i) {
                const int fd = events[static_cast<std::size_t>(i)].data.fd;
                if (fd == wake_) {
                    std::uint64_t v;
                    [[maybe_unused]] auto r = ::read(wake_, &v, sizeof v);
                    take_new();
                    continue;
                }
                auto it = conns_.find(fd);
                if (it != conns_.end()) on_readable(it->second);
            }
            const DeviceTime now = clock_.now();
            while (!held_.empty() && held_.front().first <= now)
                answer_oldest_held();
            if (now - last_sweep >= Ms{50}) {
                last_sweep = now;
                std::vector<int> expired;
                for (const auto& [fd, c] : conns_)
                    if (c->deadline <= now) expired.push_back(fd);
                for (int fd : expired) {
                    auto it = conns_.find(fd);
                    if (it->second->started)
                        reply_and_close(it->second, canned(408, "Request Timeout",
                                                           "the request took too long"));
                    else
                        close_conn(fd);
                }
            }
        }
        conns_.clear();
    }

    void take_new() {
        std::deque<std::unique_ptr<Conn>> adopted, returned;
        {
            std::lock_guard lock(mutex_);
            adopted.swap(adopted_);
            returned.swap(returned_);
        }
        // What the workers handed back first: its login slots and sockets are free again
        // before a newcomer is counted (one address's logins one after another never find
        // the previous one's slot still taken).
        for (auto& c : returned) {
            if (c->login_slot) {
                c->login_slot = false;
                if (--stranger_logins_[c->ip] <= 0) stranger_logins_.erase(c->ip);
            }
            if (!c->held_reply.empty()) {
                hold(std::move(c));
                continue;
            }
            if (c->close_after) {
                forget(*c);
                continue;
            }
            c->started = !c->in.empty();
            c->deadline =
                clock_.now() + (c->started ? limits_.request_deadline : limits_.idle_timeout);
            const int fd = c->fd;
            watch(std::move(c));
            auto it = conns_.find(fd);
            if (it != conns_.end() && it->second->started) try_dispatch(it->second); // pipelined
        }
        for (auto& c : adopted) {
            // A new connection is a stranger until it shows a token or a device cookie. One
            // address gets a few; when strangers fill their share (or every socket is taken)
            // the one idle the longest is closed for the newcomer, so strangers never take
            // what a trusted client needs.
            if (per_address_[c->ip] >= limits_.max_per_address ||
                strangers_per_address_[c->ip] >= limits_.max_strangers_per_address) {
                if (per_address_[c->ip] <= 0) per_address_.erase(c->ip);
                if (strangers_per_address_[c->ip] <= 0) strangers_per_address_.erase(c->ip);
                continue; // closed
            }
            while (
                (open_.load() >= limits_.max_connections || strangers_ >= limits_.max_strangers) &&
                !idle_strangers_.empty())
                close_conn(idle_strangers_.begin()->second);
            // Then held refusals: each is answered now rather than keep a newcomer out.
            while (
                (open_.load() >= limits_.max_connections || strangers_ >= limits_.max_strangers) &&
                !held_.empty())
                answer_oldest_held();
            if (open_.load() >= limits_.max_connections || strangers_ >= limits_.max_strangers)
                continue; // closed: every stranger is busy in a worker
            ++open_;
            ++per_address_[c->ip];
            ++strangers_;
            ++strangers_per_address_[c->ip];
            if (tls_) {
                c->ssl = SSL_new(tls_);
                if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
                    forget(*c);
                    continue;
                }
                SSL_set_accept_state(c->ssl);
            }
            c->deadline = clock_.now() + limits_.idle_timeout;
            const int fd = c->fd;
            watch(std::move(c));
            // Its request may be here already: read it now, before a later newcomer could
            // close it as the oldest stranger.
            auto it = conns_.find(fd);
            if (it != conns_.end()) on_readable(it->second);
        }
    }

    // A stranger's refused login waits here for refused_login_delay, out of epoll and of
    // every worker, still counted as a stranger's socket; then it is answered and closed.
    void hold(std::unique_ptr<Conn> c) {
        c->close_after = true;
        held_.emplace_back(clock_.now() + limits_.refused_login_delay, std::move(c));
        held_count_ = static_cast<int>(held_.size());
    }

    void answer_oldest_held() {
        std::unique_ptr<Conn> c = std::move(held_.front().second);
        held_.pop_front();
        held_count_ = static_cast<int>(held_.size());
        send_all(*c, c->held_reply.data(), c->held_reply.size(), clock_.now() + Ms{50}, clock_);
        forget(*c);
    }

    void watch(std::unique_ptr<Conn> c) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = c->fd;
        if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            forget(*c);
            return;
        }
        const int fd = c->fd;
        if (!c->trusted) {
            c->age = ++ages_;
            idle_strangers_[c->age] = fd;
        }
        conns_[fd] = std::move(c);
    }

    // Bookkeeping for a connection about to be destroyed (which closes it).
    void forget(const Conn& c) {
        --open_;
        if (--per_address_[c.ip] <= 0) per_address_.erase(c.ip);
        idle_strangers_.erase(c.age);
        if (!c.trusted) {
            --strangers_;
            if (--strangers_per_address_[c.ip] <= 0) strangers_per_address_.erase(c.ip);
        }
    }

    // A connection that showed a valid token or device cookie stops counting as a stranger.
    void trust(Conn& c) {
        if (c.trusted) return;
        c.trusted = true;
        idle_strangers_.erase(c.age);
        --strangers_;
        if (--strangers_per_address_[c.ip] <= 0) strangers_per_address_.erase(c.ip);
    }

    void close_conn(int fd) {
        auto it = conns_.find(fd);
        if (it == conns_.end()) return;
        epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
        forget(*it->second);
        conns_.erase(it);
    }

    // Best effort: the socket is non-blocking and the reply small. A plain connection is then
    // half-closed and what the client still sends is read and dropped for a short, bounded
    // while (a "lingering close", as nginx does): closing with unread data makes the kernel
    // send a reset that can destroy the reply before the client reads it.
    void reply_and_close(std::unique_ptr<Conn>& c, const std::string& reply) {
        if (!c->ssl || c->handshaken)
            send_all(*c, reply.data(), reply.size(), clock_.now() + Ms{50}, clock_);
        if (c->ssl || c->draining) return close_conn(c->fd);
        ::shutdown(c->fd, SHUT_WR);
        c->draining = true;
        c->started = false; // the sweep closes it at the deadline without another reply
        std::string().swap(c->in);
        c->deadline = clock_.now() + kLingerTime;
    }

    // Reads and drops what a client sends after its final reply; closes at EOF or the bound.
    void drain(std::unique_ptr<Conn>& c) {
        char buf[16384];
        for (int turns = 0; turns < 64; ++turns) {
            const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
            if (n > 0) {
                c->drained += static_cast<std::size_t>(n);
                if (c->drained > kLingerBytes) return close_conn(c->fd);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            if (n < 0 && errno == EINTR) continue;
            return close_conn(c->fd);
        }
    }

    void on_readable(std::unique_ptr<Conn>& c) {
        if (c->draining) return drain(c);
        const int fd = c->fd;
        char buf[16384];
        const std::size_t cap = limits_.max_header + 2 * limits_.max_body + (64 << 10);
        for (int turns = 0; turns < 64; ++turns) { // bounded; epoll reports the rest
            ssize_t n;
            if (c->ssl) {
                if (!c->handshaken) {
                    const int r = SSL_do_handshake(c->ssl);
                    if (r != 1) {
                        const int err = SSL_get_error(c->ssl, r);
                        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
                        return close_conn(fd);
                    }
                    c->handshaken = true;
                }
                n = SSL_read(c->ssl, buf, sizeof buf);
                if (n <= 0) {
                    const int err = SSL_get_error(c->ssl, static_cast<int>(n));
                    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
                    return close_conn(fd);
                }
            } else {
                n = ::recv(fd, buf, sizeof buf, 0);
                if (n == 0) return close_conn(fd);
                if (n < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                    if (errno == EINTR) continue;
                    return close_conn(fd);
                }
            }
            if (!c->started) {
                c->started = true;
                c->deadline = clock_.now() + limits_.request_deadline;
            }
            c->in.append(buf, static_cast<std::size_t>(n));
            if (c->in.size() > cap)
                return reply_and_close(
                    c, canned(413, "Payload Too Large", "the request body is too large"));
        }
        if (!c->started && c->ssl &&
            !c->handshaken) { // handshake bytes count as the first request's
            c->started = true;
            c->deadline = clock_.now() + limits_.request_deadline;
        }
        if (!c->in.empty()) try_dispatch(c);
    }

    void try_dispatch(std::unique_ptr<Conn>& c) {
        const RequestFrame f = frame_request(c->in, limits_.max_header, limits_.max_body);
        using K = RequestFrame::Kind;
        switch (f.kind) {
        case K::Incomplete:
            return;
        case K::TooLarge:
            return reply_and_close(
                c, canned(413, "Payload Too Large", "the request body is too large"));
        case K::HeaderTooLarge:
            return reply_and_close(c, canned(431, "Request Header Fields Too Large",
                                             "the request headers are too large"));
        case K::Bad:
            return reply_and_close(c, canned(400, "Bad Request", "bad request"));
        case K::Complete:
            break;
        }
        std::string request = c->in.substr(0, f.length);
        c->in.erase(0, f.length);
        const std::string_view line = std::string_view(request).substr(0, request.find("\r\n"));
        const bool stream = line.rfind("GET /api/v1/events", 0) == 0 &&
                            (line.size() > 18 && (line[18] == ' ' || line[18] == '?'));
        const bool login = line.rfind("POST /api/v1/login ", 0) == 0;
        const RequestClass rc =
            classifier_ ? classifier_(summarize_request(request)) : RequestClass{};
        const int lane = static_cast<int>(rc.lane);
        if (rc.lane != RequestLane::Stranger) trust(*c);
        // Login work per address: strangers get a few at a time, answered at once beyond.
        const bool stranger_login = login && rc.lane == RequestLane::Stranger;
        if (stranger_login) {
            if (stranger_logins_[c->ip] >= limits_.stranger_logins_per_address) {
                const int fd = c->fd;
                epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
                idle_strangers_.erase(c->age);
                c->held_reply =
                    canned(429, "Too Many Requests", "too many logins at once from this address");
                hold(std::move(conns_[fd]));
                conns_.erase(fd);
                return;
            }
            ++stranger_logins_[c->ip];
            c->login_slot = true;
            c->hold_refusal = true;
        }
        // A stranger's event stream is answered (401) by a request worker, never a stream one.
        const bool to_streams = stream && rc.lane != RequestLane::Stranger;
        const std::size_t group = std::min<std::size_t>(
            static_cast<std::size_t>(std::max(rc.stream_group, 0)), streams_.size() - 1);
        const int fd = c->fd;
        epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
        idle_strangers_.erase(c->age);
        auto task = std::make_shared<std::pair<std::unique_ptr<Conn>, std::string>>(
            std::move(conns_[fd]), std::move(request));
        conns_.erase(fd);
        const bool last = ++task->first->served >= limits_.keep_alive_max || stream;
        auto work = [this, task, last] {
            Conn& conn = *task->first;
            BufferedStream s(conn, std::move(task->second), limits_.write_timeout, clock_);
            bool closed = false;
            const bool ok = server_.serve_one(s, last, closed);
            s.settle_held();
            conn.close_after = !ok || closed || last || s.failed();
            hand_back(std::move(task->first));
        };
        const bool queued = to_streams ? streams_[group]->try_submit(std::move(work))
                            : login    ? logins_.try_submit(lane, std::move(work))
                                       : requests_.try_submit(lane, std::move(work));
        if (!queued) {
            const std::string reply =
                to_streams ? canned(503, "Service Unavailable", "too many event streams are open")
                           : canned(503, "Service Unavailable", "the room is busy; try again");
            Conn& conn = *task->first;
            if (conn.login_slot && --stranger_logins_[conn.ip] <= 0)
                stranger_logins_.erase(conn.ip);
            conn.login_slot = false;
            if (stranger_login) {
                conn.hold_refusal = false;
                conn.held_reply = reply;
                return hold(std::move(task->first));
            }
            send_all(conn, reply.data(), reply.size(), clock_.now() + Ms{50}, clock_);
            forget(conn);
            task->first.reset();
        }
    }

    GuardedServer& server_;
    HttpGuardLimits limits_;
    SSL_CTX* tls_;
    DeviceClock& clock_;
    int epoll_ = -1;
    int wake_ = -1;
    std::mutex mutex_;
    bool stopping_ = false;
    std::deque<std::unique_ptr<Conn>> adopted_;
    std::deque<std::unique_ptr<Conn>> returned_;
    // Owned by the front thread:
    std::map<int, std::unique_ptr<Conn>> conns_;
    std::map<std::string, int> per_address_;
    std::atomic<int> open_{0};
    int strangers_ = 0;
    std::map<std::string, int> strangers_per_address_;
    std::map<std::uint64_t, int> idle_strangers_; // age -> fd: strangers waiting in conns_
    std::uint64_t ages_ = 0;
    std::map<std::string, int> stranger_logins_;
    std::deque<std::pair<DeviceTime, std::unique_ptr<Conn>>> held_; // refused logins, by time
    std::atomic<int> held_count_{0};
    RequestClassifier classifier_;
    LanePool requests_;
    LanePool logins_;
    std::vector<std::unique_ptr<WorkerPool>> streams_;
    std::thread thread_;
};

namespace {

SSL_CTX* make_tls_context(const std::string& cert, const std::string& key) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return nullptr;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        return nullptr;
    }
    return ctx;
}

} // namespace

GuardedServer::GuardedServer(HttpGuardLimits limits, DeviceClock& clock,
                             const std::string* tls_cert, const std::string* tls_key) {
    // Room for max_connections sockets besides the daemon's own files.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < static_cast<rlim_t>(limits.max_connections) + 256) {
        rl.rlim_cur =
            std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(limits.max_connections) + 256);
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    SSL_CTX* tls = nullptr;
    bool tls_failed = false;
    if (tls_cert && tls_key) {
        tls = make_tls_context(*tls_cert, *tls_key);
        tls_failed = tls == nullptr;
    }
    new_task_queue = [] { return new InlineQueue; };
    listen_backlog_ = limits.listen_backlog;
    if (!tls_failed) front_ = std::make_unique<HttpGuardFront>(*this, limits, tls, clock);
}

GuardedServer::~GuardedServer() {
    shutdown_guard();
}

bool GuardedServer::is_valid() const {
    return front_ != nullptr;
}

void GuardedServer::shutdown_guard() {
    if (front_) front_->stop();
}

int GuardedServer::serve(const std::string& host, int port, std::string* error) {
    if (!is_valid()) {
        if (error) *error = "the TLS certificate or key cannot be loaded";
        return 0;
    }
    const int bound =
        port == 0 ? bind_to_any_port(host.c_str()) : (bind_to_port(host.c_str(), port) ? port : 0);
    if (bound <= 0) {
        if (error) *error = "cannot listen on " + host + ":" + std::to_string(port);
        return 0;
    }
    // httplib listens with a backlog of 5: a burst of connects (a page load, a reconnect after
    // Wi-Fi roams, a flood) would drop SYNs, and a dropped SYN costs a tablet a second.
    // Listening again on the bound socket only raises the queue.
    if (::listen(svr_sock_, listen_backlog_) != 0) {
        if (error) *error = "cannot listen on " + host + ":" + std::to_string(port);
        return 0;
    }
    serving_ = std::thread([this] { listen_after_bind(); });
    return bound;
}

bool GuardedServer::stop_serving() {
    if (!serving_.joinable()) return false;
    stop();
    serving_.join();
    shutdown_guard();
    return true;
}

void GuardedServer::set_classifier(RequestClassifier classifier) {
    if (front_) front_->set_classifier(std::move(classifier));
}

int GuardedServer::open_connections() const {
    return front_ ? front_->open_connections() : 0;
}

int GuardedServer::held_refusals() const {
    return front_ ? front_->held_refusals() : 0;
}

bool GuardedServer::serve_one(httplib::Stream& stream, bool close_connection,
                              bool& connection_closed) {
    return process_request(stream, close_connection, connection_closed, nullptr);
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
    if (front_)
        front_->adopt(sock);
    else
        ::close(sock);
    return true;
}

} // namespace stillroom
