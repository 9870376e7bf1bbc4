/* conio.h for fmap-win32: console input (see windows.h). */
#ifndef FMAP_WIN32_CONIO_H
#define FMAP_WIN32_CONIO_H
#ifdef __cplusplus
extern "C" {
#endif

/* One key from standard input, without waiting for Enter and without echo (the terminal is put
   in non-canonical mode for the read); if standard input is not a terminal, its next byte.
   Returns -1 at the end of input. */
int _getch(void);
/* Like _getch, and echoes the key. */
int _getche(void);
/* Nonzero if a key is waiting on standard input (not read; a terminal is checked in
   non-canonical mode, so a key without Enter counts). */
int _kbhit(void);
#define getch _getch
#define getche _getche
#define kbhit _kbhit

#ifdef __cplusplus
}
#endif
#endif
