// The same contract checks run against the POSIX env (in a temp dir) and the
// in-memory env.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "proximadb/env.h"
#include "util/fault_injection_env.h"

namespace proximadb {
namespace {

class EnvTest : public ::testing::TestWithParam<bool /*posix*/> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      env_ = Env::Default();
      char tmpl[] = "/tmp/pdb-env-test-XXXXXX";
      ASSERT_NE(::mkdtemp(tmpl), nullptr);
      root_ = tmpl;
    } else {
      mem_ = NewMemEnv();
      env_ = mem_.get();
      root_ = "/mem/root";
      ASSERT_TRUE(env_->CreateDirIfMissing(root_).ok());
    }
  }
  void TearDown() override {
    if (GetParam()) {
      EXPECT_TRUE(env_->RemoveDirRecursively(root_).ok());
    }
  }
  std::vector<std::string> Children(const std::string& dir) {
    auto c = env_->GetChildren(dir);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    std::vector<std::string> v = c.ok() ? *c : std::vector<std::string>{};
    std::sort(v.begin(), v.end());
    return v;
  }

  std::unique_ptr<Env> mem_;
  Env* env_ = nullptr;
  std::string root_;
};

TEST_P(EnvTest, WriteAppendReadMap) {
  const std::string p = root_ + "/f";
  {
    auto f = env_->NewWritableFile(p);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE((*f)->Append("hello ").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    EXPECT_EQ((*f)->Size(), 6u);
    ASSERT_TRUE((*f)->Close().ok());
  }
  {
    auto f = env_->NewAppendableFile(p);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 6u);
    ASSERT_TRUE((*f)->Append("world").ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto s = env_->ReadFileToString(p);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "hello world");
  EXPECT_EQ(*env_->GetFileSize(p), 11u);

  auto r = env_->NewRandomAccessFile(p);
  ASSERT_TRUE(r.ok());
  char scratch[16];
  std::string_view out;
  ASSERT_TRUE((*r)->Read(6, 16, scratch, &out).ok());
  EXPECT_EQ(out, "world");
  ASSERT_TRUE((*r)->Read(100, 4, scratch, &out).ok());
  EXPECT_TRUE(out.empty());

  auto m = env_->MapFile(p);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::string_view((*m)->data(), (*m)->size()), "hello world");

  // NewWritableFile truncates.
  ASSERT_TRUE(env_->NewWritableFile(p).ok());
  EXPECT_EQ(*env_->GetFileSize(p), 0u);
  auto empty = env_->MapFile(p);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)->size(), 0u);
  EXPECT_NE((*empty)->data(), nullptr);
}

TEST_P(EnvTest, MissingFilesAreNotFound) {
  const std::string p = root_ + "/nope";
  EXPECT_FALSE(env_->FileExists(p));
  EXPECT_TRUE(env_->NewRandomAccessFile(p).status().IsNotFound());
  EXPECT_TRUE(env_->GetFileSize(p).status().IsNotFound());
  EXPECT_TRUE(env_->RemoveFile(p).IsNotFound());
  Status s = env_->MapFile(p).status();
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_NE(s.message().find(p), std::string::npos) << s.ToString();
  // Creating a file in a missing directory fails.
  EXPECT_FALSE(env_->NewWritableFile(root_ + "/no/dir/f").ok());
}

TEST_P(EnvTest, DirsChildrenRenameTruncateRemove) {
  ASSERT_TRUE(env_->CreateDirIfMissing(root_ + "/a/b/c").ok());
  ASSERT_TRUE(env_->CreateDirIfMissing(root_ + "/a/b/c").ok());  // idempotent
  ASSERT_TRUE(env_->WriteFileAtomically(root_ + "/a/x", "12345").ok());
  ASSERT_TRUE(env_->WriteFileAtomically(root_ + "/a/b/y", "yy").ok());
  EXPECT_EQ(Children(root_ + "/a"), (std::vector<std::string>{"b", "x"}));
  EXPECT_EQ(Children(root_ + "/a/b"), (std::vector<std::string>{"c", "y"}));
  EXPECT_TRUE(env_->SyncDir(root_ + "/a").ok());

  ASSERT_TRUE(env_->RenameFile(root_ + "/a/x", root_ + "/a/b/z").ok());
  EXPECT_FALSE(env_->FileExists(root_ + "/a/x"));
  EXPECT_EQ(*env_->ReadFileToString(root_ + "/a/b/z"), "12345");
  // Rename replaces an existing target.
  ASSERT_TRUE(env_->RenameFile(root_ + "/a/b/y", root_ + "/a/b/z").ok());
  EXPECT_EQ(*env_->ReadFileToString(root_ + "/a/b/z"), "yy");

  ASSERT_TRUE(env_->TruncateFile(root_ + "/a/b/z", 1).ok());
  EXPECT_EQ(*env_->ReadFileToString(root_ + "/a/b/z"), "y");

  ASSERT_TRUE(env_->RemoveFile(root_ + "/a/b/z").ok());
  EXPECT_FALSE(env_->FileExists(root_ + "/a/b/z"));
  ASSERT_TRUE(env_->RemoveDirRecursively(root_ + "/a").ok());
  EXPECT_FALSE(env_->FileExists(root_ + "/a"));
  EXPECT_FALSE(env_->FileExists(root_ + "/a/b/c"));
  EXPECT_TRUE(env_->RemoveDirRecursively(root_ + "/a").ok());  // missing: ok
  EXPECT_TRUE(Children(root_).empty());
}

TEST_P(EnvTest, WriteFileAtomicallyReplaces) {
  const std::string p = root_ + "/CURRENT";
  ASSERT_TRUE(env_->WriteFileAtomically(p, "one").ok());
  ASSERT_TRUE(env_->WriteFileAtomically(p, "two").ok());
  EXPECT_EQ(*env_->ReadFileToString(p), "two");
  EXPECT_EQ(Children(root_), (std::vector<std::string>{"CURRENT"}));
}

TEST_P(EnvTest, LockFileIsExclusiveUntilReleased) {
  const std::string p = root_ + "/LOCK";
  auto first = env_->LockFile(p);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(env_->FileExists(p));  // created
  auto second = env_->LockFile(p);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(p), std::string::npos);
  // Another file is another lock.
  EXPECT_TRUE(env_->LockFile(root_ + "/OTHER").ok());
  first->reset();
  auto again = env_->LockFile(p);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
  // Through a FaultInjectionEnv: the base env's lock.
  FaultInjectionEnv faulty(env_);
  EXPECT_EQ(faulty.LockFile(p).status().code(),
            StatusCode::kFailedPrecondition);
}

// Another process is refused while this one holds the lock, and gets it
// once this one let it go (flock(2) is per open file, across processes).
TEST(PosixEnvLockTest, AnotherProcessIsRefusedUntilReleased) {
  char tmpl[] = "/tmp/pdb-env-lock-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string p = std::string(tmpl) + "/LOCK";
  Env* env = Env::Default();
  // The child's exit status: 0 locked, 1 refused, 2 another error.
  auto child_tries = [&] {
    const pid_t pid = ::fork();
    if (pid == 0) {
      auto lock = env->LockFile(p);
      ::_exit(lock.ok()                                                 ? 0
              : lock.status().code() == StatusCode::kFailedPrecondition ? 1
                                                                        : 2);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  {
    auto held = env->LockFile(p);
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    EXPECT_EQ(child_tries(), 1);
  }
  EXPECT_EQ(child_tries(), 0);
  EXPECT_TRUE(env->RemoveDirRecursively(tmpl).ok());
}

INSTANTIATE_TEST_SUITE_P(Envs, EnvTest, ::testing::Values(true, false),
                         [](const auto& info) {
                           return info.param ? "Posix" : "Mem";
                         });

class FaultInjectionEnvTest : public ::testing::TestWithParam<bool> {};

TEST_P(FaultInjectionEnvTest, FailuresAndDropUnsyncedData) {
  std::unique_ptr<Env> mem;
  Env* base;
  std::string root;
  if (GetParam()) {
    base = Env::Default();
    char tmpl[] = "/tmp/pdb-fault-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root = tmpl;
  } else {
    mem = NewMemEnv();
    base = mem.get();
    root = "/r";
    ASSERT_TRUE(base->CreateDirIfMissing(root).ok());
  }
  FaultInjectionEnv env(base);
  const std::string p = root + "/f";
  auto f = env.NewWritableFile(p);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("durable").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(env.sync_count(), 1u);

  env.FailAppends(ENOSPC, 1);
  Status s = (*f)->Append("lost");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("ENOSPC"), std::string::npos) << s.ToString();
  EXPECT_EQ((*f)->Size(), 7u);              // nothing written
  ASSERT_TRUE((*f)->Append("+more").ok());  // the fault was one-shot

  env.SetPartialAppend(true);
  env.FailAppends(EIO, 1);
  EXPECT_TRUE((*f)->Append("abcdef").IsIOError());
  EXPECT_EQ((*f)->Size(), 15u);  // "abc" torn in

  env.FailSyncs(1);
  EXPECT_TRUE((*f)->Sync().IsIOError());
  EXPECT_EQ(env.sync_count(), 1u);
  ASSERT_TRUE((*f)->Close().ok());

  env.FailRenames();
  EXPECT_TRUE(env.RenameFile(p, root + "/g").IsIOError());
  EXPECT_TRUE(env.RenameFile(p, root + "/g").IsIOError());
  env.ClearFaults();

  ASSERT_TRUE(env.DropUnsyncedData().ok());
  EXPECT_EQ(*base->ReadFileToString(p), "durable");

  // Synced size follows renames.
  ASSERT_TRUE(env.RenameFile(p, root + "/g").ok());
  {
    auto g = env.NewAppendableFile(root + "/g");
    ASSERT_TRUE(g.ok());
    ASSERT_TRUE((*g)->Append(" unsynced").ok());
    ASSERT_TRUE((*g)->Close().ok());
  }
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  EXPECT_EQ(*base->ReadFileToString(root + "/g"), "durable");
  if (GetParam()) {
    ASSERT_TRUE(base->RemoveDirRecursively(root).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Envs, FaultInjectionEnvTest,
                         ::testing::Values(true, false), [](const auto& info) {
                           return info.param ? "Posix" : "Mem";
                         });

}  // namespace
}  // namespace proximadb
