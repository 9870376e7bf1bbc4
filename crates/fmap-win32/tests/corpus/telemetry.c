/* A telemetry publisher and reader in the style of game/simulator telemetry code (C99, MSVC CRT):
   the publisher writes samples into a named section and signals a named auto-reset event; the
   reader opens the section read-only and prints what it sees.
   Usage: telemetry <samples>   (starts the reader itself with _spawnl and waits with _cwait) */
#include <Windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <process.h>

#define MAP_NAME "Local\\FmapTelemetry"
#define EVT_NAME "Local\\FmapTelemetryNew"
#define DONE_NAME "Local\\FmapTelemetryRead"

#pragma pack(push, 4)
typedef struct {
    volatile LONG seq;
    DWORD count;
    double speed;
    __int64 stamp;
    char car[32];
} TELEMETRY;
#pragma pack(pop)

static int reader(int samples)
{
    HANDLE map = NULL;
    for (int tries = 0; map == NULL && tries < 200; tries++) {
        map = OpenFileMappingA(FILE_MAP_READ, FALSE, MAP_NAME);
        if (map == NULL)
            Sleep(10);
    }
    if (map == NULL) {
        printf("reader: OpenFileMapping failed (%lu)\n", GetLastError());
        return 1;
    }
    const TELEMETRY *t = (const TELEMETRY *)MapViewOfFile(map, FILE_MAP_READ, 0, 0, sizeof *t);
    HANDLE ev = OpenEventA(SYNCHRONIZE, FALSE, EVT_NAME);
    HANDLE done = OpenEventA(EVENT_MODIFY_STATE, FALSE, DONE_NAME);
    if (!t || !ev || !done) {
        printf("reader: open failed (%lu)\n", GetLastError());
        return 1;
    }
    double total = 0;
    char line[128];
    for (int i = 0; i < samples; i++) {
        if (WaitForSingleObject(ev, 10000) != WAIT_OBJECT_0) {
            printf("reader: timeout\n");
            return 1;
        }
        total += t->speed;
        sprintf_s(line, sizeof line, "%s #%lu %.1f", t->car, (unsigned long)t->count, t->speed);
        SetEvent(done);
    }
    printf("reader: last '%s', %d samples, total %.1f\n", line, samples, total);
    UnmapViewOfFile(t);
    CloseHandle(ev);
    CloseHandle(done);
    CloseHandle(map);
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc == 3 && _stricmp(argv[1], "READER") == 0)
        return reader(atoi(argv[2]));
    int samples = argc > 1 ? atoi(argv[1]) : 10;

    HANDLE map = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                    sizeof(TELEMETRY), MAP_NAME);
    if (map == NULL) {
        printf("CreateFileMapping failed (%lu)\n", GetLastError());
        return 1;
    }
    TELEMETRY *t = (TELEMETRY *)MapViewOfFile(map, FILE_MAP_ALL_ACCESS, 0, 0, sizeof *t);
    HANDLE ev = CreateEventA(NULL, FALSE, FALSE, EVT_NAME);
    HANDLE done = CreateEventA(NULL, FALSE, FALSE, DONE_NAME);
    strcpy_s(t->car, sizeof t->car, "fmap-gt");

    char count[16];
    _itoa_s(samples, count, sizeof count, 10);
    intptr_t child = _spawnl(_P_NOWAIT, argv[0], argv[0], "reader", count, NULL);
    if (child == -1) {
        printf("_spawnl failed (errno %d)\n", errno);
        return 1;
    }
    for (int i = 1; i <= samples; i++) {
        t->count = (DWORD)i;
        t->speed = i * 1.5;
        t->stamp = _time64(NULL);
        t->seq++;
        SetEvent(ev);
        if (WaitForSingleObject(done, 10000) != WAIT_OBJECT_0) {
            printf("publisher: reader did not acknowledge\n");
            return 1;
        }
    }
    int status = -1;
    if (_cwait(&status, child, _WAIT_CHILD) == -1) {
        printf("_cwait failed\n");
        return 1;
    }
    struct tm now;
    time_t secs = (time_t)t->stamp;
    char when[32];
    if (localtime_s(&now, &secs) != 0 || strftime(when, sizeof when, "%Y", &now) == 0)
        return 1;
    printf("publisher: %d samples, reader exit %d, year %s\n", samples, status,
           atoi(when) >= 2024 ? "ok" : when);
    UnmapViewOfFile(t);
    CloseHandle(ev);
    CloseHandle(done);
    CloseHandle(map);
    return status;
}
