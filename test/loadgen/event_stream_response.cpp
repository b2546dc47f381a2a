// Tests of bench/loadgen/event_stream_response.hpp: Beast's parser framing
// the response, ssekit's event-stream parser reading the body, wherever the
// reads split it.
#include "event_stream_response.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

using ssekit::loadgen::EventStreamResponse;
namespace data = boost::unit_test::data;

namespace {

constexpr std::string_view chunked_head = "HTTP/1.1 200 OK\r\n"
                                          "Content-Type: text/event-stream\r\n"
                                          "Cache-Control: no-store\r\n"
                                          "Transfer-Encoding: chunked\r\n"
                                          "\r\n";

constexpr std::string_view close_head = "HTTP/1.1 200 OK\r\n"
                                        "Content-Type: text/event-stream; charset=utf-8\r\n"
                                        "Connection: close\r\n"
                                        "\r\n";

std::string chunk(std::string_view body)
{
    char size[32];
    std::snprintf(size, sizeof size, "%zx", body.size());
    return std::string(size) + "\r\n" + std::string(body) + "\r\n";
}

// Events split across chunks, a comment, id and event lines, a heartbeat.
const std::vector<std::string> sample_chunks{
    ": hello\n\n",
    "id: 1\ndata: 0 0 5 xx\n\n",
    "event: tick\nda",
    "ta: second\n",
    "\n: heartbeat\n\nretry: 100\ndata: third\n\n",
};
const std::vector<std::string> sample_events{"0 0 5 xx", "second", "third"};

std::string chunked_sample()
{
    std::string stream(chunked_head);
    for (const auto& body : sample_chunks)
        stream += chunk(body);
    return stream;
}

// A response and the data of the events it yielded; stays where it was made.
struct Reader {
    std::vector<std::string> events;
    EventStreamResponse response{[this](const ssekit::ReceivedEvent& event) { events.push_back(event.data); }};

    Reader() = default;
    Reader(const Reader&) = delete;

    /// Reads `pieces` in order; the first error, if any.
    boost::system::error_code read(const std::vector<std::string_view>& pieces)
    {
        for (std::string_view piece : pieces)
            if (auto ec = response.read(piece))
                return ec;
        return {};
    }
};

std::vector<std::string_view> split(std::string_view stream, std::size_t at)
{
    return {stream.substr(0, at), stream.substr(at)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_stream_response)

BOOST_AUTO_TEST_CASE(a_chunked_stream_read_whole_yields_its_events)
{
    Reader reader;
    BOOST_TEST(!reader.read({chunked_sample()}));
    BOOST_TEST(reader.events == sample_events, boost::test_tools::per_element());
    BOOST_TEST(reader.response.head_received());
    BOOST_TEST(reader.response.status() == 200u);
    BOOST_TEST(reader.response.is_event_stream());
    BOOST_TEST(!reader.response.ended());
}

BOOST_AUTO_TEST_CASE(a_chunked_stream_split_at_every_point_yields_the_same_events)
{
    const std::string stream = chunked_sample();
    for (std::size_t at = 0; at <= stream.size(); ++at) {
        Reader reader;
        BOOST_TEST(!reader.read(split(stream, at)), "split at " << at);
        BOOST_TEST(reader.events == sample_events, "split at " << at);
        BOOST_TEST(reader.response.head_received(), "split at " << at);
    }
}

BOOST_AUTO_TEST_CASE(a_chunked_stream_read_byte_by_byte_yields_the_same_events)
{
    const std::string stream = chunked_sample();
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream.size(); ++i)
        bytes.push_back(std::string_view(stream).substr(i, 1));
    Reader reader;
    BOOST_TEST(!reader.read(bytes));
    BOOST_TEST(reader.events == sample_events, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_last_chunk_ends_the_stream)
{
    const std::string stream = chunked_sample() + "0\r\n\r\n";
    Reader reader;
    BOOST_TEST(!reader.read({stream}));
    BOOST_TEST(reader.events.size() == 3u);
    BOOST_TEST(reader.response.ended());
}

BOOST_AUTO_TEST_CASE(a_stream_ended_by_the_close_yields_its_events)
{
    std::string body;
    for (const auto& piece : sample_chunks)
        body += piece;
    const std::string stream = std::string(close_head) + body + "data: unfinished";
    for (std::size_t at = 0; at <= stream.size(); at += 7) {
        Reader reader;
        BOOST_TEST(!reader.read(split(stream, at)));
        BOOST_TEST(!reader.response.ended());
        BOOST_TEST(!reader.response.read_eof());
        BOOST_TEST(reader.response.ended());
        // The event without its blank line is dropped, as a browser does.
        BOOST_TEST(reader.events == sample_events, "split at " << at);
    }
}

BOOST_DATA_TEST_CASE(cr_lf_and_crlf_line_ends_all_end_lines,
                     data::make(std::vector<std::string>{"\n", "\r", "\r\n"}), line_end)
{
    const std::string body = ": comment" + line_end + "id: 7" + line_end + "event: update" + line_end +
                             "data: first" + line_end + line_end + "data: second" + line_end + line_end;
    const std::string stream = std::string(chunked_head) + chunk(body.substr(0, 11)) + chunk(body.substr(11));
    for (std::size_t at = 0; at <= stream.size(); ++at) {
        Reader reader;
        BOOST_TEST(!reader.read(split(stream, at)));
        BOOST_TEST(reader.events == (std::vector<std::string>{"first", "second"}), "split at " << at);
    }
}

BOOST_AUTO_TEST_CASE(a_status_other_than_200_is_reported_and_its_body_skipped)
{
    const std::string stream = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Content-Type: text/event-stream\r\n"
                               "Content-Length: 14\r\n"
                               "\r\n"
                               "data: refused\n";
    Reader reader;
    BOOST_TEST(!reader.read(split(stream, 20)));
    BOOST_TEST(reader.response.head_received());
    BOOST_TEST(reader.response.status() == 503u);
    BOOST_TEST(reader.events.empty());
    BOOST_TEST(reader.response.ended());
}

BOOST_AUTO_TEST_CASE(a_200_that_is_not_an_event_stream_is_reported)
{
    const std::string stream = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\ndata: hello\n\n";
    Reader reader;
    BOOST_TEST(!reader.read({stream}));
    BOOST_TEST(reader.response.status() == 200u);
    BOOST_TEST(!reader.response.is_event_stream());
    BOOST_TEST(reader.events.empty());
}

BOOST_AUTO_TEST_CASE(nothing_is_reported_before_the_head_is_whole)
{
    Reader cut_in_the_status_line;
    BOOST_TEST(!cut_in_the_status_line.read({chunked_head.substr(0, 10)}));
    BOOST_TEST(!cut_in_the_status_line.response.head_received());
    BOOST_TEST(cut_in_the_status_line.response.status() == 0u);
    Reader cut_before_the_last_byte;
    BOOST_TEST(!cut_before_the_last_byte.read({chunked_head.substr(0, chunked_head.size() - 1)}));
    BOOST_TEST(!cut_before_the_last_byte.response.head_received());
}

BOOST_AUTO_TEST_CASE(a_malformed_response_is_an_error)
{
    Reader reader;
    BOOST_TEST(reader.read({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}).failed());
}

BOOST_AUTO_TEST_SUITE_END()
