/* Producer/consumer over a named section with a mutex and two semaphores (C99), the library-
   with-a-Windows-backend style: ring.h's API over Win32, in a single file. The consumer is the
   same program started with _spawnv; results go through the section.
   Usage: prodcons_c99 <items> */
#include <windows.h>
#include <winbase.h>
#include <synchapi.h>
#include <memoryapi.h>
#include <handleapi.h>
#include <process.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8
typedef struct {
    LONG head, tail;
    LONG items[SLOTS];
    LONGLONG consumed_sum;
    char status[32];
} ring_t;

typedef struct {
    HANDLE map, lock, free_slots, used_slots;
    ring_t *ring;
} ring_handle;

static int ring_open(ring_handle *r, int create)
{
    if (create)
        r->map = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(ring_t),
                                    "Local\\fmap_corpus_ring");
    else
        r->map = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, "Local\\fmap_corpus_ring");
    r->lock = CreateMutexA(NULL, FALSE, "Local\\fmap_corpus_ring_lock");
    r->free_slots = CreateSemaphoreA(NULL, SLOTS, SLOTS, "Local\\fmap_corpus_ring_free");
    r->used_slots = CreateSemaphoreA(NULL, 0, SLOTS, "Local\\fmap_corpus_ring_used");
    if (!r->map || !r->lock || !r->free_slots || !r->used_slots)
        return 0;
    r->ring = (ring_t *)MapViewOfFile(r->map, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    return r->ring != NULL;
}

static void ring_close(ring_handle *r)
{
    UnmapViewOfFile(r->ring);
    CloseHandle(r->used_slots);
    CloseHandle(r->free_slots);
    CloseHandle(r->lock);
    CloseHandle(r->map);
}

static int consumer(int n)
{
    ring_handle r;
    if (!ring_open(&r, 0))
        return 1;
    LONGLONG sum = 0;
    for (int i = 0; i < n; i++) {
        if (WaitForSingleObject(r.used_slots, 10000) != WAIT_OBJECT_0)
            return 2;
        WaitForSingleObject(r.lock, INFINITE);
        sum += r.ring->items[r.ring->tail];
        r.ring->tail = (r.ring->tail + 1) % SLOTS;
        ReleaseMutex(r.lock);
        ReleaseSemaphore(r.free_slots, 1, NULL);
    }
    r.ring->consumed_sum = sum;
    strncpy_s(r.ring->status, sizeof r.ring->status, "consumer finished early", 17);
    ring_close(&r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "consumer") == 0)
        return consumer(atoi(argv[2]));
    int n = argc > 1 ? atoi(argv[1]) : 100;
    ring_handle r;
    if (!ring_open(&r, 1)) {
        printf("ring_open failed (%lu)\n", GetLastError());
        return 1;
    }
    char count[16];
    _snprintf(count, sizeof count, "%d", n);
    const char *args[] = {argv[0], "consumer", count, NULL};
    intptr_t child = _spawnv(_P_NOWAIT, argv[0], args);
    if (child == -1)
        return 1;
    LONGLONG sum = 0;
    for (int i = 1; i <= n; i++) {
        WaitForSingleObject(r.free_slots, INFINITE);
        WaitForSingleObject(r.lock, INFINITE);
        r.ring->items[r.ring->head] = i;
        r.ring->head = (r.ring->head + 1) % SLOTS;
        ReleaseMutex(r.lock);
        ReleaseSemaphore(r.used_slots, 1, NULL);
        sum += i;
    }
    int status = -1;
    _cwait(&status, child, _WAIT_CHILD);
    char line[128]; /* sprintf_s takes MSVC's %I64d (glibc's printf does not) */
    sprintf_s(line, sizeof line, "producer: %d items, sum %I64d; consumer (exit %d, %s) summed %I64d",
              n, sum, status, r.ring->status, r.ring->consumed_sum);
    puts(line);
    ring_close(&r);
    return status;
}
