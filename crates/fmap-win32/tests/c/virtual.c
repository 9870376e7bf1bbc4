/* VirtualAlloc, VirtualFree, VirtualProtect, VirtualQuery — including what VirtualQuery says
   about views of sections (MEM_MAPPED, their protection, their region size). */
#include "check.h"
#include <string.h>

int main(void)
{
    MEMORY_BASIC_INFORMATION mbi;

    /* Reserve, commit part, query, decommit, release. */
    char *r = (char *)VirtualAlloc(NULL, 256 * 1024, MEM_RESERVE, PAGE_NOACCESS);
    CHECK(r != NULL && ((UINT_PTR)r % 65536) == 0);
    CHECK(VirtualQuery(r, &mbi, sizeof mbi) == sizeof mbi);
    CHECK(mbi.State == MEM_RESERVE && mbi.AllocationBase == r && mbi.Type == MEM_PRIVATE);
    char *c = (char *)VirtualAlloc(r + 4096, 8192, MEM_COMMIT, PAGE_READWRITE);
    CHECK(c == r + 4096);
    memset(c, 0x5A, 8192);
    CHECK(VirtualQuery(c + 100, &mbi, sizeof mbi) == sizeof mbi);
    CHECK(mbi.BaseAddress == c && mbi.State == MEM_COMMIT && mbi.Protect == PAGE_READWRITE);
    CHECK(mbi.RegionSize == 8192 && mbi.AllocationBase == r);
    DWORD old = 0;
    CHECK(VirtualProtect(c, 4096, PAGE_READONLY, &old) && old == PAGE_READWRITE);
    CHECK(VirtualQuery(c, &mbi, sizeof mbi) && mbi.Protect == PAGE_READONLY && mbi.RegionSize == 4096);
    CHECK(c[0] == 0x5A);
    CHECK_FAILS(VirtualProtect(c, 4096, PAGE_READWRITE, NULL), FALSE, ERROR_NOACCESS);
    CHECK_FAILS(VirtualProtect(c, 4096, 0x1234, &old), FALSE, ERROR_INVALID_PARAMETER);
    CHECK(VirtualFree(c, 8192, MEM_DECOMMIT));
    CHECK(VirtualQuery(c, &mbi, sizeof mbi) && mbi.State == MEM_RESERVE);
    CHECK_FAILS(VirtualFree(r, 4096, MEM_RELEASE), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(VirtualFree(r + 65536, 0, MEM_RELEASE), FALSE, ERROR_INVALID_ADDRESS);
    CHECK(VirtualFree(r, 0, MEM_RELEASE));
    CHECK(VirtualQuery(r, &mbi, sizeof mbi) && mbi.State == MEM_FREE);

    /* Reserve and commit at once; bad arguments. */
    int *p = (int *)VirtualAlloc(NULL, 100, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    CHECK(p != NULL);
    p[10] = 42;
    CHECK(VirtualQuery(p, &mbi, sizeof mbi) && mbi.RegionSize == 4096 && mbi.Protect == PAGE_READWRITE);
    CHECK(VirtualFree(p, 0, MEM_RELEASE));
    CHECK_FAILS(VirtualAlloc(NULL, 0, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_WRITECOPY), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(VirtualAlloc(NULL, 4096, MEM_COMMIT, PAGE_READWRITE), NULL, ERROR_INVALID_ADDRESS);
    CHECK_FAILS(VirtualQuery(p, &mbi, 4), 0, ERROR_BAD_LENGTH);

    /* A view of a section: MEM_MAPPED, committed, its protection and size. */
    HANDLE m = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 3 * 65536, NULL);
    CHECK(m != NULL);
    char *v = (char *)MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    CHECK(VirtualQuery(v + 70000, &mbi, sizeof mbi) == sizeof mbi);
    CHECK(mbi.Type == MEM_MAPPED && mbi.State == MEM_COMMIT && mbi.Protect == PAGE_READWRITE);
    CHECK((char *)mbi.BaseAddress == v + 65536 + 4096 && mbi.AllocationBase == v);
    CHECK((char *)mbi.BaseAddress + mbi.RegionSize == v + 3 * 65536);
    char *ro = (char *)MapViewOfFile(m, FILE_MAP_READ, 0, 65536, 0);
    CHECK(VirtualQuery(ro, &mbi, sizeof mbi) && mbi.Protect == PAGE_READONLY && mbi.Type == MEM_MAPPED);
    CHECK(mbi.RegionSize == 2 * 65536);
    char *cow = (char *)MapViewOfFile(m, FILE_MAP_COPY, 0, 0, 0);
    CHECK(VirtualQuery(cow, &mbi, sizeof mbi) && mbi.Protect == PAGE_WRITECOPY);
    CHECK(UnmapViewOfFile(cow) && UnmapViewOfFile(ro) && UnmapViewOfFile(v));
    CloseHandle(m);

    /* The program's own code is an image. */
    CHECK(VirtualQuery((void *)main, &mbi, sizeof mbi) && mbi.Type == MEM_IMAGE && mbi.State == MEM_COMMIT);

    return checks_done("virtual");
}
