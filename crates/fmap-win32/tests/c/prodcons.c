/* Producer/consumer across two processes: a ring buffer in a named section, guarded by a named
   mutex, with named auto-reset events saying "items available" and "space available".
   Usage: prodcons [items]   (the producer; it starts itself as the consumer) */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 8

typedef struct {
    LONG count, head, tail, done;
    LONG item[SLOTS];
} RING;

static HANDLE g_section, g_lock, g_items, g_space, g_consumer;
static RING *g_ring;

static int open_objects(BOOL create)
{
    if (create) {
        g_section = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(RING),
                                       "Local\\pc_ring");
        g_lock = CreateMutexA(NULL, FALSE, "Local\\pc_lock");
        g_items = CreateEventA(NULL, FALSE, FALSE, "Local\\pc_items");
        g_space = CreateEventA(NULL, FALSE, FALSE, "Local\\pc_space");
    } else {
        g_section = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, "Local\\pc_ring");
        g_lock = OpenMutexA(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, "Local\\pc_lock");
        g_items = OpenEventA(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, "Local\\pc_items");
        g_space = OpenEventA(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, "Local\\pc_space");
    }
    if (!g_section || !g_lock || !g_items || !g_space) {
        printf("cannot %s the objects (%lu)\n", create ? "create" : "open",
               (unsigned long)GetLastError());
        return 0;
    }
    g_ring = (RING *)MapViewOfFile(g_section, FILE_MAP_ALL_ACCESS, 0, 0, sizeof(RING));
    return g_ring != NULL;
}

/* Waits for `h`; on a timeout says who was stuck on what, with the ring's state. */
static int wait_for(HANDLE h, const char *who, const char *what)
{
    HANDLE hs[2] = {h, g_consumer};
    DWORD code = 0;
    /* the producer also watches the consumer process, in case it dies */
    DWORD r = WaitForMultipleObjects(g_consumer ? 2 : 1, hs, FALSE, 10000);
    if (r == WAIT_OBJECT_0)
        return 1;
    if (r == WAIT_OBJECT_0 + 1) {
        GetExitCodeProcess(g_consumer, &code);
        fprintf(stderr, "%s: the consumer ended (exit code %lu) while waiting for %s\n", who,
                (unsigned long)code, what);
        return 0;
    }
    fprintf(stderr, "%s: waiting for %s returned %lu (count %ld, done %ld)\n", who, what,
            (unsigned long)r, (long)g_ring->count, (long)g_ring->done);
    return 0;
}

static int consume(void)
{
    long long sum = 0;
    LONG n = 0;
    for (;;) {
        LONG v = 0;
        int got = 0, finished = 0;
        if (!wait_for(g_lock, "consumer", "the lock"))
            return 2;
        if (g_ring->count > 0) {
            v = g_ring->item[g_ring->tail];
            g_ring->tail = (g_ring->tail + 1) % SLOTS;
            g_ring->count--;
            got = 1;
        } else if (g_ring->done) {
            finished = 1;
        }
        ReleaseMutex(g_lock);
        if (finished)
            break;
        if (got) {
            sum += v;
            n++;
            SetEvent(g_space);
        } else if (!wait_for(g_items, "consumer", "items")) {
            return 3;
        }
    }
    printf("consumer: %ld items, sum %lld\n", (long)n, sum);
    return 0;
}

int main(int argc, char **argv)
{
    PROCESS_INFORMATION pi;
    STARTUPINFOA si;
    char line[2 * MAX_PATH];
    LONG items = 2000, i;
    DWORD code = 1;

    if (argc > 1 && strcmp(argv[1], "consume") == 0)
        return open_objects(FALSE) ? consume() : 1;
    if (argc > 1)
        items = atol(argv[1]);
    if (!open_objects(TRUE))
        return 1;

    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    snprintf(line, sizeof line, "\"%s\" consume", argv[0]);
    fflush(stdout);
    if (!CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
        printf("CreateProcess failed (%lu)\n", (unsigned long)GetLastError());
        return 1;
    }
    g_consumer = pi.hProcess;
    for (i = 1; i <= items;) {
        int put = 0;
        if (!wait_for(g_lock, "producer", "the lock"))
            return 2;
        if (g_ring->count < SLOTS) {
            g_ring->item[g_ring->head] = i;
            g_ring->head = (g_ring->head + 1) % SLOTS;
            g_ring->count++;
            put = 1;
        }
        ReleaseMutex(g_lock);
        if (put) {
            i++;
            SetEvent(g_items);
        } else if (!wait_for(g_space, "producer", "space")) {
            return 3;
        }
    }
    if (!wait_for(g_lock, "producer", "the lock"))
        return 2;
    g_ring->done = 1;
    ReleaseMutex(g_lock);
    SetEvent(g_items);

    g_consumer = NULL;
    if (WaitForSingleObject(pi.hProcess, 30000) != WAIT_OBJECT_0 ||
        !GetExitCodeProcess(pi.hProcess, &code)) {
        printf("the consumer did not finish\n");
        return 1;
    }
    printf("producer: %ld items, expected sum %lld, consumer exit code %lu\n", (long)items,
           (long long)items * (items + 1) / 2, (unsigned long)code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    UnmapViewOfFile(g_ring);
    CloseHandle(g_section);
    CloseHandle(g_lock);
    CloseHandle(g_items);
    CloseHandle(g_space);
    return (int)code;
}
