// Single-instance application in MSVC-era C++ style: a named mutex decides which process is the
// first; later instances hand their command line to the first through a named section and an
// event, then exit. Uses CRT _s functions with the C++ template overloads.
//   single_instance serve <n>   - the first instance: takes n messages, then exits
//   single_instance <text>      - a later instance: passes <text> on
#include "stdafx.h"

static const char *kMutex = "Global\\FmapSingleInstanceDemo";
static const char *kShared = "Local\\FmapSingleInstanceMsg";
static const char *kReady = "Local\\FmapSingleInstanceReady";
static const char *kTaken = "Local\\FmapSingleInstanceTaken";

struct Message {
    DWORD sender;
    char text[64];
};

class SharedMessage {
public:
    SharedMessage() : m_map(NULL), m_msg(NULL) {}
    ~SharedMessage()
    {
        if (m_msg)
            UnmapViewOfFile(m_msg);
        if (m_map)
            CloseHandle(m_map);
    }
    bool Open()
    {
        m_map = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(Message),
                                   kShared);
        if (m_map == NULL)
            return false;
        m_msg = static_cast<Message *>(MapViewOfFile(m_map, FILE_MAP_ALL_ACCESS, 0, 0, 0));
        return m_msg != NULL;
    }
    Message *operator->() { return m_msg; }

private:
    HANDLE m_map;
    Message *m_msg;
};

static int Serve(int count)
{
    HANDLE ready = CreateEventA(NULL, FALSE, FALSE, kReady);
    HANDLE taken = CreateEventA(NULL, FALSE, TRUE, kTaken);
    SharedMessage shm;
    if (!shm.Open() || !ready || !taken)
        return 1;
    printf("server: waiting for %d messages\n", count);
    fflush(stdout);
    for (int i = 0; i < count; i++) {
        if (WaitForSingleObject(ready, 20000) != WAIT_OBJECT_0)
            return 2;
        char line[96];
        sprintf_s(line, "message %d: %s", i + 1, shm->text);
        printf("server: %s\n", line);
        fflush(stdout);
        SetEvent(taken);
    }
    CloseHandle(ready);
    CloseHandle(taken);
    return 0;
}

int main(int argc, char *argv[])
{
    HANDLE mutex = CreateMutexA(NULL, TRUE, kMutex);
    DWORD err = GetLastError();
    if (mutex == NULL) {
        printf("CreateMutex failed (%lu)\n", GetLastError());
        return 1;
    }
    if (err != ERROR_ALREADY_EXISTS) {
        if (argc < 3 || _stricmp(argv[1], "serve") != 0) {
            printf("first instance: nothing to serve\n");
            ReleaseMutex(mutex);
            CloseHandle(mutex);
            return 0;
        }
        int rc = Serve(atoi(argv[2]));
        ReleaseMutex(mutex);
        CloseHandle(mutex);
        return rc;
    }
    // Another instance runs: pass the text on.
    CloseHandle(mutex);
    HANDLE ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, kReady);
    HANDLE taken = OpenEventA(SYNCHRONIZE, FALSE, kTaken);
    SharedMessage shm;
    if (!ready || !taken || !shm.Open()) {
        printf("client: cannot reach the first instance (%lu)\n", GetLastError());
        return 1;
    }
    if (WaitForSingleObject(taken, 20000) != WAIT_OBJECT_0)
        return 1;
    shm->sender = GetCurrentProcessId();
    if (strcpy_s(shm->text, argc > 1 ? argv[1] : "(none)") != 0)
        return 1;
    SetEvent(ready);
    CloseHandle(ready);
    CloseHandle(taken);
    return 0;
}
