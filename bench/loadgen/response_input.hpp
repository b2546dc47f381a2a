#ifndef SSEKIT_BENCH_LOADGEN_RESPONSE_INPUT_HPP
#define SSEKIT_BENCH_LOADGEN_RESPONSE_INPUT_HPP

// Beast's parser takes a head or a chunk-size line only whole: when a read
// ends inside one, put() leaves those bytes unused and they must be handed
// in again with the next read. This keeps them, so a connection can read
// into one buffer shared by every connection.

#include <boost/beast/http/basic_parser.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace ssekit::loadgen {

/** Hands `bytes` to `parser` until they are used up, the parser needs more,
    or the message is done (later bytes are dropped: we never pipeline).

    @param pending The bytes the parser left unused last time; updated.
    @return The parser's error, never `http::error::need_more`.
*/
boost::system::error_code put_response_bytes(boost::beast::http::basic_parser<false>& parser, std::string& pending,
                                             std::string_view bytes);

/** Tells `parser` that the connection ended.
    @return Empty when that completes the message (a body ended by the close).
*/
boost::system::error_code put_response_eof(boost::beast::http::basic_parser<false>& parser);

} // namespace ssekit::loadgen

#endif
