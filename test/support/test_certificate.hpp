#ifndef SSEKIT_TEST_SUPPORT_TEST_CERTIFICATE_HPP
#define SSEKIT_TEST_SUPPORT_TEST_CERTIFICATE_HPP

// Self-signed certificates made at test time with OpenSSL's API (what
// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
// -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1` makes),
// in a temporary folder that goes with the test.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace ssekit::test {

/// A certificate for 127.0.0.1 and its key, as PEM files.
struct TestCertificate {
    std::filesystem::path certificate_file;
    std::filesystem::path key_file;
    std::string pem; // the certificate, for a client's trust store
    std::string der; // the certificate, to compare with what a client received
};

namespace detail {

template <class T, void (*Free)(T*)>
struct OpenSslFree {
    void operator()(T* p) const noexcept { Free(p); }
};
template <class T, void (*Free)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<T, Free>>;

inline void require(bool ok, const char* what)
{
    if (!ok)
        throw std::runtime_error(std::string("making a test certificate: ") + what);
}

inline std::string to_pem(X509* certificate)
{
    OpenSslPtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
    require(bio && PEM_write_bio_X509(bio.get(), certificate) == 1, "PEM_write_bio_X509");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

} // namespace detail

/// The DER bytes of `certificate` (as an ssl::stream's peer certificate).
inline std::string der_of(X509* certificate)
{
    unsigned char* data = nullptr;
    const int size = i2d_X509(certificate, &data);
    detail::require(size > 0, "i2d_X509");
    std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    OPENSSL_free(data);
    return der;
}

/// A new P-256 key and a self-signed certificate for IP 127.0.0.1, valid
/// for a day, written to `certificate_file` and `key_file` (replaced).
inline TestCertificate make_test_certificate(const std::filesystem::path& certificate_file,
                                             const std::filesystem::path& key_file)
{
    using detail::OpenSslPtr;
    using detail::require;
    OpenSslPtr<EVP_PKEY, EVP_PKEY_free> key(EVP_EC_gen("P-256"));
    require(key != nullptr, "EVP_EC_gen");

    OpenSslPtr<X509, X509_free> certificate(X509_new());
    require(certificate != nullptr, "X509_new");
    static std::uint32_t serial = 1;
    require(X509_set_version(certificate.get(), X509_VERSION_3) == 1, "X509_set_version");
    require(ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), static_cast<long>(serial++)) == 1, "serial");
    require(X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -60) != nullptr, "notBefore");
    require(X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 24 * 60 * 60) != nullptr, "notAfter");
    require(X509_set_pubkey(certificate.get(), key.get()) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(certificate.get());
    require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0) == 1,
            "CN");
    require(X509_set_issuer_name(certificate.get(), name) == 1, "issuer");

    X509V3_CTX extensions;
    X509V3_set_ctx_nodb(&extensions);
    X509V3_set_ctx(&extensions, certificate.get(), certificate.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                              std::pair{NID_subject_key_identifier, "hash"},
                              // Tells apart certificates of the same name in one trust store.
                              std::pair{NID_authority_key_identifier, "keyid:always"},
                              std::pair{NID_subject_alt_name, "IP:127.0.0.1"}}) {
        OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free> extension(
            X509V3_EXT_conf_nid(nullptr, &extensions, nid, value));
        require(extension && X509_add_ext(certificate.get(), extension.get(), -1) == 1, value);
    }
    require(X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

    TestCertificate made{certificate_file, key_file, detail::to_pem(certificate.get()), der_of(certificate.get())};
    {
        OpenSslPtr<BIO, BIO_free_all> out(BIO_new_file(key_file.c_str(), "w"));
        require(out && PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
                "writing the key");
    }
    {
        OpenSslPtr<BIO, BIO_free_all> out(BIO_new_file(certificate_file.c_str(), "w"));
        require(out && PEM_write_bio_X509(out.get(), certificate.get()) == 1, "writing the certificate");
    }
    return made;
}

/// A folder of its own under the temporary directory, removed with it.
class TemporaryFolder {
public:
    TemporaryFolder()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "ssekit-test-XXXXXX").string();
        detail::require(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
        path_ = pattern;
    }
    ~TemporaryFolder()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TemporaryFolder(const TemporaryFolder&) = delete;
    TemporaryFolder& operator=(const TemporaryFolder&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

} // namespace ssekit::test

#endif
