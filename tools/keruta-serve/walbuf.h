/* walbuf.h: the VFS that gathers a commit's WAL writes (walbuf.c). */
#ifndef WALBUF_H
#define WALBUF_H

/*
 * Makes it the default VFS. 0, or -1 when the default is not "unix" (its
 * writes then go one by one, as SQLite makes them).
 */
int walbuf_register(void);

#endif
