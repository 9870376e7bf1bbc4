// Boost.Interprocess side of fmap's benchmark suite (crates/fmap-bench). Built by the suite
// with g++ against Debian's libboost-dev; prints one line per measurement:
//   RESULT <tab> group <tab> case <tab> median_ns <tab> p99_ns <tab> cpu_ns_per_op
// (group bulk: median GiB/s, p99 nan, CPU ns per message of both processes, then two more
// fields: the ring, SLOTSxKIB, and the cache-line round trip between the processes in ns).
// Usage: boost_bench [--quick] [--only GROUP,...] [--ring SLOTSxKIB,...]
// CPU placement: this process pins itself to CPU 0, the forked second process to CPU 1.
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/interprocess_semaphore.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

// Bulk transfer: the protocol of the suite's Rust rings (crates/fmap-bench/src/bulk.rs). A ring
// of `slots` slots of `slot` bytes in a named section; the messages form one byte stream (a
// message larger than a slot streams through consecutive slots, smaller ones are packed several
// per slot); a pair of interprocess_semaphores per slot (full, empty). The producer stamps each
// message's sequence number into its first and last 8 bytes; the consumer copies every byte out
// into its own buffer and checks the stamps.
struct BulkHeader {
  double child_cpu;
  int failed;
  std::atomic<uint32_t> probe;  // a cache line bounced before the run (see probe())
};

static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// The suite's placement probe: 10 batches of 200 round trips of a cache line between the two
// processes; the median of the batches' mean round trip (ns) in the first process.
static double probe(std::atomic<uint32_t> &w, bool timed) {
  std::vector<double> means;
  uint32_t i = 0;
  for (int b = 0; b < 10; b++) {
    double t = now_ns(CLOCK_MONOTONIC);
    for (int k = 0; k < 200; k++, i++) {
      if (timed) {
        w.store(2 * i + 1, std::memory_order_release);
        while (w.load(std::memory_order_acquire) != 2 * i + 2) cpu_relax();
      } else {
        while (w.load(std::memory_order_acquire) != 2 * i + 1) cpu_relax();
        w.store(2 * i + 2, std::memory_order_release);
      }
    }
    means.push_back((now_ns(CLOCK_MONOTONIC) - t) / 200);
  }
  std::sort(means.begin(), means.end());
  return means[means.size() / 2];
}

// A page-aligned buffer (like the ring's slots) filled with a pattern the compiler cannot see.
static unsigned char *buf(size_t n, unsigned char seed) {
  unsigned char *p = static_cast<unsigned char *>(std::aligned_alloc(4096, (n + 4095) / 4096 * 4096));
  if (!p) std::abort();
  asm volatile("" : "+r"(seed));
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i);
  asm volatile("" ::"r"(p) : "memory");
  return p;
}

static void stamp(unsigned char *m, size_t n, uint64_t seq) {
  std::memcpy(m, &seq, 8);
  std::memcpy(m + n - 8, &seq, 8);
}

static void bulk(const std::string &base, size_t size, size_t total, int reps, size_t slots,
                 size_t slot) {
  size_t per_slot = std::max<size_t>(slot / size, 1);
  size_t count = (std::max<size_t>(total / size, 4) + per_slot - 1) / per_slot * per_slot;
  size_t header = (sizeof(BulkHeader) + 2 * slots * 64 + 4095) / 4096 * 4096;
  std::string name = base + "-bulk";
  bip::shared_memory_object::remove(name.c_str());
  bip::shared_memory_object o(bip::create_only, name.c_str(), bip::read_write);
  o.truncate((bip::offset_t)(header + slots * slot));
  bip::mapped_region r(o, bip::read_write);
  unsigned char *mem = static_cast<unsigned char *>(r.get_address());
  BulkHeader *h = new (mem) BulkHeader{0, 0, {}};
  h->probe.store(0);
  // full[i] at 64 + 64 i, empty[i] after them: one cache line each.
  auto sem = [&](size_t k) {
    return reinterpret_cast<bip::interprocess_semaphore *>(mem + 64 + 64 * k);
  };
  for (size_t i = 0; i < slots; i++) {
    new (sem(i)) bip::interprocess_semaphore(0);
    new (sem(slots + i)) bip::interprocess_semaphore(1);
  }
  unsigned char *ring = mem + header;
  auto full = [&](uint64_t j) { return sem(j % slots); };
  auto empty = [&](uint64_t j) { return sem(slots + j % slots); };
  pid_t pid = fork();
  if (pid == 0) {
    pin(1);
    unsigned char *dst = buf(size, 1);
    probe(h->probe, false);
    double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t seq = 0, j = 0;
    size_t pos = 0;
    for (int rep = 0; rep <= reps; rep++) {
      for (size_t k = 0; k < count; k++) {
        for (size_t off = 0; off < size;) {
          if (pos == 0) full(j)->wait();
          size_t n = std::min(size - off, slot - pos);
          std::memcpy(dst + off, ring + (j % slots) * slot + pos, n);
          off += n;
          pos += n;
          if (pos == slot) {
            empty(j)->post();
            j++;
            pos = 0;
          }
        }
        asm volatile("" ::"r"(dst) : "memory");
        uint64_t a, b;
        std::memcpy(&a, dst, 8);
        std::memcpy(&b, dst + size - 8, 8);
        if (a != seq || b != seq) h->failed = 1;
        seq++;
      }
    }
    h->child_cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    _exit(0);
  }
  unsigned char *src = buf(size, 7);
  double rt = probe(h->probe, true);
  std::vector<double> rates;
  double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
  uint64_t seq = 0, j = 0;
  size_t pos = 0;
  for (int rep = 0; rep <= reps; rep++) {
    double t = now_ns(CLOCK_MONOTONIC);
    for (size_t k = 0; k < count; k++) {
      stamp(src, size, seq++);
      for (size_t off = 0; off < size;) {
        if (pos == 0) empty(j)->wait();
        size_t n = std::min(size - off, slot - pos);
        std::memcpy(ring + (j % slots) * slot + pos, src + off, n);
        off += n;
        pos += n;
        if (pos == slot) {
          full(j)->post();
          j++;
          pos = 0;
        }
      }
    }
    // Every slot freed by the consumer.
    for (size_t k = 0; k < slots; k++) empty(j + k)->wait();
    for (size_t k = 0; k < slots; k++) empty(j + k)->post();
    double el = (now_ns(CLOCK_MONOTONIC) - t) / 1e9;
    if (rep > 0) rates.push_back((double)(count * size) / el / (double)(1u << 30));
  }
  double my = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
  int st;
  waitpid(pid, &st, 0);
  if (h->failed || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    std::fprintf(stderr, "boost_bench: bulk %zu: a message arrived with a wrong stamp\n", size);
    std::exit(1);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("RESULT\tbulk\t%s\t%.3f\tnan\t%.1f\t%zux%zu\t%.1f\n", label(size).c_str(),
              rates[(size_t)((rates.size() - 1) * 0.5 + 0.5)], (my + h->child_cpu) / ((reps + 1) * count),
              slots, slot >> 10, rt);
  std::fflush(stdout);
  std::free(src);
  for (size_t k = 0; k < 2 * slots; k++) sem(k)->~interprocess_semaphore();
  bip::shared_memory_object::remove(name.c_str());
}

int main(int argc, char **argv) {
  bool quick = false;
  std::string only;
  // The suite passes its --ring list (default 2x256,16x32).
  std::vector<std::pair<size_t, size_t>> rings = {{2, 256u << 10}, {16, 32u << 10}};
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = "," + std::string(argv[++i]) + ",";
    } else if (std::strcmp(argv[i], "--ring") == 0 && i + 1 < argc) {
      rings.clear();
      std::string l = argv[++i];
      for (size_t p = 0; p <= l.size();) {
        size_t e = l.find(',', p);
        if (e == std::string::npos) e = l.size();
        unsigned long n, k;
        if (std::sscanf(l.substr(p, e - p).c_str(), "%lux%lu", &n, &k) != 2 || n < 2 || k < 4) return 2;
        rings.push_back({n, k << 10});
        p = e + 1;
      }
    } else {
      std::fprintf(stderr, "usage: boost_bench [--quick] [--only GROUP,...] [--ring SLOTSxKIB,...]\n");
      return 2;
    }
  }
  auto want = [&](const char *g) { return only.empty() || only.find("," + std::string(g) + ",") != std::string::npos; };
  pin(0);
  std::string base = "fmap-bench-boost-" + std::to_string(getpid());
  std::string ctl = base + "-ctl";
  bip::shared_memory_object::remove(ctl.c_str());
  bip::shared_memory_object shm(bip::create_only, ctl.c_str(), bip::read_write);
  shm.truncate(4096);
  bip::mapped_region region(shm, bip::read_write);
  Shared *s = new (region.get_address()) Shared;

  // Ping-pong over two interprocess_semaphores, second process forked.
  if (want("pingpong")) {
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
  }

  int batches = quick ? 20 : 200, per = quick ? 200 : 1000;
  if (want("mutex"))
    batched("mutex", "lock+unlock", batches, per, [&] {
      s->mutex.lock();
      s->mutex.unlock();
    });
  if (want("semrelease")) batched("semrelease", "release(1)", batches, per, [&] { s->sem.post(); });

  // Create cycles.
  size_t sizes[] = {4u << 10, 64u << 10, 1u << 20, 64u << 20};
  for (size_t size : sizes) {
    if (!want("create")) break;
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
  if (want("open")) {
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

  // Bulk transfer.
  if (want("bulk")) {
    size_t bulk_sizes[] = {4u << 10, 64u << 10, 1u << 20, 16u << 20, 64u << 20};
    for (size_t size : bulk_sizes)
      for (auto [slots, slot] : rings) bulk(base, size, quick ? 16u << 20 : 1024u << 20, quick ? 2 : 6, slots, slot);
  }
  s->~Shared();
  bip::shared_memory_object::remove(ctl.c_str());
  return 0;
}
