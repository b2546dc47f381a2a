#ifndef SSEKIT_LIB_SERVER_TLS_CONTEXT_HPP
#define SSEKIT_LIB_SERVER_TLS_CONTEXT_HPP

#include <ssekit/server.hpp>

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <optional>

namespace ssekit::detail {

/// A server context for `files`: TLS 1.2 and later, the certificate chain
/// and the key read now.
/// @throws boost::system::system_error naming the file that failed.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const TlsOptions& files);

/// The TLS context a server's new connections are made from, and the files
/// it was read from. Replacing it leaves open connections alone: each holds
/// the context it was made from.
class ServerTlsContext {
public:
    /// The context a connection accepted now is made from (null before the
    /// first TLS listener); any thread.
    std::shared_ptr<boost::asio::ssl::context> current() const;

    /// Serves `context` from now on; reload() reads `files` again, if given.
    void replace(std::shared_ptr<boost::asio::ssl::context> context, std::optional<TlsOptions> files);
    /// Reads the files again; on failure nothing changes.
    /// @throws std::logic_error when there are no files (no TLS listener, or
    /// its context was given).
    void reload();

private:
    std::mutex change_mutex_;  // one change at a time, held while a reload reads files
    mutable std::mutex mutex_; // context_, which accepts read meanwhile
    std::shared_ptr<boost::asio::ssl::context> context_;
    std::optional<TlsOptions> files_; // under change_mutex_
};

} // namespace ssekit::detail

#endif
