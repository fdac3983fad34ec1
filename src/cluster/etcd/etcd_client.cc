#include "cluster/etcd/etcd_client.h"

#include <grpcpp/grpcpp.h>

#include <etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h>
#include <algorithm>

namespace proximadb::cluster {

namespace pb = etcdserverpb;
using Clock = std::chrono::steady_clock;

// How long one attempt waits for a channel to (re)connect before trying
// the next endpoint.
constexpr std::chrono::milliseconds kConnectSlice{250};

struct EtcdClient::Endpoint {
  size_t index = 0;
  std::string address;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> kv;
  std::unique_ptr<pb::Lease::Stub> lease;
  std::unique_ptr<pb::Watch::Stub> watch;
};

namespace {

// gRPC takes system_clock deadlines; ours are steady_clock.
void SetDeadline(grpc::ClientContext* ctx, Clock::time_point deadline) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::duration_cast<std::chrono::microseconds>(
                        deadline - Clock::now()));
}

StatusCode CodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return StatusCode::kOk;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
      return StatusCode::kUnavailable;
    case grpc::StatusCode::NOT_FOUND:
      return StatusCode::kNotFound;
    case grpc::StatusCode::OUT_OF_RANGE:
      return StatusCode::kOutOfRange;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return StatusCode::kInvalidArgument;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return StatusCode::kResourceExhausted;
    case grpc::StatusCode::ALREADY_EXISTS:
      return StatusCode::kAlreadyExists;
    default:
      return StatusCode::kInternal;
  }
}

Status FromGrpc(const grpc::Status& s, const std::string& what,
                const std::string& endpoint) {
  if (s.ok()) return Status::OK();
  return Status(CodeFor(s.error_code()),
                "etcd: " + what + " at " + endpoint + ": " + s.error_message());
}

KeyValue FromPb(const mvccpb::KeyValue& kv) {
  KeyValue out;
  out.key = kv.key();
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.version = kv.version();
  out.lease = kv.lease();
  return out;
}

void ToPb(const Compare& c, pb::Compare* out) {
  out->set_key(c.key);
  if (c.prefix) out->set_range_end(EtcdClient::PrefixEnd(c.key));
  switch (c.op) {
    case Compare::Op::kEqual:
      out->set_result(pb::Compare::EQUAL);
      break;
    case Compare::Op::kNotEqual:
      out->set_result(pb::Compare::NOT_EQUAL);
      break;
    case Compare::Op::kLess:
      out->set_result(pb::Compare::LESS);
      break;
    case Compare::Op::kGreater:
      out->set_result(pb::Compare::GREATER);
      break;
  }
  switch (c.target) {
    case Compare::Target::kValue:
      out->set_target(pb::Compare::VALUE);
      out->set_value(c.value);
      break;
    case Compare::Target::kVersion:
      out->set_target(pb::Compare::VERSION);
      out->set_version(c.number);
      break;
    case Compare::Target::kCreateRevision:
      out->set_target(pb::Compare::CREATE);
      out->set_create_revision(c.number);
      break;
    case Compare::Target::kModRevision:
      out->set_target(pb::Compare::MOD);
      out->set_mod_revision(c.number);
      break;
    case Compare::Target::kLease:
      out->set_target(pb::Compare::LEASE);
      out->set_lease(c.number);
      break;
  }
}

void ToPb(const TxnOp& op, pb::RequestOp* out) {
  switch (op.kind) {
    case TxnOp::Kind::kGet: {
      auto* r = out->mutable_request_range();
      r->set_key(op.key);
      if (op.prefix) r->set_range_end(EtcdClient::PrefixEnd(op.key));
      break;
    }
    case TxnOp::Kind::kPut: {
      auto* p = out->mutable_request_put();
      p->set_key(op.key);
      p->set_value(op.value);
      p->set_lease(op.lease);
      break;
    }
    case TxnOp::Kind::kDelete: {
      auto* d = out->mutable_request_delete_range();
      d->set_key(op.key);
      if (op.prefix) d->set_range_end(EtcdClient::PrefixEnd(op.key));
      break;
    }
  }
}

}  // namespace

// ---- Compare / TxnOp builders ----

Compare Compare::Value(std::string key, Op op, std::string value) {
  Compare c;
  c.target = Target::kValue;
  c.op = op;
  c.key = std::move(key);
  c.value = std::move(value);
  return c;
}
Compare Compare::Version(std::string key, Op op, int64_t version) {
  Compare c;
  c.target = Target::kVersion;
  c.op = op;
  c.key = std::move(key);
  c.number = version;
  return c;
}
Compare Compare::CreateRevision(std::string key, Op op, int64_t revision) {
  Compare c = Version(std::move(key), op, revision);
  c.target = Target::kCreateRevision;
  return c;
}
Compare Compare::ModRevision(std::string key, Op op, int64_t revision) {
  Compare c = Version(std::move(key), op, revision);
  c.target = Target::kModRevision;
  return c;
}
Compare Compare::Lease(std::string key, Op op, int64_t lease) {
  Compare c = Version(std::move(key), op, lease);
  c.target = Target::kLease;
  return c;
}

TxnOp TxnOp::Get(std::string key) {
  TxnOp op;
  op.kind = Kind::kGet;
  op.key = std::move(key);
  return op;
}
TxnOp TxnOp::GetPrefix(std::string prefix) {
  TxnOp op = Get(std::move(prefix));
  op.prefix = true;
  return op;
}
TxnOp TxnOp::Put(std::string key, std::string value, int64_t lease) {
  TxnOp op;
  op.kind = Kind::kPut;
  op.key = std::move(key);
  op.value = std::move(value);
  op.lease = lease;
  return op;
}
TxnOp TxnOp::Delete(std::string key) {
  TxnOp op;
  op.kind = Kind::kDelete;
  op.key = std::move(key);
  return op;
}
TxnOp TxnOp::DeletePrefix(std::string prefix) {
  TxnOp op = Delete(std::move(prefix));
  op.prefix = true;
  return op;
}

// ---- EtcdClient ----

std::string EtcdClient::PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

EtcdClient::EtcdClient(EtcdOptions options) : options_(std::move(options)) {}
EtcdClient::~EtcdClient() = default;

Result<std::unique_ptr<EtcdClient>> EtcdClient::Open(
    const EtcdOptions& options) {
  if (options.endpoints.empty()) {
    return Status::InvalidArgument("etcd: no endpoints");
  }
  std::unique_ptr<EtcdClient> client(new EtcdClient(options));
  grpc::ChannelArguments args;
  // Back on a restarted etcd within a second, not after minutes of backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // A stream to an etcd that stopped answering (paused, cut off) breaks
  // instead of waiting forever. etcd refuses pings more often than 5 s.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  // Each endpoint its own connection, even to one address.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  for (size_t i = 0; i < options.endpoints.size(); ++i) {
    auto ep = std::make_unique<Endpoint>();
    ep->index = i;
    ep->address = options.endpoints[i];
    ep->channel = grpc::CreateCustomChannel(
        ep->address, grpc::InsecureChannelCredentials(), args);
    ep->kv = pb::KV::NewStub(ep->channel);
    ep->lease = pb::Lease::NewStub(ep->channel);
    ep->watch = pb::Watch::NewStub(ep->channel);
    client->endpoints_.push_back(std::move(ep));
  }
  // Dial the endpoints in turn, each for its share of dial_timeout (a
  // refused one fails at once, and the waiting gRPC call drives the
  // connection: nothing else polls it).
  const std::chrono::milliseconds share =
      options.dial_timeout / static_cast<int64_t>(client->endpoints_.size());
  for (auto& ep : client->endpoints_) {
    const std::chrono::system_clock::time_point deadline =
        std::chrono::system_clock::now() + share;
    if (ep->channel->WaitForConnected(deadline)) {
      client->current_ = ep->index;
      return client;
    }
  }
  return Status::Unavailable("etcd: no endpoint of " + client->describe() +
                             " accepted a connection within " +
                             std::to_string(options.dial_timeout.count()) +
                             " ms");
}

std::string EtcdClient::describe() const {
  std::string out = "etcd://";
  for (size_t i = 0; i < options_.endpoints.size(); ++i) {
    if (i > 0) out += ",";
    out += options_.endpoints[i];
  }
  return out;
}

EtcdClient::Endpoint& EtcdClient::Current() {
  return *endpoints_[current_.load() % endpoints_.size()];
}

void EtcdClient::Advance(const Endpoint& failed) {
  size_t expected = failed.index;
  current_.compare_exchange_strong(expected,
                                   (failed.index + 1) % endpoints_.size());
}

bool EtcdClient::Connect(Endpoint& ep, Clock::time_point until) {
  if (ep.channel->GetState(true) == GRPC_CHANNEL_READY) return true;
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
      until - Clock::now());
  if (left.count() <= 0) return false;
  const std::chrono::system_clock::time_point system_until =
      std::chrono::system_clock::now() + left;
  return ep.channel->WaitForConnected(system_until);
}

Status EtcdClient::WithFailover(
    const std::string& what,
    const std::function<Status(Endpoint&, grpc::ClientContext&)>& call) {
  const auto deadline = Clock::now() + options_.request_timeout;
  size_t i = current_.load();
  while (true) {
    Endpoint& ep = *endpoints_[i % endpoints_.size()];
    // A channel that lost its connection reconnects only while someone
    // waits on it: wait a slice here, then try (it fails fast if down).
    Connect(ep, std::min(deadline, Clock::now() + kConnectSlice));
    grpc::ClientContext ctx;
    SetDeadline(&ctx, deadline);
    Status last = call(ep, ctx);
    if (last.code() != StatusCode::kUnavailable) {
      current_ = ep.index;
      return last;
    }
    if (Clock::now() >= deadline) return last;
    ++i;  // the next endpoint (the same one again when there is one)
  }
}

Result<RangeResult> EtcdClient::Get(const std::string& key) {
  RangeResult out;
  Status s = WithFailover("get", [&](Endpoint& ep, grpc::ClientContext& ctx) {
    pb::RangeRequest req;
    req.set_key(key);
    pb::RangeResponse resp;
    Status st = FromGrpc(ep.kv->Range(&ctx, req, &resp), "get", ep.address);
    if (!st.ok()) return st;
    out.revision = resp.header().revision();
    out.kvs.clear();
    for (const auto& kv : resp.kvs()) out.kvs.push_back(FromPb(kv));
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Result<RangeResult> EtcdClient::GetPrefix(const std::string& prefix) {
  RangeResult out;
  Status s =
      WithFailover("get prefix", [&](Endpoint& ep, grpc::ClientContext& ctx) {
        pb::RangeRequest req;
        req.set_key(prefix);
        req.set_range_end(PrefixEnd(prefix));
        pb::RangeResponse resp;
        Status st =
            FromGrpc(ep.kv->Range(&ctx, req, &resp), "get prefix", ep.address);
        if (!st.ok()) return st;
        out.revision = resp.header().revision();
        out.kvs.clear();
        for (const auto& kv : resp.kvs()) out.kvs.push_back(FromPb(kv));
        return Status::OK();
      });
  if (!s.ok()) return s;
  return out;
}

Result<int64_t> EtcdClient::Put(const std::string& key,
                                const std::string& value, int64_t lease) {
  int64_t revision = 0;
  Status s = WithFailover("put", [&](Endpoint& ep, grpc::ClientContext& ctx) {
    pb::PutRequest req;
    req.set_key(key);
    req.set_value(value);
    req.set_lease(lease);
    pb::PutResponse resp;
    Status st = FromGrpc(ep.kv->Put(&ctx, req, &resp), "put", ep.address);
    if (st.ok()) revision = resp.header().revision();
    return st;
  });
  if (!s.ok()) return s;
  return revision;
}

namespace {

Result<int64_t> DeleteRange(EtcdClient* client, const std::string& key,
                            bool prefix) {
  TxnRequest txn;
  txn.success.push_back(prefix ? TxnOp::DeletePrefix(key) : TxnOp::Delete(key));
  auto r = client->Txn(txn);
  if (!r.ok()) return r.status();
  return r->responses.empty() ? 0 : r->responses[0].deleted;
}

}  // namespace

Result<int64_t> EtcdClient::Delete(const std::string& key) {
  return DeleteRange(this, key, false);
}

Result<int64_t> EtcdClient::DeletePrefix(const std::string& prefix) {
  return DeleteRange(this, prefix, true);
}

Result<TxnResult> EtcdClient::Txn(const TxnRequest& request) {
  pb::TxnRequest req;
  for (const Compare& c : request.compares) ToPb(c, req.add_compare());
  for (const TxnOp& op : request.success) ToPb(op, req.add_success());
  for (const TxnOp& op : request.failure) ToPb(op, req.add_failure());
  TxnResult out;
  Status s = WithFailover("txn", [&](Endpoint& ep, grpc::ClientContext& ctx) {
    pb::TxnResponse resp;
    Status st = FromGrpc(ep.kv->Txn(&ctx, req, &resp), "txn", ep.address);
    if (!st.ok()) return st;
    out.succeeded = resp.succeeded();
    out.revision = resp.header().revision();
    out.responses.clear();
    for (const auto& r : resp.responses()) {
      TxnOpResult one;
      switch (r.response_case()) {
        case pb::ResponseOp::kResponseRange:
          one.kind = TxnOp::Kind::kGet;
          for (const auto& kv : r.response_range().kvs()) {
            one.kvs.push_back(FromPb(kv));
          }
          break;
        case pb::ResponseOp::kResponsePut:
          one.kind = TxnOp::Kind::kPut;
          break;
        case pb::ResponseOp::kResponseDeleteRange:
          one.kind = TxnOp::Kind::kDelete;
          one.deleted = r.response_delete_range().deleted();
          break;
        default:
          return Status::Internal("etcd: txn at " + ep.address +
                                  ": unexpected response kind");
      }
      out.responses.push_back(std::move(one));
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status EtcdClient::Compact(int64_t revision) {
  return WithFailover("compact", [&](Endpoint& ep, grpc::ClientContext& ctx) {
    pb::CompactionRequest req;
    req.set_revision(revision);
    req.set_physical(true);
    pb::CompactionResponse resp;
    return FromGrpc(ep.kv->Compact(&ctx, req, &resp), "compact", ep.address);
  });
}

Result<std::pair<int64_t, int64_t>> EtcdClient::GrantIdAndTtl(
    int64_t ttl_seconds) {
  std::pair<int64_t, int64_t> out;
  Status s =
      WithFailover("lease grant", [&](Endpoint& ep, grpc::ClientContext& ctx) {
        pb::LeaseGrantRequest req;
        req.set_ttl(ttl_seconds);
        pb::LeaseGrantResponse resp;
        Status st = FromGrpc(ep.lease->LeaseGrant(&ctx, req, &resp),
                             "lease grant", ep.address);
        if (!st.ok()) return st;
        if (!resp.error().empty()) {
          return Status::Internal("etcd: lease grant at " + ep.address + ": " +
                                  resp.error());
        }
        out = {resp.id(), resp.ttl()};
        return Status::OK();
      });
  if (!s.ok()) return s;
  return out;
}

Result<int64_t> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  PDB_ASSIGN_OR_RETURN(auto granted, GrantIdAndTtl(ttl_seconds));
  return granted.first;
}

Status EtcdClient::LeaseRevoke(int64_t id) {
  return WithFailover("lease revoke",
                      [&](Endpoint& ep, grpc::ClientContext& ctx) {
                        pb::LeaseRevokeRequest req;
                        req.set_id(id);
                        pb::LeaseRevokeResponse resp;
                        return FromGrpc(ep.lease->LeaseRevoke(&ctx, req, &resp),
                                        "lease revoke", ep.address);
                      });
}

Result<int64_t> EtcdClient::LeaseTimeToLive(int64_t id) {
  int64_t ttl = 0;
  Status s =
      WithFailover("lease ttl", [&](Endpoint& ep, grpc::ClientContext& ctx) {
        pb::LeaseTimeToLiveRequest req;
        req.set_id(id);
        pb::LeaseTimeToLiveResponse resp;
        Status st = FromGrpc(ep.lease->LeaseTimeToLive(&ctx, req, &resp),
                             "lease ttl", ep.address);
        if (st.ok()) ttl = resp.ttl();
        return st;
      });
  if (!s.ok()) return s;
  if (ttl <= 0) {
    return Status::NotFound("etcd: lease " + std::to_string(id) +
                            " has expired or was revoked");
  }
  return ttl;
}

Result<std::unique_ptr<Lease>> EtcdClient::GrantLease(int64_t ttl_seconds) {
  const auto before = Clock::now();
  PDB_ASSIGN_OR_RETURN(auto granted, GrantIdAndTtl(ttl_seconds));
  const auto [id, ttl] = granted;
  std::unique_ptr<Lease> lease(new Lease(this, id, ttl));
  {
    MutexLock l(&lease->mu_);
    lease->expiry_ = before + std::chrono::seconds(ttl);
  }
  lease->thread_ = std::thread([p = lease.get()] { p->Run(); });
  return lease;
}

Result<std::unique_ptr<Watcher>> EtcdClient::Watch(const std::string& key,
                                                   bool prefix,
                                                   int64_t from_revision,
                                                   Watcher::Callback callback) {
  std::unique_ptr<Watcher> w(
      new Watcher(this, key, prefix, from_revision, std::move(callback)));
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  const auto deadline = Clock::now() + options_.request_timeout;
  Status start;
  {
    MutexLock l(&w->mu_);
    while (!w->started_ && Clock::now() < deadline) {
      w->cv_.WaitUntil(&w->mu_, deadline);
    }
    start = w->started_ ? w->start_status_
                        : Status::Unavailable("etcd: watch on " + describe() +
                                              ": not confirmed in time");
  }
  if (!start.ok()) return start;  // ~Watcher stops the reader
  return w;
}

// ---- Lease ----

Lease::Lease(EtcdClient* client, int64_t id, int64_t ttl)
    : client_(client), id_(id), ttl_(ttl) {}

Lease::~Lease() {
  StopKeepAlive();
  bool revoke;
  {
    MutexLock l(&mu_);
    revoke = !lost_ && !revoked_;
    revoked_ = true;
  }
  if (revoke) (void)client_->LeaseRevoke(id_);
}

bool Lease::alive() const {
  MutexLock l(&mu_);
  return !lost_ && !revoked_ && Clock::now() < expiry_;
}

void Lease::OnLost(std::function<void()> listener) {
  MutexLock l(&mu_);
  if (lost_) {
    l.Unlock();
    listener();
    return;
  }
  listeners_.push_back(std::move(listener));
}

Status Lease::Revoke() {
  StopKeepAlive();
  {
    MutexLock l(&mu_);
    if (revoked_) return Status::OK();
    revoked_ = true;
  }
  Status s = client_->LeaseRevoke(id_);
  return s.code() == StatusCode::kNotFound ? Status::OK() : s;
}

void Lease::StopKeepAlive() {
  {
    MutexLock l(&mu_);
    stop_ = true;
    if (inflight_ != nullptr) inflight_->TryCancel();
    cv_.SignalAll();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void Lease::MarkLost(bool notify) {
  std::vector<std::function<void()>> run;
  {
    MutexLock l(&mu_);
    if (lost_) return;
    lost_ = true;
    if (notify) run.swap(listeners_);
  }
  for (auto& f : run) f();
}

void Lease::Run() {
  const auto interval = std::max<Clock::duration>(
      std::chrono::seconds(ttl_) / 3, std::chrono::milliseconds(300));
  const auto retry = std::chrono::milliseconds(200);
  auto next = Clock::now() + interval;
  while (true) {
    Clock::time_point expiry;
    {
      MutexLock l(&mu_);
      while (!stop_ && Clock::now() < next) cv_.WaitUntil(&mu_, next);
      if (stop_) return;
      expiry = expiry_;
    }
    const auto now = Clock::now();
    if (now >= expiry) {
      MarkLost(true);  // no renewal got through in time
      return;
    }
    EtcdClient::Endpoint& ep = client_->Current();
    EtcdClient::Connect(ep, std::min(expiry, now + kConnectSlice));
    grpc::ClientContext ctx;
    SetDeadline(&ctx,
                std::min(expiry, now + client_->options().request_timeout));
    {
      MutexLock l(&mu_);
      if (stop_) return;
      inflight_ = &ctx;
    }
    auto stream = ep.lease->LeaseKeepAlive(&ctx);
    pb::LeaseKeepAliveRequest req;
    req.set_id(id_);
    pb::LeaseKeepAliveResponse resp;
    const bool answered = stream->Write(req) && stream->Read(&resp);
    stream->WritesDone();
    ctx.TryCancel();
    (void)stream->Finish();
    {
      MutexLock l(&mu_);
      inflight_ = nullptr;
      if (stop_) return;
    }
    if (!answered) {
      client_->Advance(ep);
      next = Clock::now() + retry;
      continue;
    }
    if (resp.ttl() <= 0) {
      MarkLost(true);  // etcd no longer knows it: expired or revoked
      return;
    }
    {
      MutexLock l(&mu_);
      expiry_ = now + std::chrono::seconds(resp.ttl());
    }
    next = Clock::now() + interval;
  }
}

// ---- Watcher ----

Watcher::Watcher(EtcdClient* client, std::string key, bool prefix,
                 int64_t from_revision, Callback callback)
    : client_(client),
      key_(std::move(key)),
      prefix_(prefix),
      callback_(std::move(callback)),
      next_revision_(from_revision) {}

Watcher::~Watcher() { Cancel(); }

void Watcher::Cancel() {
  {
    MutexLock l(&mu_);
    stop_ = true;
    if (inflight_ != nullptr) inflight_->TryCancel();
    cv_.SignalAll();
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

void Watcher::Run() {
  auto backoff = std::chrono::milliseconds(100);
  while (true) {
    bool created = false;
    bool fatal = false;
    Status s = RunStream(&created, &fatal);
    MutexLock l(&mu_);
    if (stop_) return;
    if (!started_) {
      // The first stream never got going: Watch() returns the error.
      started_ = true;
      start_status_ = s.ok() ? Status::Unavailable("etcd: watch ended") : s;
      cv_.SignalAll();
      return;
    }
    if (fatal) return;  // reported by RunStream
    if (created) backoff = std::chrono::milliseconds(100);
    const auto until = Clock::now() + backoff;
    while (!stop_ && Clock::now() < until) cv_.WaitUntil(&mu_, until);
    if (stop_) return;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2,
                                                  std::chrono::seconds(1));
  }
}

Status Watcher::RunStream(bool* created, bool* fatal) {
  EtcdClient::Endpoint& ep = client_->Current();
  EtcdClient::Connect(ep, Clock::now() + kConnectSlice);
  grpc::ClientContext ctx;
  pb::WatchRequest req;
  {
    MutexLock l(&mu_);
    if (stop_) return Status::Unavailable("etcd: watch cancelled");
    inflight_ = &ctx;
    auto* create = req.mutable_create_request();
    create->set_key(key_);
    if (prefix_) create->set_range_end(EtcdClient::PrefixEnd(key_));
    create->set_start_revision(next_revision_);
  }
  // Reports an error that ends the watch: to Watch() before the start,
  // to the callback after.
  auto fail = [&](Status error) {
    *fatal = true;
    MutexLock l(&mu_);
    if (!started_) {
      started_ = true;
      start_status_ = error;
      cv_.SignalAll();
      return;
    }
    l.Unlock();
    WatchUpdate update;
    update.status = std::move(error);
    callback_(update);
  };
  auto stream = ep.watch->Watch(&ctx);
  Status result;
  if (stream->Write(req)) {
    pb::WatchResponse resp;
    while (stream->Read(&resp)) {
      if (resp.compact_revision() != 0) {
        int64_t from;
        {
          MutexLock l(&mu_);
          from = next_revision_;
        }
        fail(Status::OutOfRange(
            "etcd: watch on '" + key_ + "' from revision " +
            std::to_string(from) + ": compacted up to revision " +
            std::to_string(resp.compact_revision()) +
            " (read the state again and watch from its revision)"));
        break;
      }
      if (resp.canceled()) {
        fail(Status::FailedPrecondition(
            "etcd: watch on '" + key_ +
            "' cancelled by etcd: " + resp.cancel_reason()));
        break;
      }
      if (resp.created() && !*created) {
        *created = true;
        MutexLock l(&mu_);
        // "From now" becomes a revision, so a reconnect misses nothing.
        if (next_revision_ == 0) next_revision_ = resp.header().revision() + 1;
        if (!started_) {
          started_ = true;
          start_status_ = Status::OK();
          cv_.SignalAll();
        }
      }
      if (resp.events_size() == 0) continue;
      WatchUpdate update;
      update.revision = resp.header().revision();
      for (const auto& e : resp.events()) {
        WatchEvent ev;
        ev.type = e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete
                                                    : WatchEvent::Type::kPut;
        ev.kv = FromPb(e.kv());
        update.events.push_back(std::move(ev));
      }
      {
        MutexLock l(&mu_);
        if (stop_) break;
        next_revision_ = update.events.back().kv.mod_revision + 1;
      }
      callback_(update);
    }
  }
  ctx.TryCancel();
  result = FromGrpc(stream->Finish(), "watch", ep.address);
  {
    MutexLock l(&mu_);
    inflight_ = nullptr;
  }
  if (!*fatal) client_->Advance(ep);  // it broke: the next endpoint
  return result.ok() ? Status::Unavailable("etcd: watch stream at " +
                                           ep.address + " ended")
                     : result;
}

}  // namespace proximadb::cluster
