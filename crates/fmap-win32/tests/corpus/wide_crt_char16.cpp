// A UNICODE C++ program built by plain c++ -DUNICODE, without -fshort-wchar: WCHAR is char16_t,
// TEXT("...") is u"...", and the C runtime's wide names take WCHAR strings through the
// overloads of fmap_wcrt.h (std:: too), while L"..." wchar_t strings stay glibc's.
#include <windows.h>
#include <cwchar>
#include <iostream>
#include <string>
#include <stdio.h>
#include <wchar.h>

int main()
{
    WCHAR buf[64];
    wcscpy(buf, TEXT("abc"));
    wcscat(buf, u"d\u00e9");
    int bad = 0;
    bad |= wcslen(buf) != 5;
    bad |= std::wcslen(buf) != 5;
    bad |= wcscmp(buf, u"abcd\u00e9") != 0;
    bad |= wcschr(buf, u'c') != buf + 2;
    const WCHAR *cb = buf;
    bad |= std::wcsstr(cb, u"cd") != buf + 2;
    bad |= wcscpy_s(buf, 64, u"x") != 0 || _wcsicmp(buf, u"X") != 0;
    bad |= swprintf(buf, 64, u"%s=%d", u"x", 5) != 3;
    bad |= wcstol(u"42", nullptr, 10) != 42 || _wtoi(u"7") != 7;
    bad |= wcslen(L"glibc\U0001F600") != 6; // glibc's, on a 32-bit wchar_t string
    wchar_t w[8];
    bad |= swprintf(w, 8, L"%ls", L"ok") != 2;
    std::wstring ws = std::to_wstring(12);
    bad |= std::stoi(ws) != 12;
    wprintf(u"%s %d\n", buf, bad);
    return bad;
}
