// A UNICODE C++ program using the C runtime's wide functions on WCHAR/wchar_t strings, the
// way MSVC code does: wcscpy_s, swprintf, _itow, _wtoi, _wfopen, wprintf, std::wcslen, ...
// Built with -DUNICODE -fshort-wchar (fmap-c++ -DUNICODE).
#include <windows.h>
#include <cwchar>
#include <string>
#include <stdio.h>
#include <wchar.h>

static int failures = 0;
#define EXPECT(c)                                                                              \
    do {                                                                                       \
        if (!(c)) {                                                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);                                        \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

int main()
{
    wchar_t name[MAX_PATH];
    wcscpy_s(name, MAX_PATH, L"Local\\wide_crt_");
    wchar_t num[16];
    _itow(GetCurrentProcessId() % 1000, num, 10);
    wcscat_s(name, MAX_PATH, num);
    EXPECT(wcslen(name) == std::wcslen(L"Local\\wide_crt_") + wcslen(num));
    EXPECT(wcsncmp(name, L"Local\\", 6) == 0 && wcschr(name, L'\\') == name + 5);
    EXPECT(wcsstr(name, L"crt") == name + 11 && wcsrchr(name, L'_') > name);
    EXPECT(_wtoi(num) == (int)(GetCurrentProcessId() % 1000));

    HANDLE map = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, name);
    EXPECT(map != NULL && GetLastError() == 0);
    wchar_t *view = (wchar_t *)MapViewOfFile(map, FILE_MAP_ALL_ACCESS, 0, 0, 4096);
    EXPECT(view != NULL);
    int n = swprintf(view, 2048, L"%s has %d bytes, caf\u00e9 %hs", L"the view", 4096, "ok");
    EXPECT(n == 32);

    wchar_t copy[64];
    EXPECT(std::wcsncpy(copy, view, 64) == copy && std::wcslen(copy) == 32);
    EXPECT(std::wcsstr(copy, L"caf\u00e9") == copy + 25 && std::wmemcmp(copy, view, 33) == 0);
    EXPECT(std::wcscmp(copy, view) == 0 && _wcsicmp(L"THE VIEW", L"the view") == 0);
    std::u16string u(u"caf\u00e9"); // std::u16string is all inline: fine
    EXPECT(u.size() == 4 && std::wcscmp((const wchar_t *)u.c_str(), L"caf\u00e9") == 0);

    wchar_t small[4];
    EXPECT(wcscpy_s(small, 4, L"abcd") == ERANGE && small[0] == 0);
    EXPECT(wcstol(L"ff", NULL, 16) == 255 && wcstoul(L"42", NULL, 10) == 42);

    FILE *f = NULL;
    EXPECT(_wfopen_s(&f, L"wide_\u00e9.txt", L"w") == 0 && f);
    if (f) {
        fwprintf(f, L"%s\n", view);
        fclose(f);
    }
    FILE *g = fopen("wide_\xc3\xa9.txt", "r");
    char line[128] = "";
    EXPECT(g && fgets(line, sizeof line, g));
    if (g)
        fclose(g);
    EXPECT(strcmp(line, "the view has 4096 bytes, caf\xc3\xa9 ok\n") == 0);

    wprintf(L"%s: %d characters\n", view, (int)wcslen(view));
    UnmapViewOfFile(view);
    CloseHandle(map);
    return failures;
}
