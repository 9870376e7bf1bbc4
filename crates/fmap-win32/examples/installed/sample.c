/*
 * A Win32 program built against an installed fmap-win32: a named section, a view of it, a
 * named mutex and a wait. scripts/check-install.sh builds it with pkg-config (Makefile), CMake
 * (CMakeLists.txt: find_package and pkg_check_modules) and fmap-cc, and runs each.
 *
 *   sample [PREFIX]     object names start with PREFIX (default Local\fmap-sample)
 *
 * Prints what it read back and "ok"; exits 1 on any failure, naming the call and its error.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "sample: %s failed, error %lu\n", what, (unsigned long)GetLastError());
    return 1;
}

int main(int argc, char **argv)
{
    const char *prefix = argc > 1 ? argv[1] : "Local\\fmap-sample";
    char section_name[MAX_PATH], mutex_name[MAX_PATH];
    snprintf(section_name, sizeof section_name, "%s-%lu-section", prefix,
             (unsigned long)GetCurrentProcessId());
    snprintf(mutex_name, sizeof mutex_name, "%s-%lu-mutex", prefix,
             (unsigned long)GetCurrentProcessId());

    HANDLE section = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 64 * 1024,
                                       section_name);
    if (section == NULL)
        return fail("CreateFileMapping");
    char *view = (char *)MapViewOfFile(section, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    if (view == NULL)
        return fail("MapViewOfFile");
    HANDLE mutex = CreateMutex(NULL, FALSE, mutex_name);
    if (mutex == NULL)
        return fail("CreateMutex");

    if (WaitForSingleObject(mutex, 5000) != WAIT_OBJECT_0)
        return fail("WaitForSingleObject");
    strcpy(view, "hello through the installed fmap-win32");
    if (!ReleaseMutex(mutex))
        return fail("ReleaseMutex");

    /* Open both by name, as a second process would. */
    HANDLE section2 = OpenFileMapping(FILE_MAP_READ, FALSE, section_name);
    if (section2 == NULL)
        return fail("OpenFileMapping");
    HANDLE mutex2 = OpenMutex(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, mutex_name);
    if (mutex2 == NULL)
        return fail("OpenMutex");
    const char *view2 = (const char *)MapViewOfFile(section2, FILE_MAP_READ, 0, 0, 0);
    if (view2 == NULL)
        return fail("MapViewOfFile (read)");
    if (WaitForSingleObject(mutex2, 5000) != WAIT_OBJECT_0)
        return fail("WaitForSingleObject (by name)");
    int same = strcmp(view2, "hello through the installed fmap-win32") == 0;
    printf("%s: %s\n", section_name, view2);
    ReleaseMutex(mutex2);
    if (!same) {
        fprintf(stderr, "sample: the second view does not show what the first wrote\n");
        return 1;
    }

    UnmapViewOfFile(view2);
    UnmapViewOfFile(view);
    CloseHandle(mutex2);
    CloseHandle(section2);
    CloseHandle(mutex);
    CloseHandle(section);
    printf("ok\n");
    return 0;
}
