/* process.h for fmap-win32: _spawnl, _spawnlp, _spawnv, _spawnvp, _cwait, _getpid and the _P_
 * modes (all in fmap_crt.h). _beginthread(ex) is not provided yet (see the README). */
#ifndef FMAP_WIN32_PROCESS_H
#define FMAP_WIN32_PROCESS_H
#include "fmap_crt.h"
#include <stdlib.h>
#include <unistd.h>
#endif
