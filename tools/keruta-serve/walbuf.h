/* walbuf.h: the VFS that gathers a commit's WAL writes (walbuf.c). */
#ifndef WALBUF_H
#define WALBUF_H

/*
 * Makes it the default VFS. 0, or -1 when the default is not "unix" (its
 * writes then go one by one, as SQLite makes them).
 */
int walbuf_register(void);
/*
 * While on, in the calling thread, a sync of a WAL file only writes what
 * was gathered: the caller syncs the file itself later (store_sq.c's
 * syncer), and nothing may count on it being on disk before then.
 */
void walbuf_defer_sync(int on);

#endif
