// Runs the real proximadb-server binary as a child process for integration
// tests: fork/exec with stdout on a pipe (to catch the ready line) and stderr
// in a log file (shown when a test fails).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace proximadb::testing {

#ifdef PDB_SERVER_BINARY
// The server binary to start: $PDB_TEST_SERVER_BINARY when set (another
// build's, e.g. the sanitizer one), else this build's.
inline std::string TestServerBinary() {
  const char* b = std::getenv("PDB_TEST_SERVER_BINARY");
  return b != nullptr && *b != '\0' ? b : PDB_SERVER_BINARY;
}
#endif

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() { Kill(SIGKILL); }

  // Starts `binary args...` with `env` ("NAME=value") added to the
  // environment, and waits up to `timeout_s` for
  // "proximadb-server ready rest_port=<n> grpc_port=<m>". Returns false when
  // the process exited or timed out first (see exit_status(), log()).
  //
  // The child gets PROXIMADB_API__GRPC_PORT=0 before `env` is applied, so
  // tests that only care about REST never collide on the fixed gRPC port
  // 5678 (a --grpc-port flag or an `env` entry still wins).
  bool Start(const std::string& binary, const std::vector<std::string>& args,
             const std::string& log_path,
             const std::vector<std::string>& env = {}, int timeout_s = 60) {
    log_path_ = log_path;
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) dup2(log, STDERR_FILENO);
      if (max_open_files_ > 0) {
        rlimit r{max_open_files_, max_open_files_};
        if (setrlimit(RLIMIT_NOFILE, &r) != 0) _exit(126);
      }
      static char kAnyGrpcPort[] = "PROXIMADB_API__GRPC_PORT=0";
      putenv(kAnyGrpcPort);
      for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary.c_str()));
      for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_fd_ = fds[0];
    return WaitReady(timeout_s);
  }

  // Start() returns at the "ready" line, not waiting for the collections'
  // background recovery ("recovered" line). Call before Start().
  void set_wait_for_recovery(bool wait) { wait_for_recovery_ = wait; }

  // The child's open-files limit (soft and hard), set before exec; 0 (the
  // default) inherits ours. Call before Start().
  void set_max_open_files(rlim_t n) { max_open_files_ = n; }

  uint16_t port() const { return port_; }  // REST
  uint16_t grpc_port() const { return grpc_port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Sends `sig` and waits for the exit (up to timeout_s; then SIGKILL).
  // Returns the wait status (see WIFEXITED), or -1.
  int Stop(int sig = SIGTERM, int timeout_s = 30) {
    if (pid_ <= 0) return exit_status_;
    kill(pid_, sig);
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        Reaped(status);
        return status;
      }
      usleep(10000);
    }
    Kill(SIGKILL);
    return -1;
  }

  void Kill(int sig) {
    if (pid_ > 0) {
      kill(pid_, sig);
      int status = 0;
      waitpid(pid_, &status, 0);
      Reaped(status);
    }
    if (out_fd_ >= 0) {
      close(out_fd_);
      out_fd_ = -1;
    }
  }

  // The wait status once the process is gone, else -1.
  int exit_status() const { return exit_status_; }
  std::string stdout_text() const { return out_; }
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  void Reaped(int status) {
    exit_status_ = status;
    pid_ = -1;
  }

  bool WaitReady(int timeout_s) {
    const std::string kReady = "proximadb-server ready rest_port=";
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      size_t at = out_.find(kReady);
      if (at != std::string::npos && out_.find('\n', at) != std::string::npos) {
        port_ =
            static_cast<uint16_t>(std::atoi(out_.c_str() + at + kReady.size()));
        const std::string kGrpc = " grpc_port=";
        size_t g = out_.find(kGrpc, at);
        if (g != std::string::npos && g < out_.find('\n', at)) {
          grpc_port_ =
              static_cast<uint16_t>(std::atoi(out_.c_str() + g + kGrpc.size()));
        }
        // Then, unless told otherwise, until every collection recovered
        // (the server answers meanwhile; a collection still recovering
        // gets 503).
        const size_t r = out_.find("proximadb-server recovered");
        if (port_ == 0 || !wait_for_recovery_ ||
            (r != std::string::npos &&
             out_.find('\n', r) != std::string::npos)) {
          return port_ != 0;
        }
      }
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) > 0) {
        char buf[4096];
        ssize_t n = read(out_fd_, buf, sizeof buf);
        if (n > 0) {
          out_.append(buf, static_cast<size_t>(n));
          continue;
        }
        // EOF: the server exited before it was ready.
        int status = 0;
        waitpid(pid_, &status, 0);
        Reaped(status);
        return false;
      }
    }
    return false;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool wait_for_recovery_ = true;
  uint16_t port_ = 0;
  uint16_t grpc_port_ = 0;
  int exit_status_ = -1;
  std::string out_;
  std::string log_path_;
  rlim_t max_open_files_ = 0;
};

}  // namespace proximadb::testing
