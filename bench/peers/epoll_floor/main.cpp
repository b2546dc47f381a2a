// ssekit-epoll-floor: the bare reference the latency benchmark measures ssekit
// against. Same protocol as samples/pubsub (GET /sub/{topic}, POST
// /pub/{topic}), with nothing between the socket and the event but what the
// protocol needs: one thread, edge-triggered non-blocking epoll, per topic a
// vector of subscribers, each event encoded once (chunk framing included) and
// handed to each subscriber with one send().
//
//   $ ssekit-epoll-floor --port 8080
//   $ curl -N http://127.0.0.1:8080/sub/news &
//   $ curl -d 'hello' http://127.0.0.1:8080/pub/news
//
// The request reader is deliberately minimal: HTTP/1.1 requests with a
// Content-Length body (no chunked request bodies), headers up to 8 KiB, bodies
// up to 1 MiB. Subscribers get a chunked response, so they must speak HTTP/1.1.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::size_t max_head_bytes = 8 * 1024;
constexpr std::size_t max_body_bytes = 1024 * 1024;

struct Topic;

struct Connection {
    int fd = -1;
    bool closing = false;
    bool close_after_write = false;
    std::string input;
    std::string pending; // what send() did not take yet, flushed on EPOLLOUT
    Topic* topic = nullptr; // set once the connection is a subscriber
    std::size_t index_in_topic = 0;
};

struct Topic {
    std::vector<Connection*> subscribers;
    std::uint64_t last_id = 0;
};

// Lets the topic map be searched with the string_view of the request target.
struct TopicNameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept { return std::hash<std::string_view>{}(name); }
};

struct Request {
    std::string_view method;
    std::string_view target;
    std::string_view body;
    bool keep_alive = true;
};

bool iequals(std::string_view a, std::string_view b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return (x | 0x20) == (y | 0x20);
    });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

enum class ParseResult { complete, incomplete, bad, head_too_large, body_too_large };

// Parses one request from the front of `in`; `consumed` is its size in bytes.
ParseResult parse_request(std::string_view in, Request& request, std::size_t& consumed)
{
    const auto head_end = in.find("\r\n\r\n");
    if (head_end == std::string_view::npos)
        return in.size() > max_head_bytes ? ParseResult::head_too_large : ParseResult::incomplete;
    if (head_end > max_head_bytes)
        return ParseResult::head_too_large;

    std::string_view head = in.substr(0, head_end);
    const auto line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    const auto sp1 = line.find(' ');
    const auto sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1)
        return ParseResult::bad;
    request.method = line.substr(0, sp1);
    request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (version == "HTTP/1.1")
        request.keep_alive = true;
    else if (version == "HTTP/1.0")
        request.keep_alive = false;
    else
        return ParseResult::bad;

    std::size_t content_length = 0;
    std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!rest.empty()) {
        const auto end = rest.find("\r\n");
        std::string_view field = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
        const auto colon = field.find(':');
        if (colon == std::string_view::npos)
            return ParseResult::bad;
        const std::string_view name = field.substr(0, colon);
        const std::string_view value = trim(field.substr(colon + 1));
        if (iequals(name, "content-length")) {
            auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), content_length);
            if (ec != std::errc{} || ptr != value.data() + value.size())
                return ParseResult::bad;
            if (content_length > max_body_bytes)
                return ParseResult::body_too_large;
        } else if (iequals(name, "transfer-encoding")) {
            return ParseResult::bad; // chunked request bodies are not supported here
        } else if (iequals(name, "connection")) {
            if (iequals(value, "close"))
                request.keep_alive = false;
            else if (iequals(value, "keep-alive"))
                request.keep_alive = true;
        }
    }

    const std::size_t body_begin = head_end + 4;
    if (in.size() - body_begin < content_length)
        return ParseResult::incomplete;
    request.body = in.substr(body_begin, content_length);
    consumed = body_begin + content_length;
    return ParseResult::complete;
}

// The topic name of `/prefix{topic}` (query string ignored), or empty.
std::string_view topic_of(std::string_view target, std::string_view prefix)
{
    if (!target.starts_with(prefix))
        return {};
    std::string_view name = target.substr(prefix.size());
    name = name.substr(0, name.find('?'));
    return name.find('/') == std::string_view::npos ? name : std::string_view{};
}

class Server {
public:
    Server(int listener, int signals, int epoll) : listener_(listener), signals_(signals), epoll_(epoll) {}

    void run()
    {
        std::vector<epoll_event> events(1024);
        for (;;) {
            const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                std::perror("epoll_wait");
                return;
            }
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == signals_)
                    return;
                if (fd == listener_) {
                    accept_all();
                    continue;
                }
                Connection* c = connections_[static_cast<std::size_t>(fd)].get();
                if (c == nullptr || c->closing)
                    continue;
                if (events[i].events & (EPOLLERR | EPOLLHUP)) {
                    close_later(*c);
                    continue;
                }
                if (events[i].events & EPOLLOUT)
                    flush(*c);
                if (!c->closing && (events[i].events & (EPOLLIN | EPOLLRDHUP)))
                    read_all(*c);
            }
            // Closed only now, so an fd number is never reused within one batch.
            for (const int fd : to_close_) {
                ::close(fd);
                connections_[static_cast<std::size_t>(fd)].reset();
            }
            to_close_.clear();
        }
    }

private:
    void accept_all()
    {
        for (;;) {
            const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    std::perror("accept4");
                return;
            }
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // events are small and must leave now
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
            ev.data.fd = fd;
            if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) {
                std::perror("epoll_ctl");
                ::close(fd);
                continue;
            }
            if (connections_.size() <= static_cast<std::size_t>(fd))
                connections_.resize(static_cast<std::size_t>(fd) + 1);
            connections_[static_cast<std::size_t>(fd)] = std::make_unique<Connection>();
            connections_[static_cast<std::size_t>(fd)]->fd = fd;
        }
    }

    void read_all(Connection& c)
    {
        char buffer[16 * 1024];
        for (;;) {
            const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                // A subscriber has nothing more to say; whatever it sends is dropped.
                if (c.topic == nullptr)
                    c.input.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            if (n < 0 || c.topic != nullptr)
                return close_later(c);
            // EOF from a client that may have half-closed after its requests:
            // answer what it sent, then close.
            handle_requests(c);
            c.close_after_write = true;
            if (c.pending.empty())
                close_later(c);
            return;
        }
        handle_requests(c);
    }

    void handle_requests(Connection& c)
    {
        std::size_t offset = 0;
        while (!c.closing && !c.close_after_write && c.topic == nullptr) {
            Request request;
            std::size_t consumed = 0;
            const auto result = parse_request(std::string_view(c.input).substr(offset), request, consumed);
            if (result == ParseResult::incomplete)
                break;
            if (result != ParseResult::complete) {
                const std::string_view status = result == ParseResult::head_too_large ? "431 Request Header Fields Too Large"
                                                : result == ParseResult::body_too_large ? "413 Content Too Large"
                                                                                        : "400 Bad Request";
                respond(c, status, "bad request\n", false);
                break;
            }
            offset += consumed;
            route(c, request);
        }
        c.input.erase(0, offset);
    }

    void route(Connection& c, const Request& request)
    {
        if (request.method == "GET") {
            if (auto name = topic_of(request.target, "/sub/"); !name.empty())
                return subscribe(c, name);
        } else if (request.method == "POST") {
            if (auto name = topic_of(request.target, "/pub/"); !name.empty())
                return publish(c, name, request);
        }
        respond(c, "404 Not Found", "not found\n", request.keep_alive);
    }

    void subscribe(Connection& c, std::string_view name)
    {
        // Registered before the head goes out: every event published after the
        // client sees the head reaches it.
        Topic& topic = find_topic(name);
        c.topic = &topic;
        c.index_in_topic = topic.subscribers.size();
        topic.subscribers.push_back(&c);
        c.input.clear();
        write(c, "HTTP/1.1 200 OK\r\n"
                 "Content-Type: text/event-stream\r\n"
                 "Cache-Control: no-store\r\n"
                 "Transfer-Encoding: chunked\r\n"
                 "\r\n");
    }

    void publish(Connection& publisher, std::string_view name, const Request& request)
    {
        Topic& topic = find_topic(name);
        const std::uint64_t id = ++topic.last_id;
        respond(publisher, "200 OK", std::to_string(id) + "\n", request.keep_alive);

        // id: N\ndata: line\n(data: line\n)*\n, per WHATWG HTML 9.2.6: every
        // line of the body gets its own data field.
        std::string payload = "id: " + std::to_string(id) + "\ndata: ";
        const std::string_view body = request.body;
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (body[i] == '\r' || body[i] == '\n') {
                if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n')
                    ++i;
                payload += "\ndata: ";
            } else {
                payload += body[i];
            }
        }
        payload += "\n\n";

        char size[20];
        const auto size_end = std::to_chars(size, size + sizeof size, payload.size(), 16).ptr;
        frame_.assign(size, size_end);
        frame_ += "\r\n";
        frame_ += payload;
        frame_ += "\r\n";

        // Backwards, because a failed write removes that subscriber by moving
        // the last one into its slot, and the last one has had its turn.
        for (std::size_t i = topic.subscribers.size(); i-- > 0;)
            write(*topic.subscribers[i], frame_);
    }

    Topic& find_topic(std::string_view name)
    {
        if (auto found = topics_.find(name); found != topics_.end())
            return found->second;
        return topics_.emplace(std::string(name), Topic{}).first->second;
    }

    void respond(Connection& c, std::string_view status, std::string_view body, bool keep_alive)
    {
        std::string response = "HTTP/1.1 ";
        response += status;
        response += "\r\nContent-Type: text/plain\r\nContent-Length: ";
        response += std::to_string(body.size());
        response += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
        response += body;
        if (!keep_alive)
            c.close_after_write = true;
        write(c, response);
    }

    // One send() per call; what it does not take waits in `pending` for EPOLLOUT.
    void write(Connection& c, std::string_view data)
    {
        if (c.closing)
            return;
        if (!c.pending.empty()) {
            c.pending += data;
            return;
        }
        ssize_t n;
        do
            n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return close_later(c);
            n = 0;
        }
        if (static_cast<std::size_t>(n) < data.size())
            c.pending.assign(data.substr(static_cast<std::size_t>(n)));
        else if (c.close_after_write)
            close_later(c);
    }

    void flush(Connection& c)
    {
        std::size_t sent = 0;
        while (sent < c.pending.size()) {
            const ssize_t n = ::send(c.fd, c.pending.data() + sent, c.pending.size() - sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                return close_later(c);
            }
            sent += static_cast<std::size_t>(n);
        }
        c.pending.erase(0, sent);
        if (c.pending.empty() && c.close_after_write)
            close_later(c);
    }

    void close_later(Connection& c)
    {
        if (c.closing)
            return;
        c.closing = true;
        if (c.topic != nullptr) {
            // Swap-and-pop: order among subscribers does not matter.
            auto& subscribers = c.topic->subscribers;
            subscribers[c.index_in_topic] = subscribers.back();
            subscribers[c.index_in_topic]->index_in_topic = c.index_in_topic;
            subscribers.pop_back();
            c.topic = nullptr;
        }
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
        to_close_.push_back(c.fd);
    }

    int listener_;
    int signals_;
    int epoll_;
    std::vector<std::unique_ptr<Connection>> connections_; // indexed by fd
    std::unordered_map<std::string, Topic, TopicNameHash, std::equal_to<>> topics_;
    std::vector<int> to_close_;
    std::string frame_;
};

int usage(std::FILE* out, int status)
{
    std::fputs("usage: ssekit-epoll-floor --port N\n"
               "Serves GET /sub/{topic} (SSE) and POST /pub/{topic} on 127.0.0.1.\n",
               out);
    return status;
}

} // namespace

int main(int argc, char** argv)
{
    int port = -1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        std::string_view value;
        if (arg == "--help")
            return usage(stdout, 0);
        if (arg == "--port" && i + 1 < argc)
            value = argv[++i];
        else if (arg.starts_with("--port="))
            value = arg.substr(7);
        else
            return usage(stderr, 2);
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
        if (ec != std::errc{} || ptr != value.data() + value.size() || port < 0 || port > 65535)
            return usage(stderr, 2);
    }
    if (port < 0)
        return usage(stderr, 2);

    // 10,000+ subscribers need as many descriptors as the hard limit allows.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    const int signals = ::signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
        ::listen(listener, SOMAXCONN) < 0) {
        std::perror("listen");
        return 1;
    }
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);

    const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = listener;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &ev);
    ev.events = EPOLLIN;
    ev.data.fd = signals;
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, signals, &ev);

    std::printf("listening on http://127.0.0.1:%u\n", static_cast<unsigned>(ntohs(address.sin_port)));
    std::fflush(stdout);

    Server(listener, signals, epoll).run();
    return 0;
}
