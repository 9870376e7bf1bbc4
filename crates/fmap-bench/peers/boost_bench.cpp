// Boost.Interprocess side of fmap's benchmark suite (crates/fmap-bench). Built by the suite
// with g++ against Debian's libboost-dev; prints one line per measurement:
//   RESULT <tab> group <tab> case <tab> median_ns <tab> p99_ns <tab> cpu_ns_per_op
// Usage: boost_bench [--quick]
// CPU placement: this process pins itself to CPU 0, the forked second process to CPU 1.
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/interprocess_semaphore.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <new>
#include <sched.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace bip = boost::interprocess;

static double now_ns(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  sched_setaffinity(0, sizeof s, &s);
}

static void report(const char *group, const std::string &c, std::vector<double> v, double cpu) {
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) { return v[(size_t)((v.size() - 1) * p + 0.5)]; };
  std::printf("RESULT\t%s\t%s\t%.1f\t%.1f\t%.1f\n", group, c.c_str(), pct(0.5), pct(0.99), cpu);
  std::fflush(stdout);
}

// Batches of `per` calls; median and p99 of the batch means.
static void batched(const char *group, const char *c, int batches, int per,
                    const std::function<void()> &f) {
  for (int i = 0; i < std::max(per, 100); i++) f();
  std::vector<double> v;
  double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  for (int b = 0; b < batches; b++) {
    double t = now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < per; i++) f();
    v.push_back((now_ns(CLOCK_MONOTONIC) - t) / per);
  }
  report(group, c, v, (now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / ((double)batches * per));
}

// One sample per call.
static void each(const char *group, const std::string &c, int iters,
                 const std::function<void()> &f) {
  for (int i = 0; i < std::max(iters / 10, 2); i++) f();
  std::vector<double> v;
  double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  for (int i = 0; i < iters; i++) {
    double t = now_ns(CLOCK_MONOTONIC);
    f();
    v.push_back(now_ns(CLOCK_MONOTONIC) - t);
  }
  report(group, c, v, (now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / iters);
}

struct Shared {
  bip::interprocess_semaphore ping{0};
  bip::interprocess_semaphore pong{0};
  bip::interprocess_mutex mutex;
  bip::interprocess_semaphore sem{0};
  double child_cpu = 0;
};

static std::string label(size_t size) {
  return size >= (1u << 20) ? std::to_string(size >> 20) + " MiB"
                            : std::to_string(size >> 10) + " KiB";
}

int main(int argc, char **argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  pin(0);
  std::string base = "fmap-bench-boost-" + std::to_string(getpid());
  std::string ctl = base + "-ctl";
  bip::shared_memory_object::remove(ctl.c_str());
  bip::shared_memory_object shm(bip::create_only, ctl.c_str(), bip::read_write);
  shm.truncate(4096);
  bip::mapped_region region(shm, bip::read_write);
  Shared *s = new (region.get_address()) Shared;

  // Ping-pong over two interprocess_semaphores, second process forked.
  int count = quick ? 300 : 20000;
  int warm = std::max(count / 10, 50);
  int total = count + warm;
  pid_t pid = fork();
  if (pid == 0) {
    pin(1);
    double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < total; i++) {
      s->ping.wait();
      s->pong.post();
    }
    s->child_cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    _exit(0);
  }
  std::vector<double> rt;
  double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  for (int i = 0; i < total; i++) {
    double t = now_ns(CLOCK_MONOTONIC);
    s->ping.post();
    s->pong.wait();
    if (i >= warm) rt.push_back(now_ns(CLOCK_MONOTONIC) - t);
  }
  double my = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
  int st;
  waitpid(pid, &st, 0);
  report("pingpong", "round trip", rt, (my + s->child_cpu) / total);

  int batches = quick ? 20 : 200, per = quick ? 200 : 1000;
  batched("mutex", "lock+unlock", batches, per, [&] {
    s->mutex.lock();
    s->mutex.unlock();
  });
  batched("semrelease", "release(1)", batches, per, [&] { s->sem.post(); });

  // Create cycles.
  size_t sizes[] = {4u << 10, 64u << 10, 1u << 20, 64u << 20};
  for (size_t size : sizes) {
    int iters = size <= (4u << 10) ? 2000 : size <= (64u << 10) ? 1000 : size <= (1u << 20) ? 300 : 15;
    if (quick) iters = std::max(iters / 50, 3);
    std::string name = base + "-create";
    each("create", label(size), iters, [&] {
      bip::shared_memory_object o(bip::create_only, name.c_str(), bip::read_write);
      o.truncate((bip::offset_t)size);
      bip::mapped_region r(o, bip::read_write);
      std::memset(r.get_address(), 0xA5, size);
      asm volatile("" ::"r"(r.get_address()) : "memory");
      bip::shared_memory_object::remove(name.c_str());
    });
  }

  // Open cycle of an existing 64 KiB section.
  {
    std::string name = base + "-open";
    bip::shared_memory_object o(bip::create_only, name.c_str(), bip::read_write);
    o.truncate(64 << 10);
    each("open", "64 KiB", quick ? 50 : 3000, [&] {
      bip::shared_memory_object p(bip::open_only, name.c_str(), bip::read_only);
      bip::mapped_region r(p, bip::read_only);
      asm volatile("" ::"r"(r.get_address()) : "memory");
    });
    bip::shared_memory_object::remove(name.c_str());
  }
  s->~Shared();
  bip::shared_memory_object::remove(ctl.c_str());
  return 0;
}
