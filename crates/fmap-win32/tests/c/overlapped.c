/* ReadFile/WriteFile with an OVERLAPPED (issue 13, part 5): on a handle opened without
   FILE_FLAG_OVERLAPPED the offset comes from the OVERLAPPED, Internal/InternalHigh are set, the
   event is set, the file pointer follows, a read at the end fails with ERROR_HANDLE_EOF, and
   GetOverlappedResult reports the outcome. A FILE_FLAG_OVERLAPPED handle may complete at once
   (here it always does) or report ERROR_IO_PENDING (Windows may); either way
   GetOverlappedResult gives Windows' results.
   Usage: overlapped <scratch directory> */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

#define STATUS_SUCCESS_ 0
#define STATUS_END_OF_FILE_ 0xC0000011

static char g_path[MAX_PATH];

static DWORD pos(HANDLE h)
{
    return SetFilePointer(h, 0, NULL, FILE_CURRENT);
}

static void at(OVERLAPPED *ov, DWORD offset, HANDLE event)
{
    ZeroMemory(ov, sizeof *ov);
    ov->Offset = offset;
    ov->hEvent = event;
}

static void synchronous_handle(void)
{
    HANDLE h, ro, ev, mx;
    OVERLAPPED ov;
    DWORD n = 0, t = 0;
    char buf[32];

    h = CreateFileA(g_path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    CHECK(h != INVALID_HANDLE_VALUE);
    CHECK(WriteFile(h, "0123456789", 10, &n, NULL) && n == 10);

    /* the offset comes from the OVERLAPPED; the file pointer follows */
    at(&ov, 3, NULL);
    CHECK(ReadFile(h, buf, 4, &n, &ov));
    CHECK(n == 4 && memcmp(buf, "3456", 4) == 0);
    CHECK(ov.Internal == STATUS_SUCCESS_ && ov.InternalHigh == 4);
    CHECK(HasOverlappedIoCompleted(&ov));
    CHECK(pos(h) == 7);
    CHECK(GetOverlappedResult(h, &ov, &t, FALSE) && t == 4);
    CHECK(GetOverlappedResult(h, &ov, &t, TRUE) && t == 4);
    CHECK(ov.Offset == 3); /* not moved */

    /* a short read at the end */
    at(&ov, 8, NULL);
    CHECK(ReadFile(h, buf, sizeof buf, &n, &ov) && n == 2 && memcmp(buf, "89", 2) == 0);
    CHECK(ov.Internal == STATUS_SUCCESS_ && ov.InternalHigh == 2);
    CHECK(pos(h) == 10);

    /* at or past the end: ERROR_HANDLE_EOF */
    for (DWORD off = 10; off <= 1000; off += 990) {
        at(&ov, off, NULL);
        n = 55;
        CHECK_FAILS(ReadFile(h, buf, 4, &n, &ov), FALSE, ERROR_HANDLE_EOF);
        CHECK(n == 0);
        CHECK(ov.Internal == STATUS_END_OF_FILE_ && ov.InternalHigh == 0);
        t = 55;
        CHECK_FAILS(GetOverlappedResult(h, &ov, &t, FALSE), FALSE, ERROR_HANDLE_EOF);
        CHECK(t == 0);
        CHECK_FAILS(GetOverlappedResult(h, &ov, &t, TRUE), FALSE, ERROR_HANDLE_EOF);
    }
    /* a read of 0 bytes succeeds, also at the end */
    at(&ov, 20, NULL);
    CHECK(ReadFile(h, buf, 0, &n, &ov) && n == 0);
    CHECK(ov.Internal == STATUS_SUCCESS_ && ov.InternalHigh == 0);
    /* without an OVERLAPPED the end of the file is a successful read of 0 bytes */
    CHECK(SetFilePointer(h, 10, NULL, FILE_BEGIN) == 10);
    CHECK(ReadFile(h, buf, 4, &n, NULL) && n == 0);

    /* writes: at the offset, past the end (the gap reads as zeros), at the end (all ones) */
    at(&ov, 2, NULL);
    CHECK(WriteFile(h, "ab", 2, &n, &ov) && n == 2);
    CHECK(ov.Internal == STATUS_SUCCESS_ && ov.InternalHigh == 2);
    CHECK(pos(h) == 4);
    CHECK(GetOverlappedResult(h, &ov, &t, FALSE) && t == 2);
    at(&ov, 12, NULL);
    CHECK(WriteFile(h, "Z", 1, &n, &ov) && n == 1);
    CHECK(GetFileSize(h, NULL) == 13 && pos(h) == 13);
    at(&ov, 0xFFFFFFFF, NULL);
    ov.OffsetHigh = 0xFFFFFFFF;
    CHECK(SetFilePointer(h, 0, NULL, FILE_BEGIN) == 0);
    CHECK(WriteFile(h, "E", 1, &n, &ov) && n == 1);
    CHECK(GetFileSize(h, NULL) == 14);
    at(&ov, 0, NULL);
    CHECK(ReadFile(h, buf, sizeof buf, &n, &ov) && n == 14);
    CHECK(memcmp(buf, "01ab456789\0\0ZE", 14) == 0);

    /* the event is set when the operation completes */
    ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    at(&ov, 1, ev);
    CHECK(ReadFile(h, buf, 2, &n, &ov) && n == 2 && memcmp(buf, "1a", 2) == 0);
    CHECK(WaitForSingleObject(ev, 0) == WAIT_OBJECT_0);
    CHECK(GetOverlappedResult(h, &ov, &t, TRUE) && t == 2);
    CHECK(ResetEvent(ev));
    at(&ov, 100, ev);
    CHECK_FAILS(ReadFile(h, buf, 2, &n, &ov), FALSE, ERROR_HANDLE_EOF);
    CHECK(WaitForSingleObject(ev, 0) == WAIT_OBJECT_0); /* also when it fails */

    /* failures before the transfer leave Internal at STATUS_PENDING */
    mx = CreateMutexA(NULL, FALSE, NULL);
    at(&ov, 0, mx);
    CHECK_FAILS(ReadFile(h, buf, 2, &n, &ov), FALSE, ERROR_INVALID_HANDLE);
    CHECK(ov.Internal == STATUS_PENDING && !HasOverlappedIoCompleted(&ov));
    CHECK_FAILS(GetOverlappedResult(h, &ov, &t, FALSE), FALSE, ERROR_IO_INCOMPLETE);
    ro = CreateFileA(g_path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(ro != INVALID_HANDLE_VALUE);
    at(&ov, 0, NULL);
    CHECK_FAILS(ReadFile(ro, buf, 2, &n, &ov), FALSE, ERROR_ACCESS_DENIED);
    CHECK(ov.Internal == STATUS_PENDING);
    CHECK_FAILS(WriteFile(ro, buf, 2, &n, &ov), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(ReadFile((HANDLE)(ULONG_PTR)0x7ff0, buf, 2, &n, &ov), FALSE,
                ERROR_INVALID_HANDLE);

    /* GetOverlappedResult on an operation still marked pending: bWait waits for the event */
    at(&ov, 0, ev);
    ov.Internal = STATUS_PENDING;
    ov.InternalHigh = 9;
    CHECK_FAILS(GetOverlappedResult(h, &ov, &t, FALSE), FALSE, ERROR_IO_INCOMPLETE);
    CHECK(SetEvent(ev));
    CHECK(GetOverlappedResult(h, &ov, &t, TRUE) && t == 9);

    CloseHandle(mx);
    CloseHandle(ev);
    CloseHandle(ro);
    CloseHandle(h);
}

static void overlapped_handle(void)
{
    HANDLE h, ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    OVERLAPPED ov;
    DWORD n = 0, t = 0;
    BOOL ok;
    char buf[16];

    h = CreateFileA(g_path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                    FILE_FLAG_OVERLAPPED, NULL);
    CHECK(h != INVALID_HANDLE_VALUE);
    /* an OVERLAPPED is required */
    CHECK_FAILS(ReadFile(h, buf, 2, &n, NULL), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WriteFile(h, buf, 2, &n, NULL), FALSE, ERROR_INVALID_PARAMETER);

    at(&ov, 2, ev);
    ok = ReadFile(h, buf, 4, &n, &ov);
    if (!ok)
        CHECK(GetLastError() == ERROR_IO_PENDING);
    else
        CHECK(n == 4);
    CHECK(GetOverlappedResult(h, &ov, &t, TRUE) && t == 4 && memcmp(buf, "ab45", 4) == 0);
    CHECK(WaitForSingleObject(ev, 0) == WAIT_OBJECT_0);
    CHECK(pos(h) == 0); /* an overlapped handle's file pointer does not move */

    at(&ov, 3, ev);
    ok = WriteFile(h, "X", 1, &n, &ov);
    CHECK(ok || GetLastError() == ERROR_IO_PENDING);
    CHECK(GetOverlappedResult(h, &ov, &t, TRUE) && t == 1);

    at(&ov, 14, ev);
    ok = ReadFile(h, buf, 4, &n, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING) {
        CHECK_FAILS(GetOverlappedResult(h, &ov, &t, TRUE), FALSE, ERROR_HANDLE_EOF);
    } else {
        CHECK(!ok && GetLastError() == ERROR_HANDLE_EOF);
        CHECK_FAILS(GetOverlappedResult(h, &ov, &t, TRUE), FALSE, ERROR_HANDLE_EOF);
    }
    CHECK(t == 0);

    at(&ov, 0, NULL);
    ok = ReadFile(h, buf, 5, &n, &ov);
    CHECK(ok || GetLastError() == ERROR_IO_PENDING);
    CHECK(GetOverlappedResult(h, &ov, &t, TRUE) && t == 5 && memcmp(buf, "01aX4", 5) == 0);
    CloseHandle(h);
    CloseHandle(ev);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: overlapped <scratch directory>\n");
        return 2;
    }
    snprintf(g_path, sizeof g_path, "%s/overlapped.dat", argv[1]);
    synchronous_handle();
    overlapped_handle();
    DeleteFileA(g_path);
    return checks_done("overlapped");
}
