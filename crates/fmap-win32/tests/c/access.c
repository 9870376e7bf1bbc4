/* Access masks as Windows has them (issue 13, part 4):
   - DuplicateHandle with a dwDesiredAccess (no DUPLICATE_SAME_ACCESS) gives exactly that
     access, for every type, files included; a file handle cannot gain rights that way;
   - ReadFile needs FILE_READ_DATA, WriteFile and FlushFileBuffers FILE_WRITE_DATA or
     FILE_APPEND_DATA, SetEndOfFile FILE_WRITE_DATA, CreateFileMapping the data rights its
     protection needs, whatever rights the file's other handles have;
   - an open with no data access must share write while a writable section of the file exists
     (Wine's test_file_sharing);
   - MapViewOfFile with FILE_MAP_EXECUTE / FILE_MAP_COPY / SECTION_MAP_EXECUTE combinations on
     read-only, read/write and copy-on-write sections (Wine's test_mapping).
   Usage: access <scratch directory> */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

static char g_path[MAX_PATH];
static HANDLE g_me;

static BOOL dup(HANDLE h, HANDLE *out, DWORD access, DWORD options)
{
    return DuplicateHandle(g_me, h, g_me, out, access, FALSE, options);
}

static HANDLE open_file(DWORD access, DWORD share, DWORD disposition)
{
    return CreateFileA(g_path, access, share, NULL, disposition, 0, NULL);
}

static void file_duplicates(void)
{
    HANDLE h, r, w, none, same, big, m;
    DWORD n = 0, size;
    char buf[8];

    h = open_file(GENERIC_READ | GENERIC_WRITE, 0, CREATE_ALWAYS);
    CHECK(h != INVALID_HANDLE_VALUE);
    CHECK(WriteFile(h, "abcdef", 6, &n, NULL) && n == 6);
    CHECK(SetFilePointer(h, 0, NULL, FILE_BEGIN) == 0);

    /* a GENERIC_READ duplicate of a read/write handle reads (sharing the file pointer) and
       cannot write */
    CHECK(dup(h, &r, GENERIC_READ, 0));
    CHECK(ReadFile(r, buf, 2, &n, NULL) && n == 2 && memcmp(buf, "ab", 2) == 0);
    CHECK(ReadFile(h, buf, 1, &n, NULL) && n == 1 && buf[0] == 'c');
    CHECK_FAILS(WriteFile(r, "x", 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED);
    CHECK(n == 0);
    CHECK_FAILS(SetEndOfFile(r), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(FlushFileBuffers(r), FALSE, ERROR_ACCESS_DENIED);
    CHECK(GetFileSize(r, NULL) == 6);
    CHECK_FAILS(CreateFileMappingA(r, NULL, PAGE_READWRITE, 0, 0, NULL), NULL,
                ERROR_ACCESS_DENIED);
    m = CreateFileMappingA(r, NULL, PAGE_READONLY, 0, 0, NULL);
    CHECK(m != NULL);
    CloseHandle(m);
    /* ...and cannot be widened again */
    CHECK_FAILS(dup(r, &big, GENERIC_WRITE, 0), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(dup(r, &big, GENERIC_READ | GENERIC_WRITE, 0), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(dup(r, &big, FILE_APPEND_DATA, 0), FALSE, ERROR_ACCESS_DENIED);
    CHECK(dup(r, &same, 0, DUPLICATE_SAME_ACCESS));
    CHECK_FAILS(WriteFile(same, "x", 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED);
    CloseHandle(same);

    /* write-only duplicate */
    CHECK(dup(h, &w, FILE_WRITE_DATA, 0));
    CHECK(SetFilePointer(w, 6, NULL, FILE_BEGIN) == 6);
    CHECK(WriteFile(w, "g", 1, &n, NULL) && n == 1);
    CHECK(SetFilePointer(w, 0, NULL, FILE_BEGIN) == 0);
    CHECK_FAILS(ReadFile(w, buf, 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED);
    CHECK(SetFilePointer(w, 7, NULL, FILE_BEGIN) == 7);
    CHECK(SetEndOfFile(w));
    CHECK(FlushFileBuffers(w));
    CHECK_FAILS(CreateFileMappingA(w, NULL, PAGE_READONLY, 0, 0, NULL), NULL,
                ERROR_ACCESS_DENIED);

    /* a duplicate with no access at all: only the size */
    CHECK(dup(h, &none, 0, 0));
    CHECK_FAILS(ReadFile(none, buf, 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(WriteFile(none, "x", 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED);
    CHECK(GetFileSize(none, NULL) == 7);
    CHECK_FAILS(CreateFileMappingA(none, NULL, PAGE_READONLY, 0, 0, NULL), NULL,
                ERROR_ACCESS_DENIED);

    /* DUPLICATE_SAME_ACCESS keeps everything */
    CHECK(dup(h, &same, GENERIC_READ, DUPLICATE_SAME_ACCESS));
    CHECK(SetFilePointer(same, 0, NULL, FILE_BEGIN) == 0);
    CHECK(WriteFile(same, "A", 1, &n, NULL) && n == 1);
    CHECK(SetFilePointer(same, 0, NULL, FILE_BEGIN) == 0);
    CHECK(ReadFile(same, buf, 7, &n, NULL) && n == 7 && memcmp(buf, "Abcdefg", 7) == 0);
    CHECK(dup(same, &big, GENERIC_READ | GENERIC_WRITE, 0)); /* not more than the source */
    CHECK(CloseHandle(big));
    CHECK_FAILS(dup(h, &big, ACCESS_SYSTEM_SECURITY, 0), FALSE, ERROR_PRIVILEGE_NOT_HELD);
    CHECK(CloseHandle(same) && CloseHandle(none) && CloseHandle(w) && CloseHandle(r));
    CHECK(CloseHandle(h));

    /* the documented example: a GENERIC_READ handle cannot be duplicated with GENERIC_WRITE */
    h = open_file(GENERIC_READ, FILE_SHARE_READ, OPEN_EXISTING);
    CHECK(h != INVALID_HANDLE_VALUE);
    CHECK_FAILS(dup(h, &big, GENERIC_READ | GENERIC_WRITE, 0), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(dup(h, &big, GENERIC_ALL, 0), FALSE, ERROR_ACCESS_DENIED);
    CHECK(dup(h, &r, FILE_READ_DATA, 0));
    CHECK(ReadFile(r, buf, 1, &n, NULL) && n == 1);
    CHECK(CloseHandle(r) && CloseHandle(h));

    /* ReadFile needs FILE_READ_DATA, whatever the open asked for besides */
    size = 0;
    for (int i = 0; i < 6; i++) {
        static const DWORD no_read[] = {0,           FILE_READ_ATTRIBUTES, FILE_WRITE_ATTRIBUTES,
                                        FILE_READ_EA, FILE_WRITE_EA,       FILE_EXECUTE};
        h = open_file(no_read[i], FILE_SHARE_READ | FILE_SHARE_WRITE, OPEN_EXISTING);
        CHECK(h != INVALID_HANDLE_VALUE);
        n = 77;
        CHECK_FAILS(ReadFile(h, buf, 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED);
        CHECK(n == 0);
        CHECK_FAILS(WriteFile(h, "x", 1, &n, NULL), FALSE, ERROR_ACCESS_DENIED);
        size += GetFileSize(h, NULL);
        CloseHandle(h);
    }
    CHECK(size == 6 * 7);
}

static void other_duplicates(void)
{
    HANDLE e, m, s, x, d;
    char *v;

    /* events: exactly the rights asked for */
    e = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(dup(e, &d, SYNCHRONIZE, 0));
    CHECK_FAILS(SetEvent(d), FALSE, ERROR_ACCESS_DENIED);
    CHECK(WaitForSingleObject(d, 0) == WAIT_TIMEOUT);
    CHECK(CloseHandle(d));
    CHECK(dup(e, &d, EVENT_MODIFY_STATE, 0));
    CHECK(SetEvent(d));
    CHECK_FAILS(WaitForSingleObject(d, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    /* a handle of an object may be duplicated with more rights than it has (the object's
       security decides, not the source handle) */
    CHECK(dup(d, &x, SYNCHRONIZE, 0));
    CHECK(WaitForSingleObject(x, 0) == WAIT_OBJECT_0);
    CHECK(CloseHandle(x) && CloseHandle(d) && CloseHandle(e));

    m = CreateMutexA(NULL, FALSE, NULL);
    CHECK(dup(m, &d, SYNCHRONIZE, 0));
    CHECK(WaitForSingleObject(d, 0) == WAIT_OBJECT_0);
    CHECK(ReleaseMutex(d)); /* releasing needs no right */
    CHECK(CloseHandle(d));
    CHECK(dup(m, &d, MUTEX_MODIFY_STATE, 0));
    CHECK_FAILS(WaitForSingleObject(d, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(d) && CloseHandle(m));

    s = CreateSemaphoreA(NULL, 0, 2, NULL);
    CHECK(dup(s, &d, SYNCHRONIZE, 0));
    CHECK_FAILS(ReleaseSemaphore(d, 1, NULL), FALSE, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(d));
    CHECK(dup(s, &d, SEMAPHORE_MODIFY_STATE, 0));
    CHECK(ReleaseSemaphore(d, 1, NULL));
    CHECK_FAILS(WaitForSingleObject(d, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(d) && CloseHandle(s));

    x = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL);
    CHECK(dup(x, &d, FILE_MAP_READ, 0));
    CHECK_FAILS(MapViewOfFile(d, FILE_MAP_WRITE, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    v = MapViewOfFile(d, FILE_MAP_READ, 0, 0, 0);
    CHECK(v != NULL);
    UnmapViewOfFile(v);
    CHECK(CloseHandle(d));
    CHECK(dup(x, &d, FILE_MAP_WRITE, 0));
    CHECK_FAILS(MapViewOfFile(d, FILE_MAP_READ, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    v = MapViewOfFile(d, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    UnmapViewOfFile(v);
    CHECK(CloseHandle(d));
    CHECK(dup(x, &d, 0, 0));
    CHECK_FAILS(MapViewOfFile(d, 0, 0, 0, 0), NULL, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(d) && CloseHandle(x));
}

/* Wine's test_file_sharing, mapping part, for the opens without data access. */
static void sharing_with_a_section(void)
{
    static const DWORD no_data[] = {0,           FILE_READ_ATTRIBUTES, FILE_WRITE_ATTRIBUTES,
                                    FILE_READ_EA, FILE_WRITE_EA,       FILE_DELETE_CHILD};
    static const DWORD prots[] = {PAGE_READWRITE, PAGE_EXECUTE_READWRITE, PAGE_READONLY,
                                  PAGE_WRITECOPY};
    HANDLE h, h2, m;
    DWORD n;

    for (int p = 0; p < 4; p++) {
        h = open_file(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE, 0, CREATE_ALWAYS);
        CHECK(WriteFile(h, "0123456789", 10, &n, NULL));
        m = CreateFileMappingA(h, NULL, prots[p], 0, 0, NULL);
        CHECK(m != NULL);
        CHECK(CloseHandle(h));
        for (int a = 0; a < 6; a++) {
            for (DWORD share = 0; share < 8; share++) {
                BOOL writable = prots[p] == PAGE_READWRITE || prots[p] == PAGE_EXECUTE_READWRITE;
                SetLastError(0xdeadbeef);
                h2 = open_file(no_data[a], share, OPEN_EXISTING);
                if (writable && !(share & FILE_SHARE_WRITE)) {
                    if (h2 != INVALID_HANDLE_VALUE)
                        printf("  open %#lx/%#lx with a %#lx section succeeded\n",
                               (unsigned long)no_data[a], (unsigned long)share,
                               (unsigned long)prots[p]);
                    CHECK(h2 == INVALID_HANDLE_VALUE);
                    CHECK(GetLastError() == ERROR_SHARING_VIOLATION);
                } else {
                    CHECK(h2 != INVALID_HANDLE_VALUE);
                    CHECK(GetLastError() == 0);
                }
                if (h2 != INVALID_HANDLE_VALUE)
                    CloseHandle(h2);
            }
        }
        CHECK(CloseHandle(m));
        /* the section is gone: nothing to share with */
        h2 = open_file(0, 0, OPEN_EXISTING);
        CHECK(h2 != INVALID_HANDLE_VALUE);
        CloseHandle(h2);
    }

    /* an open without data access conflicts with no other open */
    h = open_file(GENERIC_READ | GENERIC_WRITE, 0, OPEN_EXISTING);
    CHECK(h != INVALID_HANDLE_VALUE);
    for (int a = 0; a < 6; a++) {
        h2 = open_file(no_data[a], 0, OPEN_EXISTING);
        CHECK(h2 != INVALID_HANDLE_VALUE);
        CloseHandle(h2);
    }
    CHECK_FAILS(open_file(GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, OPEN_EXISTING),
                INVALID_HANDLE_VALUE, ERROR_SHARING_VIOLATION);
    CloseHandle(h);
}

/* Wine's test_mapping: every dwDesiredAccess of its table on the sections of a file opened
   with GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE. A view maps when its access bits are
   among the creator handle's (map read, map execute, FILE_MAP_EXECUTE, SECTION_QUERY = the
   FILE_MAP_COPY bit, and map write for a writable section); then its protection is the
   table's. Views are written (read/write and copy-on-write) or read (read-only) through. */
static void view_access(void)
{
    static const DWORD prots[] = {PAGE_READONLY, PAGE_READWRITE, PAGE_WRITECOPY,
                                  PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
                                  PAGE_EXECUTE_WRITECOPY};
    static const struct {
        DWORD access, prot;
    } view[] = {
        {0x00, PAGE_NOACCESS},          {0x01, PAGE_WRITECOPY},
        {0x02, PAGE_READWRITE},         {0x03, PAGE_READWRITE},
        {0x04, PAGE_READONLY},          {0x05, PAGE_READONLY},
        {0x06, PAGE_READWRITE},         {0x07, PAGE_READWRITE},
        {0x08, PAGE_NOACCESS},          {0x09, PAGE_NOACCESS},
        {0x0a, PAGE_READWRITE},         {0x0b, PAGE_READWRITE},
        {0x0c, PAGE_READONLY},          {0x0d, PAGE_READONLY},
        {0x0e, PAGE_READWRITE},         {0x0f, PAGE_READWRITE},
        {0x20, PAGE_NOACCESS},          {0x21, PAGE_EXECUTE_WRITECOPY},
        {0x22, PAGE_EXECUTE_READWRITE}, {0x23, PAGE_EXECUTE_READWRITE},
        {0x24, PAGE_EXECUTE_READ},      {0x25, PAGE_EXECUTE_READ},
        {0x26, PAGE_EXECUTE_READWRITE}, {0x27, PAGE_EXECUTE_READWRITE},
        {0x28, PAGE_NOACCESS},          {0x29, PAGE_NOACCESS},
        {0x2a, PAGE_EXECUTE_READWRITE}, {0x2b, PAGE_EXECUTE_READWRITE},
        {0x2c, PAGE_EXECUTE_READ},      {0x2d, PAGE_EXECUTE_READ},
        {0x2e, PAGE_EXECUTE_READWRITE}, {0x2f, PAGE_EXECUTE_READWRITE},
    };
    HANDLE h, m;
    DWORD n;
    char disk[4];

    h = open_file(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE, 0, CREATE_ALWAYS);
    CHECK(h != INVALID_HANDLE_VALUE);
    CHECK(WriteFile(h, "data", 4, &n, NULL));
    CHECK(SetFilePointer(h, 4096, NULL, FILE_BEGIN) == 4096 && SetEndOfFile(h));
    for (int i = 0; i < 6; i++) {
        DWORD have = SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_EXECUTE | FILE_MAP_EXECUTE;
        if (prots[i] == PAGE_READWRITE || prots[i] == PAGE_EXECUTE_READWRITE)
            have |= SECTION_MAP_WRITE;
        m = CreateFileMappingA(h, NULL, prots[i] | SEC_COMMIT, 0, 4096, NULL);
        CHECK(m != NULL);
        for (int j = 0; j < (int)(sizeof view / sizeof view[0]); j++) {
            DWORD bits = view[j].access ? view[j].access : SECTION_MAP_READ;
            BOOL ok = (bits & have) == bits;
            DWORD p = view[j].prot;
            char *v;
            SetLastError(0xdeadbeef);
            v = MapViewOfFile(m, view[j].access, 0, 0, 0);
            if (!v != !ok)
                printf("  section %#lx, access %#lx: %s (error %lu)\n", (unsigned long)prots[i],
                       (unsigned long)view[j].access, v ? "mapped" : "failed",
                       (unsigned long)GetLastError());
            if (!ok) {
                CHECK(v == NULL);
                CHECK(GetLastError() == ERROR_ACCESS_DENIED);
                continue;
            }
            CHECK(v != NULL);
            if (!v)
                continue;
            if (p == PAGE_READWRITE || p == PAGE_EXECUTE_READWRITE) {
                v[0] = 'D';
                CHECK(v[1] == 'a');
                v[0] = 'd';
            } else if (p == PAGE_WRITECOPY || p == PAGE_EXECUTE_WRITECOPY) {
                v[0] = 'X'; /* private: the file keeps "data" */
                CHECK(v[0] == 'X' && v[1] == 'a');
            } else if (p != PAGE_NOACCESS) {
                CHECK(v[0] == 'd');
            }
            CHECK(UnmapViewOfFile(v));
        }
        CHECK(CloseHandle(m));
    }
    CHECK(SetFilePointer(h, 0, NULL, FILE_BEGIN) == 0);
    CHECK(ReadFile(h, disk, 4, &n, NULL) && n == 4 && memcmp(disk, "data", 4) == 0);
    CloseHandle(h);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: access <scratch directory>\n");
        return 2;
    }
    g_me = GetCurrentProcess();
    snprintf(g_path, sizeof g_path, "%s/access.dat", argv[1]);
    file_duplicates();
    other_duplicates();
    sharing_with_a_section();
    view_access();
    DeleteFileA(g_path);
    return checks_done("access");
}
