/* Return values and last-error codes of the section, synchronization, handle, wait and file
   functions: every code the behavioural spec lists for them. Single process (see procs.c for
   the cross-process cases). Usage: errors <scratch directory> */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

static DWORD WINAPI set_error_thread(LPVOID p)
{
    SetLastError(1234);
    *(DWORD *)p = GetLastError();
    return 0;
}

static DWORD WINAPI release_foreign_mutex(LPVOID p)
{
    SetLastError(0);
    BOOL ok = ReleaseMutex((HANDLE)p);
    return ok ? 0 : GetLastError();
}

static DWORD WINAPI take_and_exit(LPVOID p)
{
    return WaitForSingleObject((HANDLE)p, 5000);
}

static void last_error_rules(void)
{
    HANDLE m, m2, e, e2, s, s2, f, f2;
    char longname[300];

    SetLastError(0xdeadbeef);
    m = CreateMutexA(NULL, FALSE, "errs_obj");
    CHECK(m != NULL);
    CHECK(GetLastError() == 0); /* a new object clears the last error */
    SetLastError(0xdeadbeef);
    m2 = CreateMutexA(NULL, TRUE, "errs_obj");
    CHECK(m2 != NULL && m2 != m);
    CHECK(GetLastError() == ERROR_ALREADY_EXISTS);
    CHECK_FAILS(ReleaseMutex(m2), FALSE, ERROR_NOT_OWNER); /* bInitialOwner was ignored */

    SetLastError(0xdeadbeef);
    e = CreateEventA(NULL, TRUE, FALSE, "errs_ev");
    CHECK(e != NULL && GetLastError() == 0);
    e2 = CreateEventA(NULL, FALSE, TRUE, "errs_ev");
    CHECK(e2 != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    CHECK(WaitForSingleObject(e2, 0) == WAIT_TIMEOUT); /* initial state ignored */
    SetLastError(0xdeadbeef);
    s = CreateSemaphoreA(NULL, 1, 3, "errs_sem");
    CHECK(s != NULL && GetLastError() == 0);
    s2 = CreateSemaphoreA(NULL, 0, 1, "errs_sem");
    CHECK(s2 != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    SetLastError(0xdeadbeef);
    f = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, "errs_map");
    CHECK(f != NULL && GetLastError() == 0);
    f2 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 8192, "errs_map");
    CHECK(f2 != NULL && GetLastError() == ERROR_ALREADY_EXISTS);

    /* the name belongs to another type */
    CHECK_FAILS(CreateEventA(NULL, FALSE, FALSE, "errs_obj"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateSemaphoreA(NULL, 0, 1, "errs_obj"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, "errs_obj"),
                NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateMutexA(NULL, FALSE, "errs_map"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenEventA(EVENT_ALL_ACCESS, FALSE, "errs_obj"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "errs_ev"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, "errs_sem"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenSemaphoreA(SYNCHRONIZE, FALSE, "errs_map"), NULL, ERROR_INVALID_HANDLE);

    /* missing names, NULL names, case, Local\, syntax */
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, "errs_nope"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, "errs_nope"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenSemaphoreA(SYNCHRONIZE, FALSE, "errs_nope"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "errs_nope"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, "ERRS_OBJ"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenSemaphoreA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenMutexA(0, FALSE, "errs_obj"), NULL, ERROR_ACCESS_DENIED);
    {
        HANDLE l = OpenMutexA(SYNCHRONIZE, FALSE, "Local\\errs_obj");
        CHECK(l != NULL);
        CloseHandle(l);
    }
    memset(longname, 'x', 260);
    longname[260] = 0;
    CHECK_FAILS(CreateMutexA(NULL, FALSE, longname), NULL, ERROR_FILENAME_EXCED_RANGE);
    CHECK_FAILS(CreateEventA(NULL, FALSE, FALSE, "errs\\sub"), NULL, ERROR_PATH_NOT_FOUND);

    /* waits leave the last error alone, successful or timed out */
    CHECK(SetEvent(e));
    SetLastError(0xdeadbeef);
    CHECK(WaitForSingleObject(e, 0) == WAIT_OBJECT_0);
    CHECK(GetLastError() == 0xdeadbeef);
    CHECK(ResetEvent(e));
    SetLastError(0xdeadbeef);
    CHECK(WaitForSingleObject(e, 10) == WAIT_TIMEOUT);
    CHECK(GetLastError() == 0xdeadbeef);
    SetLastError(0xdeadbeef);
    CHECK(WaitForMultipleObjects(1, &e, FALSE, 0) == WAIT_TIMEOUT);
    CHECK(GetLastError() == 0xdeadbeef);

    /* the last error is per thread */
    {
        DWORD seen = 0;
        HANDLE t;
        SetLastError(77);
        t = CreateThread(NULL, 0, set_error_thread, &seen, 0, NULL);
        CHECK(t != NULL);
        CHECK(WaitForSingleObject(t, 5000) == WAIT_OBJECT_0);
        CHECK(seen == 1234);
        CHECK(GetLastError() == 77);
        CloseHandle(t);
    }

    /* names live while handles do */
    CHECK(CloseHandle(m) && CloseHandle(m2));
    CHECK_FAILS(OpenMutexA(SYNCHRONIZE, FALSE, "errs_obj"), NULL, ERROR_FILE_NOT_FOUND);
    CloseHandle(e);
    CloseHandle(e2);
    CloseHandle(s);
    CloseHandle(s2);
    CloseHandle(f);
    CloseHandle(f2);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "errs_map"), NULL, ERROR_FILE_NOT_FOUND);
}

static void handles(void)
{
    HANDLE e = CreateEventA(NULL, TRUE, TRUE, NULL), m, d, tagged;
    HANDLE pseudo = GetCurrentProcess();

    CHECK(e != NULL);
    tagged = (HANDLE)((ULONG_PTR)e | 3);
    CHECK(WaitForSingleObject(tagged, 0) == WAIT_OBJECT_0); /* low two bits are ignored */
    CHECK(CloseHandle(e));
    CHECK_FAILS(CloseHandle(e), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CloseHandle(NULL), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CloseHandle((HANDLE)(ULONG_PTR)0x12345678), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForSingleObject(e, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForSingleObject(tagged, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForSingleObject(NULL, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SetEvent(e), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(ResetEvent(e), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(PulseEvent(NULL), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(ReleaseMutex(NULL), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(ReleaseSemaphore(e, 1, NULL), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(MapViewOfFile(e, FILE_MAP_READ, 0, 0, 0), NULL, ERROR_INVALID_HANDLE);

    /* pseudo handles */
    CHECK(WaitForSingleObject(pseudo, 0) == WAIT_TIMEOUT);
    CHECK_FAILS(WaitForMultipleObjects(1, &pseudo, FALSE, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(pseudo));

    /* handles of the wrong type */
    m = CreateMutexA(NULL, FALSE, "errs_dup");
    CHECK_FAILS(SetEvent(m), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(ReleaseSemaphore(m, 1, NULL), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0), NULL, ERROR_INVALID_HANDLE);

    /* DuplicateHandle: a new handle that keeps the object (and its name) alive */
    CHECK(DuplicateHandle(pseudo, m, pseudo, &d, 0, FALSE, DUPLICATE_SAME_ACCESS));
    CHECK(d != NULL && d != m);
    CHECK(CloseHandle(m));
    m = OpenMutexA(SYNCHRONIZE, FALSE, "errs_dup");
    CHECK(m != NULL);
    CloseHandle(m);
    CHECK(DuplicateHandle(pseudo, d, pseudo, &m, 0, FALSE,
                          DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
    CHECK(WaitForSingleObject(m, 0) == WAIT_OBJECT_0 && ReleaseMutex(m));
    if (m != d) { /* Windows may hand out the source's value again */
        CHECK_FAILS(WaitForSingleObject(d, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
        CHECK_FAILS(DuplicateHandle(pseudo, d, pseudo, &e, 0, FALSE, DUPLICATE_SAME_ACCESS),
                    FALSE, ERROR_INVALID_HANDLE);
    }
    /* narrowed access: a mutex handle without SYNCHRONIZE cannot be waited on */
    CHECK(DuplicateHandle(pseudo, m, pseudo, &d, MUTEX_MODIFY_STATE, FALSE, 0));
    CHECK_FAILS(WaitForSingleObject(d, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CloseHandle(d);
    CloseHandle(m);
}

static void sections(void)
{
    SYSTEM_INFO si;
    HANDLE h, h2, ro;
    char *v, *v2, *w;

    GetSystemInfo(&si);
    CHECK(si.dwAllocationGranularity == 65536 && si.dwPageSize == 4096);
    CHECK(si.dwNumberOfProcessors >= 1);

    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0, "errs_s0"),
                NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, 0, 0, 4096, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_NOACCESS, 0, 4096, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE, 0, 4096, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READONLY | PAGE_READWRITE, 0,
                                   4096, NULL),
                NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_IMAGE, 0, 4096,
                                   NULL),
                NULL, ERROR_BAD_EXE_FORMAT);
    CHECK_FAILS(CreateFileMappingA(INVALID_HANDLE_VALUE, NULL,
                                   PAGE_READWRITE | SEC_COMMIT | SEC_RESERVE, 0, 4096, NULL),
                NULL, ERROR_INVALID_PARAMETER);

    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 2 * 65536, "errs_sec");
    CHECK(h != NULL);
    /* an existing section keeps its size; the new size is ignored */
    h2 = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4 * 65536, "errs_sec");
    CHECK(h2 != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    CHECK_FAILS(MapViewOfFile(h2, FILE_MAP_READ, 0, 0, 3 * 65536), NULL, ERROR_ACCESS_DENIED);
    CHECK_FAILS(MapViewOfFile(h, FILE_MAP_READ, 0, 4096, 0), NULL, ERROR_MAPPED_ALIGNMENT);
    v = (char *)MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    v2 = (char *)MapViewOfFile(h2, FILE_MAP_READ, 0, 65536, 0);
    CHECK(v != NULL && v2 != NULL);
    CHECK(((ULONG_PTR)v % 65536) == 0);
    strcpy(v + 65536, "aliased");
    CHECK(strcmp(v2, "aliased") == 0);
    CHECK(v[0] == 0); /* fresh sections are zeroed */
    CHECK(FlushViewOfFile(v, 0)); /* nothing to write for pagefile sections */
    CHECK_FAILS(MapViewOfFileEx(h, FILE_MAP_READ, 0, 0, 4096, v + 4096), NULL,
                ERROR_MAPPED_ALIGNMENT);
    CHECK_FAILS(MapViewOfFileEx(h, FILE_MAP_READ, 0, 0, 4096, v), NULL, ERROR_INVALID_ADDRESS);
    CHECK(UnmapViewOfFile(v2 + 100)); /* any address inside the view */
    CHECK_FAILS(UnmapViewOfFile(v2), FALSE, ERROR_INVALID_ADDRESS);
    CHECK_FAILS(UnmapViewOfFile((void *)(ULONG_PTR)0xdeadbeef), FALSE, ERROR_INVALID_ADDRESS);
    CHECK_FAILS(WaitForSingleObject(h, 0), WAIT_FAILED, ERROR_ACCESS_DENIED); /* not waitable */

    /* handle rights: FILE_MAP_READ only; PAGE_READWRITE (= FILE_MAP_READ) used as a mask */
    ro = OpenFileMappingA(FILE_MAP_READ, FALSE, "errs_sec");
    CHECK(ro != NULL);
    CHECK_FAILS(MapViewOfFile(ro, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    w = (char *)MapViewOfFile(ro, FILE_MAP_READ, 0, 65536, 0);
    CHECK(w != NULL && strcmp(w, "aliased") == 0);
    CHECK(UnmapViewOfFile(w));
    CloseHandle(ro);
    ro = OpenFileMappingA(PAGE_READWRITE, FALSE, "errs_sec");
    CHECK(ro != NULL);
    CHECK_FAILS(MapViewOfFile(ro, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    CloseHandle(ro);
    CHECK(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &ro, FILE_MAP_READ, FALSE, 0));
    CHECK_FAILS(MapViewOfFile(ro, FILE_MAP_ALL_ACCESS, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    CloseHandle(ro);

    /* copy-on-write views keep their writes private */
    w = (char *)MapViewOfFile(h, FILE_MAP_COPY, 0, 0, 0);
    CHECK(w != NULL);
    w[0] = 'c';
    CHECK(v[0] == 0);
    CHECK(UnmapViewOfFile(w));

    /* the name goes with the last handle, the memory stays with the view */
    v[0] = 'k';
    CloseHandle(h);
    CloseHandle(h2);
    CHECK(v[0] == 'k');
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "errs_sec"), NULL, ERROR_FILE_NOT_FOUND);
    SetLastError(0xdeadbeef);
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, "errs_sec");
    CHECK(h != NULL && GetLastError() == 0);
    w = (char *)MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    CHECK(w != NULL && w[0] == 0); /* a new, zeroed section */
    UnmapViewOfFile(w);
    UnmapViewOfFile(v);
    CloseHandle(h);

    /* a read-only section refuses writable views */
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READONLY, 0, 4096, NULL);
    CHECK(h != NULL);
    CHECK_FAILS(MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    CloseHandle(h);
}

static void files(const char *dir)
{
    char path[MAX_PATH], missing[MAX_PATH], buf[64];
    DWORD n, high;
    HANDLE f, g, s;
    LARGE_INTEGER li, pos;
    char *v;

    snprintf(path, sizeof path, "%s/errs_file.bin", dir);
    snprintf(missing, sizeof missing, "%s/no_such_dir/x.bin", dir);
    DeleteFileA(path);

    CHECK_FAILS(CreateFileA(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL),
                INVALID_HANDLE_VALUE, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(CreateFileA(missing, GENERIC_READ, 0, NULL, CREATE_NEW, 0, NULL),
                INVALID_HANDLE_VALUE, ERROR_PATH_NOT_FOUND);
    CHECK_FAILS(CreateFileA(path, GENERIC_READ, 0, NULL, 99, 0, NULL), INVALID_HANDLE_VALUE,
                ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    f = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_NEW,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    CHECK(f != INVALID_HANDLE_VALUE && GetLastError() == 0);
    CHECK_FAILS(CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                            CREATE_NEW, 0, NULL),
                INVALID_HANDLE_VALUE, ERROR_FILE_EXISTS);
    /* share modes: f does not share write access */
    CHECK_FAILS(CreateFileA(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                            OPEN_EXISTING, 0, NULL),
                INVALID_HANDLE_VALUE, ERROR_SHARING_VIOLATION);
    SetLastError(0xdeadbeef);
    g = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS, 0,
                    NULL);
    CHECK(g != INVALID_HANDLE_VALUE && GetLastError() == ERROR_ALREADY_EXISTS);

    CHECK(WriteFile(f, "hello, world", 12, &n, NULL) && n == 12);
    CHECK(GetFileSize(f, &high) == 12 && high == 0);
    CHECK(GetFileSizeEx(f, &li) && li.QuadPart == 12);
    CHECK(SetFilePointer(f, 7, NULL, FILE_BEGIN) == 7);
    CHECK(ReadFile(f, buf, sizeof buf, &n, NULL) && n == 5 && memcmp(buf, "world", 5) == 0);
    CHECK(ReadFile(f, buf, sizeof buf, &n, NULL) && n == 0); /* end of file */
    CHECK(SetFilePointer(f, -5, NULL, FILE_END) == 7);
    li.QuadPart = -2;
    CHECK(SetFilePointerEx(f, li, &pos, FILE_CURRENT) && pos.QuadPart == 5);
    CHECK_FAILS(SetFilePointer(f, -100, NULL, FILE_CURRENT), INVALID_SET_FILE_POINTER,
                ERROR_NEGATIVE_SEEK);
    CHECK_FAILS(SetFilePointer(f, 0, NULL, 7), INVALID_SET_FILE_POINTER, ERROR_INVALID_PARAMETER);
    CHECK(FlushFileBuffers(f));
    CHECK_FAILS(WriteFile(g, "x", 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED); /* read-only handle */
    CHECK_FAILS(ReadFile(s = CreateEventA(NULL, 0, 0, NULL), buf, 1, &n, NULL), FALSE,
                ERROR_INVALID_HANDLE);
    CloseHandle(s);

    /* file-backed sections */
    CHECK_FAILS(CreateFileMappingA(g, NULL, PAGE_READWRITE, 0, 0, NULL), NULL, ERROR_ACCESS_DENIED);
    s = CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 8192, "errs_filemap");
    CHECK(s != NULL && GetLastError() == 0);
    CHECK(GetFileSize(f, NULL) == 8192); /* a writable section grows the file */
    v = (char *)MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL && memcmp(v, "hello, world", 12) == 0);
    memcpy(v + 4096, "via view", 8);
    CHECK(FlushViewOfFile(v, 0));
    CHECK(SetFilePointer(f, 4096, NULL, FILE_BEGIN) == 4096);
    CHECK(ReadFile(f, buf, 8, &n, NULL) && n == 8 && memcmp(buf, "via view", 8) == 0);
    CHECK(SetFilePointer(f, 100, NULL, FILE_BEGIN) == 100);
    CHECK_FAILS(SetEndOfFile(f), FALSE, ERROR_USER_MAPPED_FILE);
    CloseHandle(g);
    CHECK_FAILS(CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                            NULL, TRUNCATE_EXISTING, 0, NULL),
                INVALID_HANDLE_VALUE, ERROR_SHARING_VIOLATION);
    CHECK(UnmapViewOfFile(v));
    CloseHandle(s);
    CloseHandle(f);
    CHECK_FAILS(CreateFileMappingA(f, NULL, PAGE_READWRITE, 0, 0, NULL), NULL,
                ERROR_INVALID_HANDLE); /* closed file handle */

    /* an empty file cannot be mapped with size 0 */
    f = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    CHECK(f != INVALID_HANDLE_VALUE && GetLastError() == ERROR_ALREADY_EXISTS);
    CHECK(GetFileSize(f, NULL) == 0);
    CHECK_FAILS(CreateFileMappingA(f, NULL, PAGE_READONLY, 0, 0, NULL), NULL, ERROR_FILE_INVALID);
    CHECK_FAILS(CreateFileMappingA(f, NULL, PAGE_READONLY, 0, 4096, NULL), NULL,
                ERROR_NOT_ENOUGH_MEMORY);
    CloseHandle(f);

    CHECK(DeleteFileA(path));
    CHECK_FAILS(DeleteFileA(path), FALSE, ERROR_FILE_NOT_FOUND);
    CHECK(GetTempPathA(sizeof buf, buf) > 0);
    n = GetTempPathA(sizeof buf, buf);
    CHECK(n == strlen(buf) && (buf[n - 1] == '/' || buf[n - 1] == '\\'));
    CHECK(GetTempPathA(1, buf) == n + 1); /* too small: the size needed */
}

static void sync_objects(void)
{
    HANDLE m, g, e, s, t, sems[3], dup[2], evs[3];
    LONG prev;
    int i;

    /* mutex: recursion and ownership */
    m = CreateMutexA(NULL, TRUE, NULL);
    CHECK(m != NULL);
    CHECK(WaitForSingleObject(m, 0) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(m, 0) == WAIT_OBJECT_0);
    t = CreateThread(NULL, 0, release_foreign_mutex, m, 0, NULL);
    CHECK(WaitForSingleObject(t, 5000) == WAIT_OBJECT_0);
    {
        DWORD code = 0;
        CHECK(GetExitCodeThread(t, &code) && code == ERROR_NOT_OWNER);
    }
    CloseHandle(t);
    CHECK(ReleaseMutex(m) && ReleaseMutex(m) && ReleaseMutex(m));
    CHECK_FAILS(ReleaseMutex(m), FALSE, ERROR_NOT_OWNER);
    CloseHandle(m);

    /* access rights */
    m = CreateMutexA(NULL, FALSE, "errs_rights");
    g = OpenMutexA(GENERIC_READ | GENERIC_WRITE, FALSE, "errs_rights");
    CHECK(g != NULL);
    CHECK_FAILS(WaitForSingleObject(g, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CloseHandle(g);
    g = OpenMutexA(GENERIC_EXECUTE, FALSE, "errs_rights");
    CHECK(WaitForSingleObject(g, 0) == WAIT_OBJECT_0 && ReleaseMutex(g));
    CloseHandle(g);
    CloseHandle(m);
    e = CreateEventA(NULL, TRUE, FALSE, "errs_evr");
    g = OpenEventA(SYNCHRONIZE, FALSE, "errs_evr");
    CHECK_FAILS(SetEvent(g), FALSE, ERROR_ACCESS_DENIED);
    CloseHandle(g);

    /* events */
    CHECK(SetEvent(e));
    CHECK(WaitForSingleObject(e, 0) == WAIT_OBJECT_0 && WaitForSingleObject(e, 0) == WAIT_OBJECT_0);
    CHECK(PulseEvent(e));
    CHECK(WaitForSingleObject(e, 0) == WAIT_TIMEOUT); /* a pulse leaves it reset */
    CloseHandle(e);
    e = CreateEventA(NULL, FALSE, TRUE, NULL);
    CHECK(WaitForSingleObject(e, 0) == WAIT_OBJECT_0 && WaitForSingleObject(e, 0) == WAIT_TIMEOUT);
    CHECK(PulseEvent(e) && WaitForSingleObject(e, 0) == WAIT_TIMEOUT); /* nobody waited: lost */

    /* semaphores */
    CHECK_FAILS(CreateSemaphoreA(NULL, 0, 0, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateSemaphoreA(NULL, 2, 1, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(CreateSemaphoreA(NULL, -1, 1, NULL), NULL, ERROR_INVALID_PARAMETER);
    s = CreateSemaphoreA(NULL, 1, 2, "errs_sem2");
    CHECK_FAILS(CreateSemaphoreA(NULL, 3, 2, "errs_sem2"), NULL, ERROR_INVALID_PARAMETER);
    prev = -7;
    CHECK(ReleaseSemaphore(s, 1, &prev) && prev == 1);
    prev = -7;
    CHECK_FAILS(ReleaseSemaphore(s, 1, &prev), FALSE, ERROR_TOO_MANY_POSTS);
    CHECK(prev == -7); /* not written on failure */
    CHECK_FAILS(ReleaseSemaphore(s, 0, NULL), FALSE, ERROR_INVALID_PARAMETER);
    CHECK(WaitForSingleObject(s, 0) == WAIT_OBJECT_0 && WaitForSingleObject(s, 0) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(s, 0) == WAIT_TIMEOUT);

    /* WaitForMultipleObjects */
    CHECK_FAILS(WaitForMultipleObjects(0, &e, FALSE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, &e, FALSE, 0), WAIT_FAILED,
                ERROR_INVALID_PARAMETER);
    for (i = 0; i < 3; i++)
        evs[i] = CreateEventA(NULL, FALSE, TRUE, NULL);
    CHECK(WaitForMultipleObjects(3, evs, FALSE, 0) == WAIT_OBJECT_0 + 0);
    CHECK(WaitForMultipleObjects(3, evs, FALSE, 0) == WAIT_OBJECT_0 + 1);
    CHECK(WaitForMultipleObjects(3, evs, FALSE, 0) == WAIT_OBJECT_0 + 2);
    CHECK(WaitForMultipleObjects(3, evs, FALSE, 0) == WAIT_TIMEOUT);
    CHECK(SetEvent(evs[0]) && SetEvent(evs[2]));
    CHECK(WaitForMultipleObjects(3, evs, TRUE, 0) == WAIT_TIMEOUT); /* all or nothing */
    CHECK(WaitForSingleObject(evs[0], 0) == WAIT_OBJECT_0);          /* still set */
    CHECK(SetEvent(evs[0]) && SetEvent(evs[1]));
    CHECK(WaitForMultipleObjects(3, evs, TRUE, 0) == WAIT_OBJECT_0);
    CHECK(WaitForMultipleObjects(3, evs, FALSE, 0) == WAIT_TIMEOUT);
    dup[0] = evs[0];
    CHECK(DuplicateHandle(GetCurrentProcess(), evs[0], GetCurrentProcess(), &dup[1], 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    CHECK_FAILS(WaitForMultipleObjects(2, dup, TRUE, 0), WAIT_FAILED, ERROR_INVALID_PARAMETER);
    CloseHandle(dup[1]);
    sems[0] = e;
    sems[1] = s;
    sems[2] = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL);
    CHECK_FAILS(WaitForMultipleObjects(3, sems, FALSE, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CloseHandle(sems[2]);

    /* SignalObjectAndWait */
    CHECK(SignalObjectAndWait(evs[0], evs[0], 0, FALSE) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(evs[0], 0) == WAIT_TIMEOUT); /* consumed by the wait */
    CHECK(SignalObjectAndWait(evs[1], s, 10, FALSE) == WAIT_TIMEOUT);
    CHECK(WaitForSingleObject(evs[1], 0) == WAIT_OBJECT_0);
    CHECK_FAILS(SignalObjectAndWait(NULL, evs[0], 0, FALSE), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SignalObjectAndWait(evs[0], NULL, 0, FALSE), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK(ReleaseSemaphore(s, 2, NULL));
    CHECK_FAILS(SignalObjectAndWait(s, evs[0], 0, FALSE), WAIT_FAILED, ERROR_TOO_MANY_POSTS);
    m = CreateMutexA(NULL, TRUE, NULL);
    CHECK(SignalObjectAndWait(m, s, 0, FALSE) == WAIT_OBJECT_0); /* released m, took s */
    for (i = 0; i < 3; i++)
        CloseHandle(evs[i]);
    CloseHandle(s);
    CloseHandle(e);

    /* a mutex whose owner thread ended is abandoned, reported once */
    t = CreateThread(NULL, 0, take_and_exit, m, 0, NULL);
    CHECK(WaitForSingleObject(t, 5000) == WAIT_OBJECT_0);
    CloseHandle(t);
    evs[0] = CreateEventA(NULL, TRUE, FALSE, NULL);
    evs[1] = m;
    CHECK(WaitForMultipleObjects(2, evs, FALSE, 5000) == WAIT_ABANDONED_0 + 1);
    CHECK(ReleaseMutex(m));
    CHECK(WaitForSingleObject(m, 0) == WAIT_OBJECT_0 && ReleaseMutex(m));
    CloseHandle(evs[0]);
    CloseHandle(m);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: errors <scratch directory>\n");
        return 2;
    }
    last_error_rules();
    handles();
    sections();
    files(argv[1]);
    sync_objects();
    return checks_done("errors");
}
