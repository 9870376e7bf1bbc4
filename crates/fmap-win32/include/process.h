/* process.h for fmap-win32: _spawnl, _spawnlp, _spawnv, _spawnvp, _cwait, _getpid and the _P_
 * modes (all in fmap_crt.h), and _beginthreadex (CreateThread with the C runtime's signature;
 * the handle it returns is closed with CloseHandle). _beginthread, _endthread and _endthreadex
 * are not provided: ending a thread from inside its routine needs an unwind that the
 * threads fmap-win32 starts cannot take safely (return from the routine instead). */
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
#ifdef __cplusplus
}
#endif
#endif
