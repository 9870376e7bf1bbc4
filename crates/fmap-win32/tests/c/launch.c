/* How CreateProcess finds the program: lpApplicationName is never searched (a relative name is
   completed from the current directory); the first token of lpCommandLine is searched in the
   directory of the running program, the current directory, then PATH; ".exe" is appended when
   there is no extension (and, on Linux, a name ending in ".exe" is also tried without it);
   an unquoted first token with blanks is tried word by word; and the errors.

   The programs it starts are shell scripts that exit with a code telling which one ran; the
   test (tests/c_abi.rs, program_search) lays them out before it runs this program:

     <bin>/launch (this program)   <bin>/child   -> 11
     <cwd>/child -> 22   <cwd>/onlycwd -> 23   <cwd>/sub/tool -> 24   <cwd>/my prog -> 25
     <cwd>/notexec (not executable)   <cwd>/text.exe (executable, not a program)   <cwd>/adir/
     <path>/onpath -> 33   <path>/child -> 34        (PATH=<path>:...)

   Usage: launch (in <cwd>) */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

/* Starts app/line, waits, returns the exit code (or 1000 + the last error if it did not start). */
static DWORD run(const char *app, const char *line, const char *dir)
{
    char buf[512];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD code = 999;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (line)
        snprintf(buf, sizeof buf, "%s", line);
    if (!CreateProcessA(app, line ? buf : NULL, NULL, NULL, FALSE, 0, NULL, dir, &si, &pi))
        return 1000 + GetLastError();
    if (WaitForSingleObject(pi.hProcess, 20000) != WAIT_OBJECT_0 ||
        !GetExitCodeProcess(pi.hProcess, &code))
        code = 998;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return code;
}

/* Calls CreateProcess(app, line) and returns its result (closing the handles of a process it
   started). */
static BOOL start(const char *app, const char *line)
{
    char buf[512];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    BOOL ok;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    if (line)
        snprintf(buf, sizeof buf, "%s", line);
    ok = CreateProcessA(app, line ? buf : NULL, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi);
    if (ok) {
        WaitForSingleObject(pi.hProcess, 20000);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    }
    return ok;
}

/* CreateProcess(app, line) must fail with FALSE and `err`. */
#define FAILS(app, line, err) CHECK_FAILS(start(app, line), FALSE, err)

#define RUNS(app, line, expect)                                                             \
    do {                                                                                    \
        DWORD got_ = run(app, line, NULL);                                                  \
        if (got_ != (expect))                                                               \
            printf("  %s / %s: exit %lu, expected %lu\n", app ? app : "NULL",              \
                   line ? line : "NULL", (unsigned long)got_, (unsigned long)(expect));    \
        CHECK(got_ == (expect));                                                            \
    } while (0)

int main(void)
{
    /* the command line: the program's directory first, then the current one, then PATH */
    RUNS(NULL, "child", 11);
    RUNS(NULL, "child.exe arg", 11);
    RUNS(NULL, "onlycwd", 23);
    RUNS(NULL, "onlycwd.exe x y", 23);
    RUNS(NULL, "onpath", 33);
    RUNS(NULL, "\"onpath.exe\" a", 33);
    /* a name with a directory is taken from the current directory */
    RUNS(NULL, "sub\\tool", 24);
    RUNS(NULL, "sub/tool.exe a", 24);
    RUNS(NULL, ".\\child", 22);
    /* quoting: a quoted name may hold blanks; an unquoted one is tried word by word */
    RUNS(NULL, "\"my prog\" arg", 25);
    RUNS(NULL, "my prog arg", 25);
    RUNS(NULL, "my prog.exe", 25);

    /* lpApplicationName is not searched: relative to the current directory only */
    RUNS("child.exe", "child.exe a b", 22);
    RUNS("child", NULL, 22);
    RUNS(".\\sub\\tool", "tool", 24);
    RUNS("my prog", "x", 25);
    FAILS("onpath", NULL, ERROR_FILE_NOT_FOUND);
    FAILS("onlycwd.com", NULL, ERROR_FILE_NOT_FOUND);
    /* no extension is added to lpApplicationName */
    FAILS("sub\\tool.com", "tool", ERROR_FILE_NOT_FOUND);
    /* ...and it is the caller's current directory, not lpCurrentDirectory */
    CHECK(run("child", NULL, "sub") == 22);
    CHECK(run(NULL, "child", "sub") == 11);

    /* errors */
    FAILS(NULL, "no-such-program-fmap arg", ERROR_FILE_NOT_FOUND);
    FAILS(NULL, "\"no such program\" arg", ERROR_FILE_NOT_FOUND);
    FAILS(NULL, "no-such-dir\\prog.exe", ERROR_PATH_NOT_FOUND);
    FAILS("no-such-dir\\prog.exe", NULL, ERROR_PATH_NOT_FOUND);
    FAILS("no-such-program.exe", NULL, ERROR_FILE_NOT_FOUND);
    FAILS("notexec", NULL, ERROR_ACCESS_DENIED);
    FAILS(NULL, "notexec", ERROR_ACCESS_DENIED);
    FAILS("text.exe", NULL, ERROR_BAD_EXE_FORMAT);
    FAILS(NULL, "text", ERROR_BAD_EXE_FORMAT);
    FAILS("adir", NULL, ERROR_ACCESS_DENIED);
    return checks_done("launch");
}
