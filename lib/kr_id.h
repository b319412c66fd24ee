/*
 * kr_id: the one rule for task and run ids, as the server stores them.
 *
 * An id is 1 to KR_ID_MAX bytes of ASCII letters, digits and the marks
 * "-_.:@+=~", and is neither "." nor "..". So it needs no escaping in
 * JSON, a spool line, a log line or a shell word, and it is one path
 * segment of a URL (the marks '+' and '=' are percent-encoded there).
 */
#ifndef KR_ID_H
#define KR_ID_H

#include <stddef.h>

#define KR_ID_MAX 128
/* For messages: what an id may hold. */
#define KR_ID_RULE "1 to 128 letters, digits or '-_.:@+=~'"

/* 1 when the n bytes at s are an id by the rule above, else 0. */
int kr_id_valid(const char *s, size_t n);

#endif
