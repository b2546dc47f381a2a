#ifndef SSEKIT_SSEKIT_HPP
#define SSEKIT_SSEKIT_HPP

#include <ssekit/broadcast.hpp>
#include <ssekit/client.hpp>
#include <ssekit/cors.hpp>
#include <ssekit/delay.hpp>
#include <ssekit/error.hpp>
#include <ssekit/event.hpp>
#include <ssekit/event_stream_parser.hpp>
#include <ssekit/features.hpp>
#include <ssekit/request.hpp>
#include <ssekit/response.hpp>
#include <ssekit/routing.hpp>
#include <ssekit/server.hpp>
#include <ssekit/session.hpp>
#include <ssekit/stream_token.hpp>
#include <ssekit/version.hpp>

#endif
