// TLS on both ports against the real server: a self-signed certificate is
// made in the test (OpenSSL C API, no `openssl` tool needed), the server is
// started with it, and HTTPS and gRPC-over-TLS clients that trust it get
// through while plaintext clients on the same ports fail. Bad TLS
// configuration is a clear startup error.
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "integration/raw_http.h"
#include "integration/server_process.h"
#include "proximadb/v1/proximadb.grpc.pb.h"

namespace proximadb::testing {
namespace {

namespace pb = ::proximadb::v1;
namespace fs = std::filesystem;

struct CertPair {
  std::string cert_pem;
  std::string key_pem;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

// A P-256 key and a self-signed certificate for CN=localhost with
// subjectAltName DNS:localhost, IP:127.0.0.1, valid for a day.
CertPair MakeSelfSigned() {
  CertPair out;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
        std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  out.cert_pem = BioText(cb);
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = BioText(kb);
  BIO_free(cb);
  BIO_free(kb);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pdb_tls_it_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    certs_ = MakeSelfSigned();
    ASSERT_NE(certs_.cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
    ASSERT_NE(certs_.key_pem.find("PRIVATE KEY"), std::string::npos);
    WriteFile(root_ + "/cert.pem", certs_.cert_pem);
    WriteFile(root_ + "/key.pem", certs_.key_pem);
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << server_.log();
    server_.Stop();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::vector<std::string> Args() const {
    return {"--rest-port",   "0",      "--data-dir",
            root_ + "/data", "--bind", "127.0.0.1"};
  }
  bool StartTls() {
    return server_.Start(PDB_SERVER_BINARY, Args(), root_ + "/server.log",
                         {"PROXIMADB_API__TLS_CERT_FILE=" + root_ + "/cert.pem",
                          "PROXIMADB_API__TLS_KEY_FILE=" + root_ + "/key.pem"});
  }

  std::string root_;
  CertPair certs_;
  ServerProcess server_;
};

TEST_F(TlsTest, HttpsWorksAndPlainHttpFails) {
  ASSERT_TRUE(StartTls()) << server_.log();
  RawReply ok =
      RawRequest(server_.port(), "GET", "/health", "", {}, certs_.cert_pem);
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_NE(ok.body.find("healthy"), std::string::npos);
  RawReply created =
      RawRequest(server_.port(), "POST", "/api/v1/collections",
                 R"({"name":"docs","dimension":3})", {}, certs_.cert_pem);
  EXPECT_EQ(created.status, 201u) << created.body;

  // Plain HTTP on the TLS port gets no HTTP answer.
  RawReply plain = RawRequest(server_.port(), "GET", "/health");
  EXPECT_EQ(plain.status, 0u) << plain.body;

  // A client that does not trust the certificate refuses the server.
  const CertPair other = MakeSelfSigned();
  RawReply untrusted =
      RawRequest(server_.port(), "GET", "/health", "", {}, other.cert_pem);
  EXPECT_EQ(untrusted.status, 0u) << untrusted.body;

  // The server still serves after those failed handshakes.
  EXPECT_EQ(
      RawRequest(server_.port(), "GET", "/health", "", {}, certs_.cert_pem)
          .status,
      200u);
}

TEST_F(TlsTest, GrpcOverTlsWorksAndPlaintextFails) {
  ASSERT_TRUE(StartTls()) << server_.log();
  const std::string target = "127.0.0.1:" + std::to_string(server_.grpc_port());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = certs_.cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto secure = pb::ProximaDB::NewStub(
      grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), args));
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    pb::HealthResponse out;
    grpc::Status s = secure->Health(&ctx, pb::HealthRequest(), &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.status(), "healthy");
  }
  auto plain = pb::ProximaDB::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  pb::HealthResponse out;
  grpc::Status s = plain->Health(&ctx, pb::HealthRequest(), &out);
  EXPECT_FALSE(s.ok());
}

TEST_F(TlsTest, MissingCertFileIsAStartupError) {
  EXPECT_FALSE(
      server_.Start(PDB_SERVER_BINARY, Args(), root_ + "/server.log",
                    {"PROXIMADB_API__TLS_CERT_FILE=" + root_ + "/missing.pem",
                     "PROXIMADB_API__TLS_KEY_FILE=" + root_ + "/key.pem"},
                    /*timeout_s=*/30));
  ASSERT_TRUE(WIFEXITED(server_.exit_status()));
  EXPECT_EQ(WEXITSTATUS(server_.exit_status()), 1);
  EXPECT_NE(server_.log().find("cannot read TLS certificate file '" + root_ +
                               "/missing.pem'"),
            std::string::npos)
      << server_.log();
}

TEST_F(TlsTest, CertWithoutKeyIsAStartupError) {
  EXPECT_FALSE(server_.Start(
      PDB_SERVER_BINARY, Args(), root_ + "/server.log",
      {"PROXIMADB_API__TLS_CERT_FILE=" + root_ + "/cert.pem"}, 30));
  EXPECT_NE(server_.log().find("tls_cert_file and tls_key_file must be set "
                               "together"),
            std::string::npos)
      << server_.log();
}

TEST_F(TlsTest, MismatchedKeyIsAStartupError) {
  WriteFile(root_ + "/other-key.pem", MakeSelfSigned().key_pem);
  EXPECT_FALSE(
      server_.Start(PDB_SERVER_BINARY, Args(), root_ + "/server.log",
                    {"PROXIMADB_API__TLS_CERT_FILE=" + root_ + "/cert.pem",
                     "PROXIMADB_API__TLS_KEY_FILE=" + root_ + "/other-key.pem"},
                    30));
  EXPECT_NE(server_.log().find("does not match the certificate"),
            std::string::npos)
      << server_.log();
}

}  // namespace
}  // namespace proximadb::testing
