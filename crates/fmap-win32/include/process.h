/* process.h for fmap-win32: _spawnl, _spawnlp, _spawnv, _spawnvp, _cwait, _getpid and the _P_
 * modes (all in fmap_crt.h); _beginthreadex (CreateThread with the C runtime's signature; the
 * handle it returns is closed with CloseHandle), _endthreadex (ExitThread), _beginthread (its
 * handle is closed by the thread when it ends, as in Microsoft's runtime: wait with
 * _beginthreadex instead; failure returns (uintptr_t)-1) and _endthread (ExitThread(0)). */
#ifndef FMAP_WIN32_PROCESS_H
#define FMAP_WIN32_PROCESS_H
#include "fmap_crt.h"
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __cplusplus
extern "C" {
#endif
uintptr_t _beginthreadex(void *security, unsigned stack_size, unsigned (*start)(void *), void *arg,
                         unsigned flags, unsigned *thread_id);
__attribute__((noreturn)) void _endthreadex(unsigned code);
uintptr_t _beginthread(void (*start)(void *), unsigned stack_size, void *arg);
__attribute__((noreturn)) void _endthread(void);
#ifdef __cplusplus
}
#endif
#endif
