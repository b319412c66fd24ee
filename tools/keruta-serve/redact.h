/*
 * redact.h: a value found after the fact, scrubbed from every stored
 * record of a scope: each occurrence, in the encodings keruta-filter
 * knows, becomes [REDACTED:retro] in the message, the metadata's strings
 * and the original bytes of a line that was not UTF-8. It runs in steps
 * between the other work; viewers of a changed record are told; each
 * redaction is kept for the audit, never its values.
 */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

#include <libwebsockets.h>

#include "rec.h"
#include "store.h"

#define REDACT_MARK	"[REDACTED:retro]"
#define REDACT_VALUES	64	/* values in one redaction */
#define REDACT_VALUE_MIN 4	/* shorter ones would hit ordinary words */
#define REDACT_VALUE_MAX 4096

struct srv;
struct rjob;

struct redact {
	struct lws_context *ctx;
	struct srv *srv;
	struct rjob *jobs;	/* the first runs, the others wait */
	lws_sorted_usec_list_t sul;
	int purging;		/* the last job's text leaves the files */
};

/*
 * Starts a redaction of the values (n of them, or a POSIX extended
 * regular expression, pattern) over sc, asked by who: its id (it runs
 * from the next step on), or -1 with e set (400 for what was asked, 503
 * when the store failed).
 */
long long redact_start(struct redact *r, const struct scope *sc,
    const char *const *values, const size_t *lens, size_t n,
    const char *pattern, const char *who, struct srv_err *e);
/* Stops the steps (shutdown); what is left is "interrupted". */
void redact_stop(struct redact *r);
/*
 * Appends a redaction's audit entry as JSON (id 0: a list of every one,
 * {"redactions":[...]}). 1 if found, 0 if not, -1 on error.
 */
int redact_json(struct redact *r, long long id, struct kr_buf *out);

#endif
