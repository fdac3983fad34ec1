#include "cluster/nats/jetstream_log.h"

#include <nats/nats.h>

#include <mutex>

namespace proximadb::cluster {

namespace {

// libnats keeps process-wide state (its threads, its timers) started by
// nats_Open; every connection of this process shares it and it is never
// closed (nats_Close would end it under any other connection).
Status InitOnce() {
  static const natsStatus s = nats_Open(-1);
  if (s != NATS_OK) {
    return Status::Internal(std::string("libnats: ") + natsStatus_GetText(s));
  }
  return Status::OK();
}

Status FromNats(natsStatus s, jsErrCode jerr, const std::string& what) {
  if (s == NATS_OK) return Status::OK();
  std::string msg = what + ": " + natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0') msg += std::string(" (") + last + ")";
  if (jerr != 0) msg += " [jetstream error " + std::to_string(jerr) + "]";
  switch (static_cast<int>(jerr)) {
    case JSStreamNotFoundErr:
      return Status::NotFound(msg);
    case JSStreamWrongLastSequenceErr:
    case JSStreamWrongLastMsgIDErr:
      return Status::FailedPrecondition(msg);
    default:
      break;
  }
  switch (s) {
    case NATS_TIMEOUT:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NO_RESPONDERS:
    case NATS_IO_ERROR:
    case NATS_CONNECTION_AUTH_FAILED:
      return Status::Unavailable(msg);
    case NATS_NOT_FOUND:
      return Status::NotFound(msg);
    case NATS_INVALID_ARG:
      return Status::InvalidArgument(msg);
    default:
      return Status::Unavailable(msg);
  }
}

class Reader final : public LogReader {
 public:
  Reader(natsSubscription* sub, uint64_t next) : sub_(sub), next_(next) {}
  ~Reader() override {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }

  Status Next(size_t max_entries, int64_t wait_ms,
              std::vector<LogEntry>* out) override {
    for (size_t n = 0; n < max_entries; ++n) {
      // The first entry may be waited for; the rest are taken only when
      // already delivered (a wait, even of 1 ms, would delay every batch).
      if (n > 0) {
        int pending = 0;
        if (natsSubscription_GetPending(sub_, &pending, nullptr) != NATS_OK ||
            pending <= 0) {
          return Status::OK();
        }
      }
      natsMsg* m = nullptr;
      natsStatus s = natsSubscription_NextMsg(
          &m, sub_, n == 0 ? std::max<int64_t>(wait_ms, 1) : 1);
      if (s == NATS_TIMEOUT) return Status::OK();
      if (s != NATS_OK) return FromNats(s, jsErrCode(0), "read");
      jsMsgMetaData* md = nullptr;
      s = natsMsg_GetMetaData(&md, m);
      if (s != NATS_OK) {
        natsMsg_Destroy(m);
        return FromNats(s, jsErrCode(0), "read: metadata");
      }
      const uint64_t seq = md->Sequence.Stream;
      const int64_t ts = md->Timestamp;
      jsMsgMetaData_Destroy(md);
      if (seq < next_) {  // a redelivery after the consumer was recreated
        natsMsg_Destroy(m);
        --n;
        continue;
      }
      if (seq != next_) {
        natsMsg_Destroy(m);
        return Status::OutOfRange(
            "the log has no entry " + std::to_string(next_) +
            " any more (next is " + std::to_string(seq) + ")");
      }
      LogEntry e;
      e.seq = seq;
      e.time_unix_nanos = ts;
      e.data.assign(natsMsg_GetData(m),
                    static_cast<size_t>(natsMsg_GetDataLength(m)));
      natsMsg_Destroy(m);
      out->push_back(std::move(e));
      ++next_;
    }
    return Status::OK();
  }
  uint64_t next_seq() const override { return next_; }

 private:
  natsSubscription* const sub_;
  uint64_t next_;
};

class Log final : public JetStreamLog {
 public:
  Log(natsOptions* opts, natsConnection* nc, jsCtx* js, int64_t timeout_ms)
      : opts_(opts), nc_(nc), js_(js), timeout_ms_(timeout_ms) {}
  ~Log() override {
    jsCtx_Destroy(js_);
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
    natsOptions_Destroy(opts_);
  }

  Status EnsureStream(const StreamSpec& spec) override {
    const char* subject = spec.subject.c_str();
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = spec.name.c_str();
    sc.Subjects = &subject;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Replicas = spec.replicas;
    sc.MaxBytes =
        spec.max_bytes == 0 ? -1 : static_cast<int64_t>(spec.max_bytes);
    sc.MaxAge = spec.max_age_ms * 1000000;  // nanoseconds
    sc.Duplicates = spec.duplicate_window_ms * 1000000;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_GetStreamInfo(&si, js_, sc.Name, nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
      jerr = jsErrCode(0);
      s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
      jsStreamInfo_Destroy(si);
      return FromNats(s, jerr, "create stream " + spec.name);
    }
    if (s != NATS_OK) return FromNats(s, jerr, "stream " + spec.name);
    Status check;
    if (si->Config->SubjectsLen != 1 ||
        spec.subject != si->Config->Subjects[0]) {
      check = Status::FailedPrecondition("stream " + spec.name +
                                         " exists with other subjects");
    } else if (si->Config->Replicas != spec.replicas) {
      check = Status::FailedPrecondition("stream " + spec.name + " has " +
                                         std::to_string(si->Config->Replicas) +
                                         " replicas, not " +
                                         std::to_string(spec.replicas));
    }
    jsStreamInfo_Destroy(si);
    if (!check.ok()) return check;
    si = nullptr;
    s = js_UpdateStream(&si, js_, &sc, nullptr, &jerr);
    jsStreamInfo_Destroy(si);
    return FromNats(s, jerr, "update stream " + spec.name);
  }

  Status DeleteStream(const std::string& name) override {
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_DeleteStream(js_, name.c_str(), nullptr, &jerr);
    return FromNats(s, jerr, "delete stream " + name);
  }

  Result<StreamState> State(const std::string& name) override {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_GetStreamInfo(&si, js_, name.c_str(), nullptr, &jerr);
    if (s != NATS_OK) return FromNats(s, jerr, "stream " + name);
    StreamState st;
    st.first_seq = si->State.Msgs == 0 ? 0 : si->State.FirstSeq;
    st.last_seq = si->State.LastSeq;
    st.messages = si->State.Msgs;
    st.bytes = si->State.Bytes;
    if (si->Cluster != nullptr) {
      if (si->Cluster->Leader != nullptr) st.leader = si->Cluster->Leader;
      for (int i = 0; i < si->Cluster->ReplicasLen; ++i) {
        const jsPeerInfo* p = si->Cluster->Replicas[i];
        st.replicas.push_back(
            {p->Name ? p->Name : "", p->Current, p->Offline, p->Lag});
      }
    }
    jsStreamInfo_Destroy(si);
    return st;
  }

  Result<uint64_t> Append(const std::string& subject, std::string_view data,
                          const AppendOptions& options) override {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = timeout_ms_;
    if (options.expected_last_seq) {
      if (*options.expected_last_seq == 0) {
        // JetStream reads 0 as "no expectation": an empty stream is
        // checked through the subject instead.
        po.ExpectNoMessage = true;
      } else {
        po.ExpectLastSeq = *options.expected_last_seq;
      }
    }
    if (!options.id.empty()) po.MsgId = options.id.c_str();
    jsPubAck* ack = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_Publish(&ack, js_, subject.c_str(), data.data(),
                              static_cast<int>(data.size()), &po, &jerr);
    if (s != NATS_OK) return FromNats(s, jerr, "append to " + subject);
    const uint64_t seq = ack->Sequence;
    jsPubAck_Destroy(ack);
    return seq;
  }

  Result<LogEntry> Get(const std::string& stream, uint64_t seq) override {
    natsMsg* m = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_GetMsg(&m, js_, stream.c_str(), seq, nullptr, &jerr);
    if (s != NATS_OK) {
      Status st =
          FromNats(s, jerr, "entry " + std::to_string(seq) + " of " + stream);
      // JetStream answers "no message found" (10037) for a missing entry.
      if (jerr == JSNoMessageFoundErr) return Status::NotFound(st.message());
      return st;
    }
    LogEntry e;
    e.seq = seq;
    e.data.assign(natsMsg_GetData(m),
                  static_cast<size_t>(natsMsg_GetDataLength(m)));
    e.time_unix_nanos = natsMsg_GetTime(m);
    natsMsg_Destroy(m);
    return e;
  }

  Status Purge(const std::string& stream, uint64_t keep_from) override {
    if (keep_from <= 1) return Status::OK();
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = timeout_ms_;
    o.Stream.Purge.Sequence = keep_from;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_PurgeStream(js_, stream.c_str(), &o, &jerr);
    return FromNats(s, jerr,
                    "purge " + stream + " below " + std::to_string(keep_from));
  }

  Result<std::unique_ptr<LogReader>> Read(const std::string& stream,
                                          const std::string& subject,
                                          uint64_t from_seq) override {
    if (from_seq == 0) return Status::InvalidArgument("from_seq must be >= 1");
    PDB_ASSIGN_OR_RETURN(StreamState st, State(stream));
    // An empty stream whose last sequence is at or after `from_seq` had
    // that entry once: it was purged.
    const uint64_t first = st.messages > 0 ? st.first_seq : st.last_seq + 1;
    if (from_seq < first) {
      return Status::OutOfRange("stream " + stream + " starts at entry " +
                                std::to_string(first) + ", not " +
                                std::to_string(from_seq));
    }
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = from_seq;
    natsSubscription* sub = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s =
        js_SubscribeSync(&sub, js_, subject.c_str(), nullptr, &so, &jerr);
    if (s != NATS_OK) return FromNats(s, jerr, "read " + stream);
    return std::unique_ptr<LogReader>(new Reader(sub, from_seq));
  }

 private:
  natsOptions* const opts_;
  natsConnection* const nc_;
  jsCtx* const js_;
  const int64_t timeout_ms_;
};

}  // namespace

Result<std::unique_ptr<JetStreamLog>> JetStreamLog::Connect(
    const JetStreamOptions& options) {
  if (options.urls.empty()) {
    return Status::InvalidArgument("no NATS server URL");
  }
  PDB_RETURN_IF_ERROR(InitOnce());
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  if (s != NATS_OK) return FromNats(s, jsErrCode(0), "nats options");
  std::vector<const char*> urls;
  for (const auto& u : options.urls) urls.push_back(u.c_str());
  // natsOptions_SetURL with a comma-separated list does not connect
  // (cnats 3.4.1): the servers go in as an array.
  s = natsOptions_SetServers(o, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetTimeout(o, options.timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetName(o, options.client_name.c_str());
  // Keep reconnecting while the process runs: a NATS server restart must
  // not end the node's log connection.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o, 100);
  if (s != NATS_OK) {
    natsOptions_Destroy(o);
    return FromNats(s, jsErrCode(0), "nats options");
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, o);
  if (s != NATS_OK) {
    natsOptions_Destroy(o);
    return FromNats(s, jsErrCode(0), "connect to NATS");
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.timeout_ms;
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) {
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    return FromNats(s, jsErrCode(0), "JetStream");
  }
  return std::unique_ptr<JetStreamLog>(new Log(o, nc, js, options.timeout_ms));
}

}  // namespace proximadb::cluster
