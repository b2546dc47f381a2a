#include "server_tls_context.hpp"

#include <boost/system/system_error.hpp>

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace ssekit::detail {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

std::shared_ptr<ssl::context> make_server_tls_context(const TlsOptions& files)
{
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    // Older versions are broken or deprecated (RFC 8996).
    ::SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    context->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use);
    error_code ec;
    context->use_certificate_chain_file(files.certificate_chain_file, ec);
    if (ec)
        throw boost::system::system_error(ec, "ssekit: TLS certificate chain " + files.certificate_chain_file);
    // OpenSSL also checks here that the key belongs to the certificate.
    context->use_private_key_file(files.private_key_file, ssl::context::pem, ec);
    if (ec)
        throw boost::system::system_error(ec, "ssekit: TLS private key " + files.private_key_file);
    return context;
}

std::shared_ptr<ssl::context> ServerTlsContext::current() const
{
    std::lock_guard lock(mutex_);
    return context_;
}

void ServerTlsContext::replace(std::shared_ptr<ssl::context> context, std::optional<TlsOptions> files)
{
    std::lock_guard changing(change_mutex_);
    files_ = std::move(files);
    std::lock_guard lock(mutex_);
    // The old context goes when its last connection does.
    context_ = std::move(context);
}

void ServerTlsContext::reload()
{
    std::lock_guard changing(change_mutex_);
    if (!files_)
        throw std::logic_error("ssekit::Server::reload_tls: no TLS listener was given certificate files");
    auto context = make_server_tls_context(*files_);
    std::lock_guard lock(mutex_);
    context_ = std::move(context);
}

} // namespace ssekit::detail
