// GrpcFixture: the ServiceFixture (a temporary directory, a DB, svc_) plus a
// GrpcServer over svc_ on 127.0.0.1 with a port of the kernel's choosing,
// and stub_, a client of it. StartGrpc(options) starts them (from SetUp,
// after ServiceFixture::SetUp()); TearDown stops the server before the
// service goes.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "api/grpc/grpc_server.h"
#include "proximadb/v1/proximadb.grpc.pb.h"
#include "util/service_fixture.h"

namespace proximadb::grpc_api {

class GrpcFixture : public test_util::ServiceFixture {
 protected:
  // Binds 127.0.0.1, port 0 (whatever `o` says about them).
  void StartGrpc(GrpcOptions o) {
    o.bind_address = "127.0.0.1";
    o.port = 0;
    auto server = GrpcServer::Start(o, svc_.get());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    stub_ = v1::ProximaDB::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                            grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_.reset();
    ServiceFixture::TearDown();
  }

  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<v1::ProximaDB::Stub> stub_;
};

}  // namespace proximadb::grpc_api
