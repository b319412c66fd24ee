/*
 * redact.c: scrubbing a value found after the fact from what is stored.
 * A redaction becomes a job; the first job runs a few hundred records a
 * step from a timer, so ingest and viewers wait no longer than a step;
 * each record changed is rewritten in place by the store, which keeps the
 * full-text index in step and overwrites what it replaced, and its task's
 * viewers are told. When a job ends, the store gets the old text out of
 * the index and the WAL (store_purge_step), a step at a time as well.
 */
#define _GNU_SOURCE		/* memmem, REG_STARTEND */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "kr_diag.h"
#include "kr_forms.h"
#include "kr_json.h"
#include "kr_time.h"
#include "commit.h"
#include "feed.h"
#include "redact.h"
#include "srv.h"

#define STEP_ROWS	500	/* records looked at in one step */
#define STEP_US		(2 * LWS_US_PER_MS)	/* between steps */

struct form {
	char *s;
	size_t n;
};

struct hit {
	long long id, tid;
};

struct rjob {
	long long id;
	struct scope sc;
	struct form *forms;	/* the longest first */
	size_t nforms, cforms;
	regex_t re;
	int has_re;
	long long from, upto, scanned, changed;
	int chased;		/* the second pass, over what came meanwhile */
	struct hit *hits;	/* records changed by this step */
	size_t nhits, chits;
	struct kr_buf tmp;	/* text being scrubbed */
	struct rjob *next;
};

/* ---- the text ---- */

static int
form_add(void *arg, const char *s, size_t n)
{
	struct rjob *j = arg;
	struct form *f;
	size_t i;

	if (n < REDACT_VALUE_MIN)
		return 0;
	for (i = 0; i < j->nforms; i++)
		if (j->forms[i].n == n && memcmp(j->forms[i].s, s, n) == 0)
			return 0;
	if (j->nforms == j->cforms) {
		size_t nc = j->cforms ? j->cforms * 2 : 32;

		if ((f = realloc(j->forms, nc * sizeof *f)) == NULL)
			return -1;
		j->forms = f;
		j->cforms = nc;
	}
	if ((j->forms[j->nforms].s = malloc(n)) == NULL)
		return -1;
	memcpy(j->forms[j->nforms].s, s, n);
	j->forms[j->nforms++].n = n;
	return 0;
}

static int
longest_first(const void *a, const void *b)
{
	const struct form *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

/* The first match in t[0..n) at or after *at: its start, and its end. */
static int
find(struct rjob *j, const char *t, size_t n, size_t *at, size_t *end)
{
	const char *best = NULL, *p;
	size_t i, bl = 0;

	if (j->has_re) {
		regmatch_t m;

		/* REG_STARTEND: the range given bounds the text. */
		m.rm_so = (regoff_t)*at;
		m.rm_eo = (regoff_t)n;
		if (*at >= n || regexec(&j->re, t, 1, &m, REG_STARTEND |
		    (*at > 0 ? REG_NOTBOL : 0)) != 0)
			return 0;
		*at = (size_t)m.rm_so;
		*end = (size_t)m.rm_eo > *at ? (size_t)m.rm_eo : *at + 1;
		return 1;
	}
	for (i = 0; i < j->nforms; i++) {
		/* Only a match that starts before the best so far counts. */
		size_t lim = best == NULL ? n :
		    (size_t)(best - t) + j->forms[i].n - 1;

		if (lim > n)
			lim = n;
		if (lim < *at || lim - *at < j->forms[i].n)
			continue;
		p = memmem(t + *at, lim - *at, j->forms[i].s, j->forms[i].n);
		if (p != NULL && (best == NULL || p < best)) {
			best = p;
			bl = j->forms[i].n;
		}
	}
	if (best == NULL)
		return 0;
	*at = (size_t)(best - t);
	*end = *at + bl;
	return 1;
}

/* t with every match replaced, into out: 1 if there was one, else 0. */
static int
scrub(struct rjob *j, const char *t, size_t n, struct kr_buf *out)
{
	size_t at = 0, start, end;
	int any = 0;

	for (;;) {
		start = at;
		if (!find(j, t, n, &start, &end))
			break;
		kr_buf_add(out, t + at, start - at);
		kr_buf_adds(out, REDACT_MARK);
		at = end;
		any = 1;
	}
	kr_buf_add(out, t + at, n - at);
	return any;
}

/* Scrubs a string item in place; the original bytes (bytes) decoded. */
static int
scrub_item(struct rjob *j, cJSON *it, int bytes)
{
	struct kr_buf raw = KR_BUF_INIT((size_t)1 << 30),
		      b = KR_BUF_INIT((size_t)1 << 30);
	const char *v = it->valuestring;
	int changed = 0;

	j->tmp.len = 0;
	if (bytes && kr_base64_decode(&raw, v, strlen(v)) == 0 &&
	    raw.s != NULL && kr_buf_addc(&raw, '\0') == 0) {
		if (scrub(j, raw.s, raw.len - 1, &b)) {
			kr_base64_add(&j->tmp, b.s, b.len);
			changed = 1;
		}
	} else if (scrub(j, v, strlen(v), &j->tmp)) {
		changed = 1;
	}
	if (changed && (kr_buf_addc(&j->tmp, '\0') == -1 ||
	    cJSON_SetValuestring(it, j->tmp.s) == NULL))
		changed = -1;
	if (raw.s != NULL)
		sodium_memzero(raw.s, raw.cap);
	if (b.s != NULL)
		sodium_memzero(b.s, b.cap);
	kr_buf_free(&raw);
	kr_buf_free(&b);
	return changed;
}

/* Every string under it (keys aside); top: the record's own members. */
static int
scrub_tree(struct rjob *j, cJSON *it, int top)
{
	cJSON *e;
	int any = 0, r;

	cJSON_ArrayForEach(e, it) {
		if (cJSON_IsString(e))
			r = scrub_item(j, e, top && e->string != NULL &&
			    strcmp(e->string, "bytes") == 0);
		else if (cJSON_IsObject(e) || cJSON_IsArray(e))
			r = scrub_tree(j, e, 0);
		else
			continue;
		if (r == -1)
			return -1;
		any |= r;
	}
	return any;
}

/* The extra members (JSON text without its braces), scrubbed. */
static int
scrub_extra(struct rjob *j, const char *x, size_t n, struct kr_buf *out)
{
	struct kr_buf w = KR_BUF_INIT((size_t)1 << 31);
	cJSON *tree = NULL;
	char *text = NULL;
	int r;

	kr_buf_addc(&w, '{');
	kr_buf_add(&w, x, n);
	kr_buf_addc(&w, '}');
	if (w.s == NULL || (tree = cJSON_ParseWithLength(w.s, w.len)) == NULL)
		r = scrub(j, x, n, out);	/* not JSON: as text */
	else if ((r = scrub_tree(j, tree, 1)) == 1) {
		if ((text = cJSON_PrintUnformatted(tree)) == NULL)
			r = -1;
		else
			kr_buf_add(out, text + 1, strlen(text) - 2);
	} else if (r == 0)
		kr_buf_add(out, x, n);
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		cJSON_free(text);
	}
	cJSON_Delete(tree);
	if (w.s != NULL)
		sodium_memzero(w.s, w.cap);
	kr_buf_free(&w);
	return r;
}

/* The store's rewrite_fn. */
static int
rewrite(void *arg, const char *msg, size_t msglen, const char *extra,
    size_t extralen, struct kr_buf *nmsg, struct kr_buf *nextra)
{
	struct rjob *j = arg;
	size_t at = 0, end;
	int changed, r = 0;

	changed = scrub(j, msg ? msg : "", msglen, nmsg);
	if (extra != NULL) {
		if (find(j, extra, extralen, &at, &end))
			r = scrub_extra(j, extra, extralen, nextra);
		else
			kr_buf_add(nextra, extra, extralen);
		if (r == -1)
			return -1;
	}
	return changed || r ? 1 : 0;
}

/* The store's rewritten_fn: kept until the step ends. */
static void
rewritten(void *arg, long long id, long long tid)
{
	struct rjob *j = arg;
	struct hit *h;

	if (j->nhits == j->chits) {
		size_t nc = j->chits ? j->chits * 2 : 64;

		if ((h = realloc(j->hits, nc * sizeof *h)) == NULL)
			return;	/* the viewers are not told; stored is */
		j->hits = h;
		j->chits = nc;
	}
	j->hits[j->nhits].id = id;
	j->hits[j->nhits++].tid = tid;
}

/* ---- the jobs ---- */

static void
job_free(struct rjob *j)
{
	size_t i;

	for (i = 0; i < j->nforms; i++) {
		sodium_memzero(j->forms[i].s, j->forms[i].n);
		free(j->forms[i].s);
	}
	free(j->forms);
	if (j->has_re)
		regfree(&j->re);
	free(j->hits);
	if (j->tmp.s != NULL)
		sodium_memzero(j->tmp.s, j->tmp.cap);
	kr_buf_free(&j->tmp);
	free(j);
}

/* Tells each task's viewers what this step changed, a message a task. */
static void
tell(struct srv *s, struct rjob *j)
{
	long long ids[STEP_ROWS];
	size_t i, k, n;

	for (i = 0; i < j->nhits; i = k) {
		for (k = i, n = 0; k < j->nhits && j->hits[k].tid ==
		    j->hits[i].tid && n < STEP_ROWS; k++)
			ids[n++] = j->hits[k].id;
		feed_redacted(s, j->hits[i].tid, j->id, ids, n);
	}
	j->nhits = 0;
}

static void
job_end(struct redact *r, const char *state)
{
	struct rjob *j = r->jobs;
	struct store *st = r->srv->store;

	r->jobs = j->next;
	if (store_redaction_set(st, j->id, state, j->scanned, j->changed) ==
	    -1)
		kr_warn("redaction %lld: its audit entry could not be updated",
		    j->id);
	kr_info("redaction %lld %s: %lld records looked at, %lld changed",
	    j->id, state, j->scanned, j->changed);
	if (j->changed > 0)
		r->purging = 1;
	job_free(j);
}

static void
step(lws_sorted_usec_list_t *sul)
{
	struct redact *r = lws_container_of(sul, struct redact, sul);
	struct srv *s = r->srv;
	struct rjob *j = r->jobs;
	long long n;

	commit_sync(&s->commit);
	if (j == NULL) {
		if (!r->purging)
			return;
		n = store_purge_step(s->store);
		if (n == -1)
			kr_warn("redaction: the old text may still be in the "
			    "database files until the next redaction");
		if (n != 1)
			r->purging = 0;
	} else if ((n = store_rewrite(s->store, &j->sc, &j->from, j->upto,
	    STEP_ROWS, rewrite, j, &j->changed, rewritten, j)) == -1) {
		j->nhits = 0;
		job_end(r, "failed");
	} else {
		j->scanned += n;
		tell(s, j);
		if (j->from >= j->upto) {
			/* Records stored during the pass are looked at too,
			 * in one more pass: ingest never keeps it going. */
			if (!j->chased && store_last_id(s->store) > j->upto) {
				j->upto = store_last_id(s->store);
				j->chased = 1;
			} else
				job_end(r, "done");
		}
	}
	if (r->jobs != NULL || r->purging)
		lws_sul_schedule(r->ctx, 0, &r->sul, step, STEP_US);
}

long long
redact_start(struct redact *r, const struct scope *sc,
    const char *const *values, const size_t *lens, size_t n,
    const char *pattern, const char *who, struct srv_err *e)
{
	struct rjob *j, **pp;
	struct kr_buf sj = KR_BUF_INIT(1 << 16);
	size_t i;
	int rc;

	if ((j = calloc(1, sizeof *j)) == NULL)
		goto nomem;
	kr_buf_init(&j->tmp, (size_t)1 << 30);
	j->sc = *sc;
	for (i = 0; i < n; i++)
		if (kr_forms(values[i], lens[i], form_add, j) == -1)
			goto nomem;
	qsort(j->forms, j->nforms, sizeof *j->forms, longest_first);
	if (pattern != NULL) {
		if ((rc = regcomp(&j->re, pattern, REG_EXTENDED)) != 0) {
			char m[128];

			regerror(rc, &j->re, m, sizeof m);
			err_set(e, 400, "BAD_PATTERN", "pattern: %s", m);
			job_free(j);
			return -1;
		}
		j->has_re = 1;
	}
	kr_buf_adds(&sj, sc->kind == SC_ALL ? "{}" : sc->kind == SC_TASK ?
	    "{\"task\":" : "{\"taskPrefix\":");
	if (sc->kind != SC_ALL) {
		json_str(&sj, sc->name, strlen(sc->name));
		kr_buf_addc(&sj, '}');
	}
	commit_sync(&r->srv->commit);
	j->upto = store_last_id(r->srv->store);
	j->id = store_redaction_new(r->srv->store, who, sj.s ? sj.s : "{}");
	kr_buf_free(&sj);
	if (j->id == -1) {
		err_set(e, 503, "STORE_FAILED", "the database failed; retry "
		    "later");
		job_free(j);
		return -1;
	}
	for (pp = &r->jobs; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = j;
	lws_sul_schedule(r->ctx, 0, &r->sul, step, STEP_US);
	return j->id;
nomem:
	kr_buf_free(&sj);
	if (j != NULL)
		job_free(j);
	err_set(e, 503, "OUT_OF_MEMORY", "out of memory; retry later");
	return -1;
}

void
redact_stop(struct redact *r)
{
	lws_sul_cancel(&r->sul);
	while (r->jobs != NULL)
		job_end(r, "interrupted");
	r->purging = 0;
}

struct listing {
	struct redact *r;
	struct kr_buf *out;
	int n;
};

static void
str_or_null(struct kr_buf *b, const char *s)
{
	if (s == NULL)
		kr_buf_adds(b, "null");
	else
		json_str(b, s, strlen(s));
}

static int
entry(void *arg, const struct redaction_info *ri)
{
	struct listing *l = arg;
	struct kr_buf *b = l->out;
	const struct rjob *j;
	long long scanned = ri->scanned, changed = ri->changed;

	for (j = l->r->jobs; j != NULL; j = j->next)
		if (j->id == ri->id) {
			scanned = j->scanned;
			changed = j->changed;
		}
	kr_buf_printf(b, "%s{\"id\":%lld,\"state\":", l->n++ ? "," : "",
	    ri->id);
	str_or_null(b, ri->state);
	kr_buf_adds(b, ",\"created\":");
	str_or_null(b, ri->created);
	kr_buf_adds(b, ",\"who\":");
	str_or_null(b, ri->who);
	kr_buf_printf(b, ",\"scope\":%s,\"scanned\":%lld,\"changed\":%lld,"
	    "\"finished\":", ri->scope ? ri->scope : "{}", scanned, changed);
	str_or_null(b, ri->finished);
	kr_buf_addc(b, '}');
	return 0;
}

int
redact_json(struct redact *r, long long id, struct kr_buf *out)
{
	struct listing l = { r, out, 0 };

	if (id == 0)
		kr_buf_adds(out, "{\"redactions\":[");
	if (store_redactions(r->srv->store, id, entry, &l) == -1)
		return -1;
	if (id == 0)
		kr_buf_adds(out, "]}");
	return id == 0 || l.n > 0;
}
