#include "cluster/etcd/election.h"

#include <utility>

namespace proximadb::cluster {

using Clock = std::chrono::steady_clock;
using Op = Compare::Op;

Election::Election(EtcdClient* client, Lease* lease, std::string key)
    : client_(client),
      lease_(lease),
      key_(std::move(key)),
      term_(std::make_shared<Term>()) {}

Election::~Election() {
  Cancel();
  MutexLock l(&term_->mu);
  term_->leader = false;
  term_->on_lost = nullptr;
  ++term_->number;
}

void Election::Cancel() {
  MutexLock l(&mu_);
  cancelled_ = true;
  cv_.SignalAll();
}

Result<int64_t> Election::Campaign(const std::string& value,
                                   std::chrono::milliseconds timeout,
                                   std::function<void()> on_lost) {
  const auto deadline = Clock::now() + timeout;
  {
    MutexLock l(&mu_);
    cancelled_ = false;
  }
  int64_t token = 0;
  while (token == 0) {
    if (!lease_->alive()) {
      return Status::FailedPrecondition("election " + key_ + ": lease " +
                                        std::to_string(lease_->id()) +
                                        " is gone");
    }
    TxnRequest txn;
    txn.compares.push_back(Compare::CreateRevision(key_, Op::kEqual, 0));
    txn.success.push_back(TxnOp::Put(key_, value, lease_->id()));
    txn.failure.push_back(TxnOp::Get(key_));
    PDB_ASSIGN_OR_RETURN(TxnResult r, client_->Txn(txn));
    if (r.succeeded) {
      token = r.revision;  // the put created the key at this revision
      break;
    }
    if (r.responses.empty() || r.responses[0].kvs.empty()) continue;
    const KeyValue holder = r.responses[0].kvs[0];
    if (holder.lease == lease_->id()) {
      token = holder.create_revision;  // ours already (a repeated campaign)
      break;
    }
    // Wait for the holder's key to go, watching from just after it was
    // last written so that a delete in between is not missed.
    {
      MutexLock l(&mu_);
      holder_gone_ = false;
    }
    auto watcher = client_->Watch(
        key_, false, holder.mod_revision + 1, [this](const WatchUpdate& u) {
          bool gone = !u.status.ok();  // look again after an error
          for (const WatchEvent& e : u.events) {
            if (e.type == WatchEvent::Type::kDelete) gone = true;
          }
          if (!gone) return;
          MutexLock l(&mu_);
          holder_gone_ = true;
          cv_.SignalAll();
        });
    if (!watcher.ok()) return watcher.status();
    MutexLock l(&mu_);
    while (!holder_gone_ && !cancelled_ && Clock::now() < deadline) {
      cv_.WaitUntil(&mu_, deadline);
    }
    if (cancelled_) {
      return Status::Unavailable("election " + key_ + ": campaign cancelled");
    }
    if (!holder_gone_) {
      return Status::Unavailable(
          "election " + key_ + ": not elected within " +
          std::to_string(timeout.count()) + " ms; held by '" + holder.value +
          "' (fencing token " + std::to_string(holder.create_revision) + ")");
    }
  }
  int64_t number;
  {
    MutexLock l(&term_->mu);
    term_->leader = true;
    term_->token = token;
    number = ++term_->number;
    term_->on_lost = std::move(on_lost);
  }
  lease_->OnLost([term = term_, number] {
    std::function<void()> run;
    {
      MutexLock l(&term->mu);
      if (term->number != number || !term->leader) return;
      term->leader = false;
      run = std::move(term->on_lost);
    }
    if (run) run();
  });
  return token;
}

Result<LeaderInfo> Election::Leader() {
  PDB_ASSIGN_OR_RETURN(RangeResult r, client_->Get(key_));
  if (r.kvs.empty()) {
    return Status::NotFound("election " + key_ + ": no leader");
  }
  LeaderInfo info;
  info.value = r.kvs[0].value;
  info.fencing_token = r.kvs[0].create_revision;
  info.lease = r.kvs[0].lease;
  return info;
}

bool Election::is_leader() const {
  MutexLock l(&term_->mu);
  return term_->leader;
}

int64_t Election::fencing_token() const {
  MutexLock l(&term_->mu);
  return term_->token;
}

Status Election::Verify() {
  const int64_t token = fencing_token();
  TxnRequest txn;
  txn.compares.push_back(Compare::CreateRevision(key_, Op::kEqual, token));
  txn.failure.push_back(TxnOp::Get(key_));
  PDB_ASSIGN_OR_RETURN(TxnResult r, client_->Txn(txn));
  if (token != 0 && r.succeeded) return Status::OK();
  std::string now = "no leader";
  if (!r.responses.empty() && !r.responses[0].kvs.empty()) {
    now = "the leader's fencing token is " +
          std::to_string(r.responses[0].kvs[0].create_revision);
  }
  return Status::FailedPrecondition("election " + key_ +
                                    ": no longer the leader with token " +
                                    std::to_string(token) + " (" + now + ")");
}

Status Election::Resign() {
  int64_t token;
  {
    MutexLock l(&term_->mu);
    if (!term_->leader) return Status::OK();
    token = term_->token;
    term_->leader = false;
    term_->on_lost = nullptr;
    ++term_->number;
  }
  TxnRequest txn;
  txn.compares.push_back(Compare::CreateRevision(key_, Op::kEqual, token));
  txn.success.push_back(TxnOp::Delete(key_));
  auto r = client_->Txn(txn);
  return r.ok() ? Status::OK() : r.status();
}

}  // namespace proximadb::cluster
