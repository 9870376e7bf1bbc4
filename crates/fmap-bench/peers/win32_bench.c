/* The Win32 side of fmap's benchmark suite (crates/fmap-bench): one C program using only the
 * Win32 API, built twice — natively on Linux against fmap's C ABI (crates/fmap-win32), and with
 * mingw-w64 for Wine — so that the two rows compare "Win32 programs on Linux" with fmap and with
 * Wine. Prints one line before and one after each measurement:
 *   BEGIN <tab> group <tab> case
 *   RESULT <tab> group <tab> case <tab> median_ns <tab> p99_ns <tab> cpu_ns_per_op <tab> operations
 * cpu_ns_per_op: CPU time of this program's processes taking part (nan: not measured), from
 * CLOCK_PROCESS_CPUTIME_ID natively and GetProcessTimes under Wine (which counts in clock ticks,
 * 10 ms); operations: how many the CPU time is divided by (the suite adds wineserver's CPU time
 * over the same span, measured from outside).
 * Usage: win32_bench [--quick]; internally: win32_bench child KIND ...
 * CPU placement: this process pins itself to CPU 0, its second process to CPU 1. */
#ifndef _WIN32
#define _GNU_SOURCE
#endif
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sched.h>
#include <time.h>
#endif

static double freq_ns;
static char self[1024];
static char tag[64];

static double now_ns(void) {
  LARGE_INTEGER t;
  QueryPerformanceCounter(&t);
  return (double)t.QuadPart * freq_ns;
}

/* CPU time of this process so far, all threads. */
static double cpu_ns(void) {
#ifdef _WIN32
  FILETIME c, e, k, u;
  ULARGE_INTEGER a, b;
  if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u)) return 0.0 / 0.0;
  a.LowPart = k.dwLowDateTime;
  a.HighPart = k.dwHighDateTime;
  b.LowPart = u.dwLowDateTime;
  b.HighPart = u.dwHighDateTime;
  return (double)(a.QuadPart + b.QuadPart) * 100.0;
#else
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
#endif
}

static void pin(int cpu) {
#ifdef _WIN32
  SetProcessAffinityMask(GetCurrentProcess(), (DWORD_PTR)1 << cpu);
#else
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  sched_setaffinity(0, sizeof s, &s);
#endif
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void begin(const char *group, const char *c) {
  printf("BEGIN\t%s\t%s\n", group, c);
  fflush(stdout);
}

/* cpu: CPU time of the measured part, ops: the operations it did (warm-up included). */
static void report(const char *group, const char *c, double *v, int n, double cpu, double ops) {
  char cpu_s[64];
  qsort(v, n, sizeof *v, cmp);
  if (cpu == cpu) /* not NaN (printf spells NaN differently in msvcrt) */
    snprintf(cpu_s, sizeof cpu_s, "%.1f", cpu / ops);
  else
    snprintf(cpu_s, sizeof cpu_s, "nan");
  printf("RESULT\t%s\t%s\t%.1f\t%.1f\t%s\t%.0f\n", group, c, v[(int)((n - 1) * 0.5 + 0.5)],
         v[(int)((n - 1) * 0.99 + 0.5)], cpu_s, ops);
  fflush(stdout);
}

/* The second process's CPU time, handed over in a small named section. */
static double *cpu_slot(BOOL create, HANDLE *h) {
  char n[128];
  sprintf(n, "Local\\w32b-%s-cpu", tag);
  *h = create ? CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, n)
              : OpenFileMappingA(FILE_MAP_WRITE, FALSE, n);
  if (!*h) {
    fprintf(stderr, "section %s: %lu\n", n, (unsigned long)GetLastError());
    exit(1);
  }
  double *p = MapViewOfFile(*h, FILE_MAP_WRITE, 0, 0, 0);
  if (!p) {
    fprintf(stderr, "view %s: %lu\n", n, (unsigned long)GetLastError());
    exit(1);
  }
  return p;
}


static HANDLE spawn(const char *args) {
  char cmd[2048];
  STARTUPINFOA si;
  PROCESS_INFORMATION pi;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  snprintf(cmd, sizeof cmd, "\"%s\" child %s %s", self, tag, args);
  if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
    fprintf(stderr, "CreateProcess failed: %lu\n", (unsigned long)GetLastError());
    exit(1);
  }
  CloseHandle(pi.hThread);
  return pi.hProcess;
}

static void name(char *out, const char *what, int i) { sprintf(out, "Local\\w32b-%s-%s-%d", tag, what, i); }

static HANDLE ev(const char *what, int i, BOOL create, BOOL initial) {
  char n[128];
  name(n, what, i);
  HANDLE h = create ? CreateEventA(NULL, FALSE, initial, n) : OpenEventA(EVENT_ALL_ACCESS, FALSE, n);
  if (!h) {
    fprintf(stderr, "event %s: %lu\n", n, (unsigned long)GetLastError());
    exit(1);
  }
  return h;
}

/* Second process: N-object ping-pong (N=1: WaitForSingleObject), or mutex owner. */
static int child(int argc, char **argv) {
  pin(1);
  if (argc >= 5 && strcmp(argv[3], "pp") == 0) {
    int n = atoi(argv[4]), total = atoi(argv[5]);
    HANDLE hs[64];
    for (int i = 0; i < n - 1; i++) hs[i] = ev("idle", i, FALSE, FALSE);
    hs[n - 1] = ev("ping", n, FALSE, FALSE);
    HANDLE pong = ev("pong", n, FALSE, FALSE);
    HANDLE ready = ev("ready", n, FALSE, FALSE);
    HANDLE sec;
    double *cpu = cpu_slot(FALSE, &sec);
    SetEvent(ready);
    double c0 = cpu_ns();
    for (int i = 0; i < total; i++) {
      DWORD r = n == 1 ? WaitForSingleObject(hs[0], INFINITE) : WaitForMultipleObjects(n, hs, FALSE, INFINITE);
      if (r != WAIT_OBJECT_0 + (DWORD)(n - 1)) return 2;
      SetEvent(pong);
    }
    *cpu = cpu_ns() - c0;
    UnmapViewOfFile(cpu);
    CloseHandle(sec);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[3], "own") == 0) {
    char n[128];
    name(n, "abandon", 0);
    HANDLE m = OpenMutexA(MUTEX_ALL_ACCESS, FALSE, n);
    if (!m || WaitForSingleObject(m, INFINITE) != WAIT_OBJECT_0) return 2;
    SetEvent(ev("owned", 0, FALSE, FALSE));
    Sleep(INFINITE);
  }
  return 3;
}

static void pingpong(int n, int count, const char *group, const char *c) {
  int warm = count / 10 > 50 ? count / 10 : 50, total = count + warm;
  HANDLE idle[64];
  for (int i = 0; i < n - 1; i++) idle[i] = ev("idle", i, TRUE, FALSE);
  HANDLE ping = ev("ping", n, TRUE, FALSE), pong = ev("pong", n, TRUE, FALSE);
  HANDLE ready = ev("ready", n, TRUE, FALSE);
  HANDLE sec;
  double *child_cpu = cpu_slot(TRUE, &sec);
  *child_cpu = 0.0 / 0.0;
  char args[64];
  sprintf(args, "pp %d %d", n, total);
  begin(group, c);
  HANDLE p = spawn(args);
  WaitForSingleObject(ready, INFINITE);
  double *v = malloc(sizeof(double) * count);
  double c0 = cpu_ns();
  for (int i = 0; i < total; i++) {
    double t = now_ns();
    SetEvent(ping);
    WaitForSingleObject(pong, INFINITE);
    if (i >= warm) v[i - warm] = now_ns() - t;
  }
  double mine = cpu_ns() - c0;
  WaitForSingleObject(p, INFINITE);
  CloseHandle(p);
  report(group, c, v, count, mine + *child_cpu, total);
  UnmapViewOfFile(child_cpu);
  CloseHandle(sec);
  free(v);
  for (int i = 0; i < n - 1; i++) CloseHandle(idle[i]);
  CloseHandle(ping);
  CloseHandle(pong);
  CloseHandle(ready);
}

#define BATCHED(group, c, batches, per, body)                                    \
  do {                                                                           \
    double *v_ = malloc(sizeof(double) * (batches));                             \
    begin(group, c);                                                             \
    double c_ = cpu_ns();                                                        \
    for (int i_ = 0; i_ < (per); i_++) { body; }                                 \
    for (int b_ = 0; b_ < (batches); b_++) {                                     \
      double t_ = now_ns();                                                      \
      for (int i_ = 0; i_ < (per); i_++) { body; }                               \
      v_[b_] = (now_ns() - t_) / (per);                                          \
    }                                                                            \
    report(group, c, v_, batches, cpu_ns() - c_, (double)((batches) + 1) * (per)); \
    free(v_);                                                                    \
  } while (0)

#define EACH(group, c, iters, body)                                              \
  do {                                                                           \
    double *v_ = malloc(sizeof(double) * (iters));                               \
    begin(group, c);                                                             \
    double c_ = cpu_ns();                                                        \
    for (int i_ = 0; i_ < 2; i_++) { body; }                                     \
    for (int i_ = 0; i_ < (iters); i_++) {                                       \
      double t_ = now_ns();                                                      \
      body;                                                                      \
      v_[i_] = now_ns() - t_;                                                    \
    }                                                                            \
    report(group, c, v_, iters, cpu_ns() - c_, (double)(iters) + 2);             \
    free(v_);                                                                    \
  } while (0)

/* The second thread of the "2 threads" rows: WaitForSingleObject + ReleaseMutex on a mutex of its
 * own until told to stop. */
static volatile LONG stop_other;
static DWORD WINAPI other_thread(LPVOID arg) {
  HANDLE m = (HANDLE)arg;
#ifndef _WIN32
  pin(1);
#else
  SetThreadAffinityMask(GetCurrentThread(), 2);
#endif
  while (!stop_other) {
    for (int i = 0; i < 100; i++) {
      WaitForSingleObject(m, INFINITE);
      ReleaseMutex(m);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  LARGE_INTEGER f;
  QueryPerformanceFrequency(&f);
  freq_ns = 1e9 / (double)f.QuadPart;
  snprintf(self, sizeof self, "%s", argv[0]);
  if (argc >= 3 && strcmp(argv[1], "child") == 0) {
    snprintf(tag, sizeof tag, "%s", argv[2]);
    return child(argc, argv);
  }
  int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  snprintf(tag, sizeof tag, "%lu", (unsigned long)GetCurrentProcessId());
  pin(0);
  int count = quick ? 200 : 5000;
  pingpong(1, count, "pingpong", "round trip");
  pingpong(1, count, "waitany", "N=1");
  pingpong(8, count, "waitany", "N=8");
  pingpong(64, count, "waitany", "N=64");

  int batches = quick ? 20 : 100, per = quick ? 100 : 1000;
  HANDLE m = CreateMutexA(NULL, FALSE, "Local\\w32b-mutex");
  BATCHED("mutex", "lock+unlock", batches, per, {
    WaitForSingleObject(m, INFINITE);
    ReleaseMutex(m);
  });
  {
    /* Two threads, each on a mutex of its own (this one measured). */
    HANDLE m2 = CreateMutexA(NULL, FALSE, NULL);
    stop_other = 0;
    HANDLE t = CreateThread(NULL, 0, other_thread, m2, 0, NULL);
    BATCHED("mutex", "lock+unlock, 2 threads", batches, per, {
      WaitForSingleObject(m, INFINITE);
      ReleaseMutex(m);
    });
    stop_other = 1;
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    CloseHandle(m2);
  }
  CloseHandle(m);
  HANDLE s = CreateSemaphoreA(NULL, 0, 0x7fffffff, "Local\\w32b-sem");
  BATCHED("semrelease", "release(1)", batches, per, ReleaseSemaphore(s, 1, NULL));
  CloseHandle(s);
  HANDLE e = CreateEventA(NULL, FALSE, FALSE, "Local\\w32b-event");
  BATCHED("setevent", "set", batches, per, SetEvent(e));
  CloseHandle(e);

  const char *labels[] = {"4 KiB", "64 KiB", "1 MiB", "64 MiB"};
  SIZE_T sizes[] = {4 << 10, 64 << 10, 1 << 20, 64 << 20};
  int iters[] = {2000, 1000, 300, 15};
  for (int k = 0; k < 4; k++) {
    SIZE_T size = sizes[k];
    int it = quick ? (iters[k] / 50 > 3 ? iters[k] / 50 : 3) : iters[k];
    EACH("create", labels[k], it, {
      HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, (DWORD)size, "Local\\w32b-create");
      void *p = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
      memset(p, 0xA5, size);
      UnmapViewOfFile(p);
      CloseHandle(h);
    });
  }
  HANDLE keep = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 64 << 10, "Local\\w32b-open");
  EACH("open", "64 KiB", quick ? 50 : 2000, {
    HANDLE h = OpenFileMappingA(FILE_MAP_READ, FALSE, "Local\\w32b-open");
    const void *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    UnmapViewOfFile(p);
    CloseHandle(h);
  });
  CloseHandle(keep);

  /* Abandonment: the second process owns the mutex; this thread calls TerminateProcess and then
   * waits on the mutex until WAIT_ABANDONED: timed from just before TerminateProcess (the waiter
   * is not yet asleep when the owner dies, unlike the Rust rows). */
  {
    int n = quick ? 5 : 50;
    double *v = malloc(sizeof(double) * n);
    char mn[128];
    name(mn, "abandon", 0);
    HANDLE am = CreateMutexA(NULL, FALSE, mn);
    HANDLE owned = ev("owned", 0, TRUE, FALSE);
    begin("abandon", "kill → waiter");
    for (int i = 0; i < n; i++) {
      HANDLE p = spawn("own");
      WaitForSingleObject(owned, INFINITE);
      double t = now_ns();
      TerminateProcess(p, 9);
      DWORD r = WaitForSingleObject(am, INFINITE);
      v[i] = now_ns() - t;
      if (r != WAIT_ABANDONED) {
        fprintf(stderr, "expected WAIT_ABANDONED, got %lu\n", (unsigned long)r);
        return 1;
      }
      ReleaseMutex(am);
      WaitForSingleObject(p, INFINITE);
      CloseHandle(p);
    }
    /* The killed owner cannot report its CPU time: not measured. */
    report("abandon", "kill → waiter", v, n, 0.0 / 0.0, n);
    free(v);
    CloseHandle(am);
    CloseHandle(owned);
  }
  return 0;
}
