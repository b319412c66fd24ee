/*
 * kr_forms: the forms a secret value takes in logs: as it is, base64
 * (standard and URL-safe, at each of the three offsets inside a longer
 * blob), URL-encoded (upper- and lowercase hex, '+' for a space), hex
 * (both cases) and JSON-escaped (with and without "\/"). keruta-filter
 * masks them all as they pass; keruta-serve scrubs them from what it
 * stored.
 */
#ifndef KR_FORMS_H
#define KR_FORMS_H

#include <stddef.h>

/* Called once a form (the same form may come more than once). */
typedef int (*kr_form_fn)(void *arg, const char *s, size_t n);

/*
 * Calls fn for each form of v[0..n), the value itself first; stops at
 * the first call that does not return 0 and returns what it returned.
 * 0, or -1 with errno when out of memory. The scratch memory is wiped.
 */
int kr_forms(const char *v, size_t n, kr_form_fn fn, void *arg);

#endif
