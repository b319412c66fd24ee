/*
 * keruta-filter: redact secrets and filter records by level and source.
 *
 * Reads keruta(7) records on stdin, writes them on stdout. A record
 * keeps its bytes, its fields and their order; only "message" and the
 * strings of members that keruta(7) does not define ("metadata", or any
 * an application put there) may be rewritten (secrets become
 * [REDACTED:<rule>]), and "bytes" re-derived or dropped with the
 * message. Lines that are not records are forwarded wrapped in one
 * (malformed: true), still redacted; lines over the size limit become a
 * gap record.
 *
 * Exits 0 at the end of input, 100 on bad usage or configuration, 111
 * when reading or writing fails (a reader that goes away before taking
 * every record included).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "filter.h"
#include "kr_cfg.h"
#include "kr_diag.h"
#include "kr_io.h"
#include "kr_jr.h"
#include "kr_json.h"
#include "kr_level.h"
#include "kr_lr.h"
#include "kr_parse.h"
#include "kr_rec.h"
#include "kr_set.h"
#include "kr_time.h"

#define TOOL (&kr_tool_filter)
#define NMASKS 64

/* The tail of a continued record kept to find secrets split across
 * records: longer than any token format. */
#define TAIL_MAX 4096
#define OUT_FLUSH 65536
#define NSTREAMS 8
#define NSOURCES 16
/* Continued records held per source, at most: a secret split across more
 * (records shorter than a token) is masked from the oldest held on. */
#define HOLD_MAX 16

struct field {
	int present, esc, str;
	size_t ms, me; /* member: after the ',' or '{' before it, and
			  the ',' or '}' after it */
	size_t vs, ve; /* value; for a string, with its quotes */
};

struct recinfo {
	struct field msg, bytes, meta, source, level, task, run;
	int continued, partial;
	int rest; /* members other than the fields of keruta(7) */
};

/* One part of a line replaced: line[s..e), by f->meta[bs..be) for ED_META. */
struct edit {
	size_t s, e, bs, be;
	enum { ED_MSG, ED_BYTES, ED_CUT, ED_META } kind;
};

/* A continued record waiting for the one that continues it. */
struct held {
	struct kr_buf line, text;
	struct recinfo ri;
	struct spans sp;
};

struct stream {
	char key[32];
	size_t keylen;
	int used;
	struct pem_state pem;
	struct held q[HOLD_MAX]; /* oldest first */
	size_t qn, qlen;	 /* records held, their text bytes */
	long long due;		 /* held partial records go out then */
	int linehold;		 /* the last held record ends its line */
	struct kr_buf ctx;	 /* the line so far, already written */
};

struct filter {
	int redact, report, minlevel;
	long long hold_ms; /* how long a partial record waits for its rest */
	int mask_rule;	   /* "add-mask", once a value was added */
	const char *sources[NSOURCES];
	size_t nsources;
	size_t maxbytes;
	struct redactor r;
	struct stream st[NSTREAMS + 1]; /* the last: malformed lines */
	struct kr_buf out, text, join, tmp, b64, task, run;
	/* metadata: rewritten, one key, one value (decoded) */
	struct kr_buf meta, mkey, mtext;
	struct spans sp, bsp, msp, wsp;
	struct edit *ed;
	size_t ned, edcap;
	/* an array of strings as one line: the words, where each starts */
	struct kr_buf words;
	size_t *wpos, wcap;
	unsigned long long lineno, malformed, oversize, dropped, records;
	struct kr_ratelimit rl;
};

/* ---- JSON: a record read with lib's kr_jr, its fields noted ---- */

/* The line is checked as UTF-8 before it is read. */
#define RD_FLAGS KR_JR_UTF8_OK

/*
 * Appends the decoded content of the string field x of line (without its
 * quotes): copied as it is when it has no escape.
 */
static int
json_decode(struct kr_buf *b, const char *line, const struct field *x)
{
	struct kr_jr_str str = {line + x->vs + 1, x->ve - x->vs - 2,
	    x->esc & KR_JR_ESC};

	return kr_jr_decode(b, &str);
}

/* The fields of a record that matter: the first 7 have a struct field. */
static const char *const rec_names[] = {"message", "bytes", "metadata",
    "source", "level", "taskId", "runId", "continued", "partial", "type",
    "seq", "timestamp", "lineNumber"};
static const size_t rec_lens[] = {7, 5, 8, 6, 5, 6, 5, 9, 7, 4, 3, 9, 10};
#define NNAMES (sizeof rec_names / sizeof rec_names[0])

/* Where a key is in rec_names (NNAMES: not there). No two names have
 * the same length and first letter, so one compare tells. */
static size_t
rec_name(const struct kr_jr_str *key)
{
	static unsigned char at[16][128];
	size_t k;

	if (at[7]['m'] == 0)
		for (k = 0; k < NNAMES; k++)
			at[rec_lens[k]][(unsigned char)rec_names[k][0]] =
			    (unsigned char)(k + 1);
	if (key->esc & KR_JR_ESC) {
		for (k = 0; k < NNAMES; k++)
			if (kr_jr_eqn(key, rec_names[k], rec_lens[k]))
				break;
		return k;
	}
	if (key->n == 0 || key->n >= 16 || (unsigned char)key->s[0] >= 128 ||
	    (k = at[key->n][(unsigned char)key->s[0]]) == 0 ||
	    memcmp(key->s, rec_names[k - 1], key->n) != 0)
		return NNAMES;
	return k - 1;
}

/*
 * The value of field x at j->p, read: where it is, and whether it is a
 * string with escapes; a lone surrogate is taken in the message only.
 */
static int
scan_field(struct kr_jr *j, const char *s, struct field *x, int msg)
{
	struct kr_jr_str v;

	x->present = 1;
	x->vs = (size_t)(j->p - s);
	x->str = j->p < j->end && *j->p == '"';
	if (x->str) {
		if (kr_jr_string(j, &v, msg) == -1)
			return -1;
		x->esc = v.esc;
	} else if (kr_jr_skip(j) == -1)
		return -1;
	x->ve = (size_t)(j->p - s);
	return 0;
}

/*
 * Validates the line as one JSON object and notes where the fields that
 * matter are. -1 when it is not one, or when a field that may be
 * rewritten comes twice (readers disagree on which one counts).
 */
static int
scan_record(const char *s, size_t n, struct recinfo *ri)
{
	struct field *fl[] = {&ri->msg, &ri->bytes, &ri->meta, &ri->source,
	    &ri->level, &ri->task, &ri->run, NULL, NULL, NULL, NULL, NULL,
	    NULL};
	struct kr_jr j;
	struct kr_jr_str key;
	size_t k, ms;
	int m = 0, rc;

	memset(ri, 0, sizeof *ri);
	kr_jr_init(&j, s, n, RD_FLAGS);
	if (kr_jr_peek(&j) != KR_JR_OBJECT || kr_jr_enter(&j) == -1)
		return -1;
	(void)kr_jr_peek(&j);
	/* A member starts at its key, or just after the ',' before it. */
	ms = (size_t)(j.p - s);
	while ((rc = kr_jr_member(&j, &m, &key)) == 1) {
		k = rec_name(&key);
		(void)kr_jr_peek(&j);
		if (k == 2 || k == NNAMES)
			ri->rest = 1;
		if (k < NNAMES && fl[k] != NULL) {
			if (fl[k]->present && k < 3)
				return -1;
			fl[k]->ms = ms;
			if (scan_field(&j, s, fl[k], k == 0) == -1)
				return -1;
		} else {
			if (k == 7 || k == 8)
				(k == 7 ? &ri->continued : &ri->partial)[0] =
				    j.end - j.p >= 4 &&
				    memcmp(j.p, "true", 4) == 0;
			if (kr_jr_skip(&j) == -1)
				return -1;
		}
		(void)kr_jr_peek(&j);
		if (k < 7)
			fl[k]->me = (size_t)(j.p - s);
		ms = (size_t)(j.p - s) + 1;
	}
	return rc == -1 ? -1 : kr_jr_end(&j);
}

/* ---- rendering ---- */

static void
oom(void)
{
	kr_die(KR_EX_TEMP, "out of memory");
}

/* Appends t[0..n) with the spans masked; JSON-escaped when `json`. */
static void
add_masked(struct filter *f, struct kr_buf *b, const char *t, size_t n,
    const struct spans *sp, int json)
{
	size_t i, pos = 0;
	const char *name;

	for (i = 0; i <= sp->n; i++) {
		size_t s = i < sp->n ? sp->v[i].start : n;

		if (s > pos) {
			if (json
				? kr_json_escape_utf8(b, t + pos, s - pos) == -1
				: kr_buf_add(b, t + pos, s - pos) == -1)
				oom();
		}
		if (i == sp->n)
			break;
		name = f->r.names[sp->v[i].rule].name;
		if (kr_buf_adds(b, "[REDACTED:") == -1 ||
		    (json ? kr_json_escape_utf8(b, name, strlen(name)) == -1
			  : kr_buf_adds(b, name) == -1) ||
		    kr_buf_addc(b, ']') == -1)
			oom();
		pos = sp->v[i].end;
	}
}

static void
flush_out(struct filter *f)
{
	if (f->out.len == 0)
		return;
	if (kr_writeall(1, f->out.s, f->out.len) == -1) {
		unsigned long long k = 0;
		size_t i;
		int e = errno;

		/* What the reader did not take was not delivered. */
		for (i = 0; i < f->out.len; i++)
			k += f->out.s[i] == '\n';
		for (i = 0; i <= NSTREAMS; i++)
			k += f->st[i].qn;
		kr_die(KR_EX_TEMP,
		    "unable to write to standard output: %s: %llu record%s "
		    "not delivered",
		    strerror(e), k, k == 1 ? "" : "s");
	}
	f->out.len = 0;
}

static void
count_spans(struct filter *f, const struct spans *sp, size_t n, int more)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (sp->v[i].counted == 2 ||
		    (sp->v[i].counted == 1 && !(more && sp->v[i].end == n)))
			f->r.names[sp->v[i].rule].count++;
}

/* ---- metadata: every string in it, redacted like the message ---- */

struct meta_walk {
	const char *line;
	size_t n;
	size_t last; /* line[last..) is not in f->meta yet */
	int changed;
};

/*
 * The string v inside metadata, the value of the member whose key is key
 * (NULL: none): masked into f->meta when it holds a secret.
 */
static void
meta_string(struct filter *f, struct meta_walk *w, const struct kr_jr_str *v,
    const struct kr_jr_str *key)
{
	const char *t = v->s, *k = key != NULL ? key->s : NULL;
	size_t tn = v->n, kn = key != NULL ? key->n : 0;
	size_t vs = (size_t)(v->s - w->line), ve = vs + v->n;
	struct pem_state pem = {PEM_NONE, 0};

	if (tn == 0)
		return;
	if (v->esc) {
		f->mtext.len = 0;
		if (kr_jr_decode(&f->mtext, v) == -1)
			oom();
		t = f->mtext.s;
		tn = f->mtext.len;
	}
	f->msp.n = 0;
	rules_scan(t, tn, 0, &pem, 0, &f->msp);
	if (kn > 0) {
		if (key->esc) {
			f->mkey.len = 0;
			if (kr_jr_decode(&f->mkey, key) == -1)
				oom();
			k = f->mkey.s;
			kn = f->mkey.len;
		}
		rules_member(k, kn, t, tn, &f->msp);
	}
	redactor_scan_extra(&f->r, t, tn, 0, &f->msp);
	if (f->msp.n == 0)
		return;
	spans_merge(&f->msp);
	count_spans(f, &f->msp, tn, 0);
	w->changed = 1;
	if (kr_buf_add(&f->meta, w->line + w->last, vs - w->last) == -1)
		oom();
	add_masked(f, &f->meta, t, tn, &f->msp, 1);
	w->last = ve;
}

/*
 * An array at line[*i] of two strings or more and nothing else: looked
 * at as the words of one command line, so that the value of a
 * "--password" word is found in the next one. 1 when it was such an
 * array; *i then ends past it.
 */
static int
meta_words(struct filter *f, struct meta_walk *w, struct kr_jr *rd)
{
	struct pem_state pem = {PEM_NONE, 0};
	struct kr_jr c = *rd;
	struct kr_jr_str wd;
	size_t nw = 0, k, a, b, j, vs;
	int n = 0, r;

	if (kr_jr_enter(&c) == -1)
		return 0;
	while ((r = kr_jr_elem(&c, &n)) == 1) {
		if (kr_jr_peek(&c) != KR_JR_STRING ||
		    kr_jr_string(&c, &wd, 0) == -1)
			return 0;
		nw++;
	}
	if (r != 0 || nw < 2)
		return 0;
	if (3 * nw + 1 > f->wcap) {
		size_t *v = realloc(f->wpos, (3 * nw + 1) * sizeof *v);

		if (v == NULL)
			oom();
		f->wpos = v;
		f->wcap = 3 * nw + 1;
	}
	f->words.len = 0;
	(void)kr_jr_enter(rd);
	n = 0;
	for (k = 0; k < nw && kr_jr_elem(rd, &n) == 1; k++) {
		(void)kr_jr_string(rd, &wd, 0);
		if ((k > 0 && kr_buf_addc(&f->words, ' ') == -1) ||
		    kr_jr_decode(&f->words, &wd) == -1)
			oom();
		vs = (size_t)(wd.s - 1 - w->line);
		f->wpos[3 * k] = f->words.len;
		f->wpos[3 * k + 1] = vs;
		f->wpos[3 * k + 2] = vs + wd.n + 2;
	}
	(void)kr_jr_elem(rd, &n);	/* past the ']' */
	/* wpos[3k] is where word k ends; it starts after the one before. */
	f->wsp.n = 0;
	rules_scan(f->words.s, f->words.len, 0, &pem, 0, &f->wsp);
	redactor_scan_extra(&f->r, f->words.s, f->words.len, 0, &f->wsp);
	if (f->wsp.n == 0)
		return 1;
	spans_merge(&f->wsp);
	count_spans(f, &f->wsp, f->words.len, 0);
	for (k = 0; k < nw; k++) {
		a = k == 0 ? 0 : f->wpos[3 * (k - 1)] + 1;
		b = f->wpos[3 * k];
		f->msp.n = 0;
		for (j = 0; j < f->wsp.n; j++)
			if (f->wsp.v[j].end > a && f->wsp.v[j].start < b)
				spans_add(&f->msp,
				    (f->wsp.v[j].start > a ? f->wsp.v[j].start
							   : a) - a,
				    (f->wsp.v[j].end < b ? f->wsp.v[j].end : b) -
					a,
				    f->wsp.v[j].rule, 0);
		if (f->msp.n == 0)
			continue;
		w->changed = 1;
		vs = f->wpos[3 * k + 1];
		if (kr_buf_add(&f->meta, w->line + w->last, vs + 1 - w->last) ==
		    -1)
			oom();
		add_masked(f, &f->meta, f->words.s + a, b - a, &f->msp, 1);
		w->last = f->wpos[3 * k + 2] - 1;
	}
	return 1;
}

/*
 * The JSON value at rd->p, already validated by scan_record, read; key
 * is its member's key (NULL: none). Keys are left alone.
 */
static void
meta_value(struct filter *f, struct meta_walk *w, struct kr_jr *rd,
    const struct kr_jr_str *key)
{
	struct kr_jr_str v, k;
	int n = 0;

	switch (kr_jr_peek(rd)) {
	case KR_JR_STRING:
		if (kr_jr_string(rd, &v, 0) == 0)
			meta_string(f, w, &v, key);
		return;
	case KR_JR_OBJECT:
		if (kr_jr_enter(rd) == 0)
			while (kr_jr_member(rd, &n, &k) == 1 &&
			    rd->err == KR_JR_OK)
				meta_value(f, w, rd, &k);
		return;
	case KR_JR_ARRAY:
		if (meta_words(f, w, rd))
			return;
		if (kr_jr_enter(rd) == 0)
			while (kr_jr_elem(rd, &n) == 1 && rd->err == KR_JR_OK)
				meta_value(f, w, rd, NULL);
		return;
	default:
		/* A number, true, false or null. */
		(void)kr_jr_skip(rd);
	}
}

static void
add_edit(struct filter *f, size_t s, size_t e, int kind, size_t bs, size_t be)
{
	struct edit *v;

	if (f->ned == f->edcap) {
		size_t cap = f->edcap ? f->edcap * 2 : 16;

		if ((v = realloc(f->ed, cap * sizeof *v)) == NULL)
			oom();
		f->ed = v;
		f->edcap = cap;
	}
	f->ed[f->ned].s = s;
	f->ed[f->ned].e = e;
	f->ed[f->ned].bs = bs;
	f->ed[f->ned].be = be;
	f->ed[f->ned++].kind = kind;
}

/*
 * Masks the members of `line` other than the fields of keruta(7) (its
 * metadata, and whatever an application or a saved file put there):
 * each changed member's value is an ED_META edit.
 */
static void
redact_rest(struct filter *f, const char *line, size_t n)
{
	static const char *const skip[] = {"message", "bytes", "type",
	    "taskId", "runId", "seq", "timestamp", "source", "level",
	    "lineNumber", "continued", "partial", NULL};
	static const size_t skiplen[] = {7, 5, 4, 6, 5, 3, 9, 6, 5, 10, 9, 7};
	struct meta_walk w;
	struct kr_jr j;
	struct kr_jr_str key;
	size_t vs, ve, k, bs;
	int m = 0;

	kr_jr_init(&j, line, n, RD_FLAGS);
	if (kr_jr_enter(&j) == -1)
		return;
	while (kr_jr_member(&j, &m, &key) == 1) {
		for (k = 0; skip[k] != NULL; k++)
			if (kr_jr_eqn(&key, skip[k], skiplen[k]))
				break;
		if (skip[k] != NULL) {
			if (kr_jr_skip(&j) == -1)
				return;
			continue;
		}
		(void)kr_jr_peek(&j);
		vs = (size_t)(j.p - line);
		w = (struct meta_walk){line, n, vs, 0};
		bs = f->meta.len;
		meta_value(f, &w, &j, &key);
		if (j.err != KR_JR_OK)
			return;
		ve = (size_t)(j.p - line);
		if (w.changed) {
			if (kr_buf_add(&f->meta, line + w.last, ve - w.last) ==
			    -1)
				oom();
			add_edit(f, vs, ve, ED_META, bs, f->meta.len);
		}
	}
}

/* ---- rendering a record ---- */

enum { BYTES_KEEP, BYTES_DROP, BYTES_MASKED };

/*
 * What becomes of a record's "bytes": kept as they are, dropped (the
 * message was masked, or they are not base64), or masked on their own
 * (f->b64 and f->bsp then hold them and their spans).
 */
static int
bytes_fate(struct filter *f, const char *line, const struct recinfo *ri,
    const struct spans *sp, struct pem_state pem)
{
	if (!ri->bytes.present)
		return BYTES_KEEP;
	if (sp->n > 0 || !ri->bytes.str)
		return BYTES_DROP;
	/* The original bytes: redacted on their own. */
	f->b64.len = 0;
	f->bsp.n = 0;
	if (kr_base64_decode(&f->b64, line + ri->bytes.vs + 1,
		ri->bytes.ve - ri->bytes.vs - 2) == -1)
		return BYTES_DROP;
	rules_scan(f->b64.s, f->b64.len, 0, &pem, 0, &f->bsp);
	redactor_scan_extra(&f->r, f->b64.s, f->b64.len, 0, &f->bsp);
	spans_merge(&f->bsp);
	count_spans(f, &f->bsp, f->b64.len, 0);
	return f->bsp.n > 0 ? BYTES_MASKED : BYTES_KEEP;
}

static void write_edits(struct filter *f, const char *line, size_t len,
    const struct recinfo *ri, const char *text, size_t tn,
    const struct spans *sp);

/*
 * Writes the record `line` with its message text[0..tn) masked by sp,
 * its "bytes" re-derived or dropped, the strings of its metadata masked.
 * The line is copied unchanged when nothing is masked.
 */
static void
emit(struct filter *f, const char *line, size_t len, const struct recinfo *ri,
    const char *text, size_t tn, const struct spans *sp, struct pem_state pem)
{
	int bytes, drop_bytes, new_bytes, fix, meta = 0;

	f->records++;
	f->ned = 0;
	f->meta.len = 0;
	bytes = bytes_fate(f, line, ri, sp, pem);
	drop_bytes = bytes == BYTES_DROP;
	new_bytes = bytes == BYTES_MASKED;
	if (ri->rest) {
		redact_rest(f, line, len);
		meta = f->ned > 0;
	}
	fix = ri->msg.present && ri->msg.esc == 3;
	if (sp->n == 0 && !drop_bytes && !new_bytes && !fix && !meta) {
		if (kr_buf_add(&f->out, line, len) == -1 ||
		    kr_buf_addc(&f->out, '\n') == -1)
			oom();
		return;
	}
	if (sp->n > 0 || fix) {
		/* A message that was not a string becomes one. */
		add_edit(f, ri->msg.str ? ri->msg.vs + 1 : ri->msg.vs,
		    ri->msg.str ? ri->msg.ve - 1 : ri->msg.ve, ED_MSG, 0, 0);
	}
	if (drop_bytes) {
		/* ",\"bytes\":…" or, first of all, "\"bytes\":…," */
		if (line[ri->bytes.ms - 1] == ',')
			add_edit(f, ri->bytes.ms - 1, ri->bytes.me, ED_CUT, 0,
			    0);
		else
			add_edit(f, ri->bytes.ms,
			    line[ri->bytes.me] == ',' ? ri->bytes.me + 1
						      : ri->bytes.me,
			    ED_CUT, 0, 0);
	} else if (new_bytes)
		add_edit(f, ri->bytes.vs + 1, ri->bytes.ve - 1, ED_BYTES, 0, 0);
	write_edits(f, line, len, ri, text, tn, sp);
}

/* Writes the record `line` with f->ed's edits made. */
static void
write_edits(struct filter *f, const char *line, size_t len,
    const struct recinfo *ri, const char *text, size_t tn,
    const struct spans *sp)
{
	struct edit *ed = f->ed, x;
	size_t ned = f->ned, i, j, p;

	/* In the order they come in the line; they never overlap. */
	for (i = 1; i < ned; i++)
		for (j = i; j > 0 && ed[j].s < ed[j - 1].s; j--) {
			x = ed[j];
			ed[j] = ed[j - 1];
			ed[j - 1] = x;
		}
	for (p = 0, i = 0; i < ned; i++) {
		if (kr_buf_add(&f->out, line + p, ed[i].s - p) == -1)
			oom();
		switch (ed[i].kind) {
		case ED_MSG:
			if (!ri->msg.str && kr_buf_addc(&f->out, '"') == -1)
				oom();
			add_masked(f, &f->out, text, tn, sp, 1);
			if (!ri->msg.str && kr_buf_addc(&f->out, '"') == -1)
				oom();
			break;
		case ED_BYTES:
			f->tmp.len = 0;
			add_masked(
			    f, &f->tmp, f->b64.s, f->b64.len, &f->bsp, 0);
			if (kr_base64_add(&f->out, f->tmp.s, f->tmp.len) == -1)
				oom();
			break;
		case ED_META:
			if (kr_buf_add(&f->out, f->meta.s + ed[i].bs,
				ed[i].be - ed[i].bs) == -1)
				oom();
			break;
		case ED_CUT:
			break;
		}
		p = ed[i].e;
	}
	if (kr_buf_add(&f->out, line + p, len - p) == -1 ||
	    kr_buf_addc(&f->out, '\n') == -1)
		oom();
}

/* ---- streams: per source, for keys and continued records ---- */

static struct stream *
stream_of(struct filter *f, const char *s, const struct field *src)
{
	const char *k = src->present && src->str ? s + src->vs + 1 : "";
	size_t kl = src->present && src->str ? src->ve - src->vs - 2 : 0, i;

	if (kl > sizeof f->st[0].key)
		kl = sizeof f->st[0].key;
	for (i = 0; i < NSTREAMS; i++) {
		if (!f->st[i].used) {
			memcpy(f->st[i].key, k, kl);
			f->st[i].keylen = kl;
			f->st[i].used = 1;
			return &f->st[i];
		}
		if (f->st[i].keylen == kl && memcmp(f->st[i].key, k, kl) == 0)
			return &f->st[i];
	}
	return &f->st[NSTREAMS - 1];
}

/* Emits the oldest record a stream holds, with its spans. */
static void
release_one(struct filter *f, struct stream *st)
{
	struct held h = st->q[0];

	spans_merge(&h.sp);
	emit(f, h.line.s, h.line.len, &h.ri, h.text.s, h.text.len, &h.sp,
	    (struct pem_state){PEM_NONE, 0});
	st->qlen -= h.text.len;
	memmove(&st->q[0], &st->q[1], (st->qn - 1) * sizeof st->q[0]);
	st->q[--st->qn] = h; /* keep its buffers for reuse */
}

static void
release(struct filter *f, struct stream *st)
{
	while (st->qn > 0)
		release_one(f, st);
	st->due = 0;
	st->ctx.len = 0;
	st->linehold = 0;
}

/* Appends t[0..n) to the line so far, keeping its last TAIL_MAX bytes. */
static void
keep_ctx(struct stream *st, const char *t, size_t n)
{
	if (n >= TAIL_MAX) {
		t += n - TAIL_MAX;
		n = TAIL_MAX;
	}
	if (st->ctx.len + n > TAIL_MAX)
		kr_buf_consume(&st->ctx, st->ctx.len + n - TAIL_MAX);
	if (kr_buf_add(&st->ctx, t, n) == -1)
		oom();
}

/*
 * The held records go out, their line not being over: its end is kept
 * to find a secret that its rest completes.
 */
static void
release_partial(struct filter *f, struct stream *st)
{
	if (st->linehold) {
		release(f, st);
		return;
	}
	while (st->qn > 0) {
		keep_ctx(st, st->q[0].text.s, st->q[0].text.len);
		release_one(f, st);
	}
	st->due = 0;
}

/* Could a secret go on after t[0..n)? Not after a space or a bracket. */
static int
may_go_on(const char *t, size_t n)
{
	unsigned char c;

	if (n == 0)
		return 0;
	c = (unsigned char)t[n - 1];
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || strchr("_-.~+/=:@!#$%^&*", c) != NULL;
}

/* Holds a continued record; its spans are those of f->sp past from. */
static void
hold(struct filter *f, struct stream *st, const char *line, size_t len,
    const struct recinfo *ri, const char *text, size_t tn, size_t from)
{
	struct held *h;
	size_t i;

	/* Keep what the next record needs for context, no more. */
	while (st->qn > 0 &&
	       (st->qn == HOLD_MAX || st->qlen - st->q[0].text.len >= TAIL_MAX))
		release_one(f, st);
	h = &st->q[st->qn++];
	h->ri = *ri;
	h->line.len = h->text.len = 0;
	if (kr_buf_add(&h->line, line, len) == -1 ||
	    kr_buf_add(&h->text, text, tn) == -1)
		oom();
	st->qlen += tn;
	h->sp.n = 0;
	for (i = 0; i < f->sp.n; i++)
		spans_add(&h->sp,
		    (f->sp.v[i].start > from ? f->sp.v[i].start : from) - from,
		    f->sp.v[i].end - from, f->sp.v[i].rule, f->sp.v[i].counted);
}

/*
 * The end of the held texts, up to TAIL_MAX bytes, into f->join; returns
 * its length. *w0 gets where it starts in the held texts.
 */
static size_t
held_context(struct filter *f, struct stream *st, size_t *w0, size_t *cl)
{
	size_t i, off = 0, k = st->qlen < TAIL_MAX ? st->qlen : TAIL_MAX;
	size_t a, b, c;

	*w0 = st->qlen - k;
	c = TAIL_MAX - k < st->ctx.len ? TAIL_MAX - k : st->ctx.len;
	*cl = c;
	f->join.len = 0;
	if (c > 0 &&
	    kr_buf_add(&f->join, st->ctx.s + st->ctx.len - c, c) == -1)
		oom();
	for (i = 0; i < st->qn; i++) {
		b = off + st->q[i].text.len;
		a = off > *w0 ? off : *w0;
		if (b > a && kr_buf_add(&f->join, st->q[i].text.s + (a - off),
				 b - a) == -1)
			oom();
		off = b;
	}
	return c + k;
}

/* Spans of the scan that start in the held records mask them too. */
static void
mask_held(
    struct filter *f, struct stream *st, size_t from, size_t w0, size_t cl)
{
	size_t i, j, off, s, e, a, b;

	for (i = 0; i < f->sp.n; i++) {
		if (f->sp.v[i].start >= from)
			continue;
		/* From the window to held-text offsets; a span at the start
		 * of the window may have begun further back. */
		s = f->sp.v[i].start <= cl ? 0 : w0 + f->sp.v[i].start - cl;
		e = st->qlen;
		for (j = 0, off = 0; j < st->qn; j++) {
			a = s > off ? s : off;
			b = off + st->q[j].text.len;
			if (e < b)
				b = e;
			if (b > a)
				spans_add(&st->q[j].sp, a - off, b - off,
				    f->sp.v[i].rule, 0);
			off += st->q[j].text.len;
		}
	}
}

static void
remember_ids(struct filter *f, const char *line, const struct recinfo *ri)
{
	if (ri->task.present && ri->task.str) {
		f->task.len = 0;
		if (json_decode(&f->task, line, &ri->task) == -1)
			oom();
	}
	if (ri->run.present && ri->run.str) {
		f->run.len = 0;
		if (json_decode(&f->run, line, &ri->run) == -1)
			oom();
	}
}

static int
wanted(const struct filter *f, const char *line, const struct recinfo *ri)
{
	const char *src = line + ri->source.vs + 1;
	size_t sl = ri->source.ve - ri->source.vs - 2, i;
	int agent = ri->source.present && ri->source.str && sl == 5 &&
		    memcmp(src, "agent", 5) == 0;
	int lv;

	if (f->nsources > 0) {
		if (!ri->source.present || !ri->source.str)
			return 0;
		for (i = 0; i < f->nsources; i++)
			if (strlen(f->sources[i]) == sl &&
			    memcmp(f->sources[i], src, sl) == 0)
				break;
		if (i == f->nsources)
			return 0;
	}
	if (f->minlevel > 0 && !agent && ri->level.present && ri->level.str) {
		lv = kr_level_parse(
		    line + ri->level.vs + 1, ri->level.ve - ri->level.vs - 2);
		if (lv >= 0 && lv < f->minlevel)
			return 0;
	}
	return 1;
}

static void
malformed(struct filter *f, const char *line, size_t len, const char *why)
{
	struct stream *st = &f->st[NSTREAMS];

	f->malformed++;
	if (kr_ratelimit_ok(&f->rl))
		kr_warn("line %llu: %s (%zu bytes): forwarded as text",
		    f->lineno, why, len);
	f->sp.n = 0;
	if (f->redact) {
		rules_scan(line, len, 0, &st->pem, 0, &f->sp);
		redactor_scan_extra(&f->r, line, len, 0, &f->sp);
		spans_merge(&f->sp);
		count_spans(f, &f->sp, len, 0);
	}
	f->tmp.len = 0;
	add_masked(f, &f->tmp, line, len, &f->sp, 0);
	if (kr_rec_wrap(&f->out, f->tmp.s != NULL ? f->tmp.s : "", f->tmp.len,
		f->task.len > 0 ? f->task.s : NULL) == -1)
		oom();
	f->records++;
}

/* Most lines are ASCII: a word at a time says so quickly. */
static int
ascii(const char *s, size_t n)
{
	uint64_t w[4], acc = 0;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		memcpy(w, s + i, 32);
		acc |= w[0] | w[1] | w[2] | w[3];
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(w, s + i, 8);
		acc |= w[0];
	}
	for (; i < n; i++)
		acc |= (unsigned char)s[i];
	return (acc & 0x8080808080808080ull) == 0;
}

#define ADD_MASK "::add-mask::"
#define ADD_MASK_LEN (sizeof ADD_MASK - 1)

/*
 * "::add-mask::VALUE" (a GitHub Actions workflow command): VALUE is
 * masked in the records that follow, and in this one. Returns its length
 * (0 when the text is no such command).
 */
static size_t
add_mask(struct filter *f, const char *t, size_t n)
{
	size_t vn;

	if (n <= ADD_MASK_LEN || t[0] != ':' ||
	    memcmp(t, ADD_MASK, ADD_MASK_LEN) != 0)
		return 0;
	for (vn = n - ADD_MASK_LEN; vn > 0 && (t[ADD_MASK_LEN + vn - 1] == ' ' ||
						  t[ADD_MASK_LEN + vn - 1] == '\t');
	     vn--)
		;
	if (vn == 0)
		return 0;
	if (f->mask_rule < 0 &&
	    (f->mask_rule = redactor_rule(&f->r, "add-mask")) == -1)
		oom();
	/* Shorter than 4 bytes: too short to mask everywhere. */
	if (redactor_add_value(&f->r, t + ADD_MASK_LEN, vn, f->mask_rule) == -1)
		oom();
	return vn;
}

/*
 * The text of the record's message to redact: the decoded string, or the
 * JSON text of a message that is not one. 0 when there is no message.
 */
static int
msg_text(struct filter *f, const char *line, const struct recinfo *ri,
    const char **text, size_t *tn)
{
	if (!ri->msg.present)
		return 0;
	if (ri->msg.str && ri->msg.esc) {
		f->text.len = 0;
		if (json_decode(&f->text, line, &ri->msg) == -1)
			oom();
		*text = f->text.s;
		*tn = f->text.len;
	} else if (ri->msg.str) {
		*text = line + ri->msg.vs + 1;
		*tn = ri->msg.ve - ri->msg.vs - 2;
	} else {
		/* Not a string, against keruta(7): its JSON text is looked
		 * at, and replaced by a string if it holds a secret. */
		*text = line + ri->msg.vs;
		*tn = ri->msg.ve - ri->msg.vs;
	}
	return 1;
}

/*
 * Redacts a record's message text[0..tn), joined to the end of what it
 * continues, then holds the record or writes it.
 */
static void
redact(struct filter *f, struct stream *st, const char *line, size_t len,
    const struct recinfo *ri, const char *text, size_t tn)
{
	struct pem_state before;
	const char *t = text;
	size_t from = 0, n = tn, i, w0 = 0, cl = 0, mask;
	int more = ri->continued || ri->partial;

	mask = add_mask(f, text, tn);
	if (st->qn > 0 || st->ctx.len > 0) {
		/* Join the end of what this record continues. */
		from = held_context(f, st, &w0, &cl);
		if (kr_buf_add(&f->join, text, tn) == -1)
			oom();
		t = f->join.s;
		n = from + tn;
	}
	f->sp.n = 0;
	before = st->pem;
	if (st->linehold) {
		/* A new line: the rules look at it alone, the values across
		 * the line break. */
		rules_scan(t + from, n - from, 0, &st->pem, more, &f->sp);
		for (i = 0; i < f->sp.n; i++) {
			f->sp.v[i].start += from;
			f->sp.v[i].end += from;
		}
	} else
		rules_scan(t, n, from, &st->pem, more, &f->sp);
	redactor_scan_extra(&f->r, t, n, from, &f->sp);
	if (mask > 0)
		spans_add(&f->sp, from + ADD_MASK_LEN, from + ADD_MASK_LEN + mask,
		    f->mask_rule, 1);
	spans_merge(&f->sp);
	count_spans(f, &f->sp, n, more);
	if (st->qn > 0)
		mask_held(f, st, from, w0, cl);
	if (!more && f->hold_ms > 0 &&
	    redactor_tail_prefix(&f->r, text, tn) > 0) {
		/* A value that may go on in the next line. */
		hold(f, st, line, len, ri, text, tn, from);
		st->linehold = 1;
		if (st->due == 0)
			st->due = kr_mono_ns() + f->hold_ms * 1000000LL;
		return;
	}
	if (more) {
		hold(f, st, line, len, ri, text, tn, from);
		st->linehold = 0;
		if (ri->partial && (f->hold_ms == 0 || !may_go_on(text, tn)))
			release_partial(f, st);
		else if (ri->partial && st->due == 0)
			st->due = kr_mono_ns() + f->hold_ms * 1000000LL;
		return;
	}
	release(f, st);
	if (from > 0)
		for (i = 0; i < f->sp.n; i++) {
			f->sp.v[i].start = f->sp.v[i].start > from
					       ? f->sp.v[i].start - from
					       : 0;
			f->sp.v[i].end -= from;
		}
	emit(f, line, len, ri, text, tn, &f->sp, before);
}

static void
handle(struct filter *f, const char *line, size_t len)
{
	struct recinfo ri;
	struct stream *st;
	const char *text = "";
	size_t tn = 0, i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	if (!ascii(line, len) && kr_utf8_valid(line, len) != len) {
		malformed(f, line, len, "invalid UTF-8");
		return;
	}
	if (scan_record(line, len, &ri) == -1) {
		malformed(f, line, len,
		    memchr(line, '\0', len) != NULL ? "NUL byte in a record"
						    : "not a JSON object");
		return;
	}
	remember_ids(f, line, &ri);
	st = stream_of(f, line, &ri.source);
	/* The pipeline's own records (a run's exit, its summary) leave after
	 * what the script's streams hold, as they came. */
	if (st->keylen == 5 && memcmp(st->key, "agent", 5) == 0)
		for (i = 0; i <= NSTREAMS; i++)
			if (&f->st[i] != st && f->st[i].qn > 0)
				release(f, &f->st[i]);
	if (!wanted(f, line, &ri)) {
		f->dropped++;
		release(f, st);
		return;
	}
	if (!f->redact) {
		if (kr_buf_add(&f->out, line, len) == -1 ||
		    kr_buf_addc(&f->out, '\n') == -1)
			oom();
		f->records++;
		return;
	}
	if (!msg_text(f, line, &ri, &text, &tn)) {
		/* No message to redact; what it continues goes out alone. */
		release(f, st);
		emit(f, line, len, &ri, "", 0, &(struct spans){NULL, 0, 0},
		    st->pem);
		return;
	}
	redact(f, st, line, len, &ri, text, tn);
}

static void
oversize(struct filter *f, size_t len)
{
	f->oversize++;
	if (kr_ratelimit_ok(&f->rl))
		kr_warn("line %llu: %zu bytes, over the limit of %zu: "
			"dropped, gap record sent",
		    f->lineno, len, f->maxbytes);
	if (kr_rec_gap(&f->out, f->task.len > 0 ? f->task.s : NULL,
		f->run.len > 0 ? f->run.s : NULL, 1, "size", 0, 0) == -1)
		oom();
}

static void
report(struct filter *f)
{
	struct kr_rec_head h = {NULL, NULL, 0, NULL, "agent", "INFO"};
	unsigned long total = 0;
	size_t i;
	int first = 1;

	for (i = 0; i < f->r.nnames; i++)
		total += f->r.names[i].count;
	if (kr_diag_verbosity() >= KR_V_INFO) {
		for (i = 0; i < f->r.nnames; i++)
			if (f->r.names[i].count > 0)
				kr_info("redacted %s: %lu", f->r.names[i].name,
				    f->r.names[i].count);
		kr_info("%lu secret%s redacted in %llu records; %llu dropped "
			"by level or source, %llu malformed, %llu oversize",
		    total, total == 1 ? "" : "s", f->records, f->dropped,
		    f->malformed, f->oversize);
	}
	if (!f->report)
		return;
	h.task_id = f->task.len > 0 ? f->task.s : NULL;
	h.run_id = f->run.len > 0 ? f->run.s : NULL;
	if (kr_rec_open(&f->out, &h) == -1 ||
	    kr_buf_printf(&f->out, ",\"message\":\"%lu secret%s redacted\"",
		total, total == 1 ? "" : "s") == -1 ||
	    kr_buf_adds(&f->out, ",\"metadata\":{\"event\":\"redacted\","
				 "\"counts\":{") == -1)
		oom();
	for (i = 0; i < f->r.nnames; i++) {
		if (f->r.names[i].count == 0)
			continue;
		if ((!first && kr_buf_addc(&f->out, ',') == -1) ||
		    kr_buf_addc(&f->out, '"') == -1 ||
		    kr_json_escape_utf8(&f->out, f->r.names[i].name,
			strlen(f->r.names[i].name)) == -1 ||
		    kr_buf_printf(&f->out, "\":%lu", f->r.names[i].count) == -1)
			oom();
		first = 0;
	}
	if (kr_buf_printf(&f->out, "},\"total\":%lu}", total) == -1 ||
	    kr_rec_close(&f->out) == -1)
		oom();
}

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
run_filter(struct filter *f)
{
	struct kr_lr lr;
	const char *line;
	size_t len, i;
	long long due, now;
	int timeout, r;
	enum kr_lr_kind k;
	struct pollfd pfd = {0, POLLIN, 0};

	kr_pipe_grow(0);
	kr_lr_init(&lr, 0, f->maxbytes);
	for (;;) {
		while ((k = kr_lr_next(&lr, &line, &len)) != KR_LR_NONE &&
		       k != KR_LR_EOF) {
			f->lineno++;
			if (k == KR_LR_OVERSIZE)
				oversize(f, len);
			else
				handle(f, line, len);
			if (f->out.len >= OUT_FLUSH)
				flush_out(f);
		}
		if (k == KR_LR_EOF)
			break;
		/* Records move on before we wait for more. */
		flush_out(f);
		if (stopping) {
			/* SIGTERM: what was read goes out, then we end. */
			kr_info("terminated: draining");
			lr.eof = 1;
			continue;
		}
		due = LLONG_MAX;
		for (i = 0; i <= NSTREAMS; i++)
			if (f->st[i].due != 0 && f->st[i].due < due)
				due = f->st[i].due;
		now = due == LLONG_MAX ? 0 : kr_mono_ns();
		timeout = due == LLONG_MAX ? -1
			  : due <= now	   ? 0
					   : (int)((due - now + 999999) / 1000000);
		if ((r = poll(&pfd, 1, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			kr_diesys(KR_EX_TEMP, "unable to poll standard input");
		}
		if (r == 0) {
			/* Partial records whose rest did not come in time. */
			now = kr_mono_ns();
			for (i = 0; i <= NSTREAMS; i++)
				if (f->st[i].due != 0 && f->st[i].due <= now)
					release_partial(f, &f->st[i]);
			continue;
		}
		if (kr_lr_fill(&lr) == -1 && errno != EAGAIN)
			kr_diesys(KR_EX_TEMP, "unable to read standard input");
	}
	for (i = 0; i < NSTREAMS; i++)
		release(f, &f->st[i]);
	report(f);
	flush_out(f);
	if (f->malformed > 0 && f->rl.suppressed > 0)
		kr_warn("%llu malformed or oversize lines in all",
		    f->malformed + f->oversize);
	kr_lr_free(&lr);
	return KR_EX_OK;
}

/* ---- options ---- */

/* What the command line asks for, before it is checked. */
struct filter_args {
	const char *config, *level, *rules;
	const char *envs[NMASKS], *files[NMASKS], *dirs[NMASKS];
	size_t nenvs, nfiles, ndirs;
	char *srclist;
};

/* Adds v to the list of a repeatable option. */
static void
add_arg(const char **list, size_t *n, const char *v, const char *name)
{
	if (*n == NMASKS)
		kr_die(KR_EX_USAGE, "too many --%s", name);
	list[(*n)++] = v;
}

static void
parse_args(int argc, char *argv[], struct filter *f, struct filter_args *a)
{
	int ch;

	while ((ch = kr_set_getopt(argc, argv, TOOL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case 'H':
			if (kr_parse_duration_ms(optarg, &f->hold_ms) == -1 ||
			    f->hold_ms > 60000)
				kr_die(KR_EX_USAGE, "bad --hold '%s' (0 to 60s)",
				    optarg);
			break;
		case 'l':
			a->level = optarg;
			break;
		case KR_O_LIST_RULES:
			rules_list(stdout);
			exit(KR_EX_OK);
		case KR_O_MASK_ENV:
			add_arg(a->envs, &a->nenvs, optarg, "mask-env");
			break;
		case KR_O_MASK_FILE:
			add_arg(a->files, &a->nfiles, optarg, "mask-file");
			break;
		case 'm':
			if (kr_parse_size(optarg, 256, KR_REC_MAX,
			    &f->maxbytes) == -1)
				kr_die(KR_EX_USAGE, "bad --max-bytes '%s' "
				    "(256 to 16M)", optarg);
			break;
		case KR_O_NO_REDACT:
			f->redact = 0;
			break;
		case 'R':
			f->report = 1;
			break;
		case KR_O_RULES:
			a->rules = optarg;
			break;
		case KR_O_SECRET_DIR:
			add_arg(a->dirs, &a->ndirs, optarg, "secret-dir");
			break;
		case 's':
			a->srclist = optarg;
			break;
		}
	}
	if (optind != argc)
		kr_set_usage(TOOL);
}

/* The level (flag, environment, YAML) and the sources to keep. */
static void
settle_filters(struct filter *f, struct filter_args *a)
{
	struct kr_cfg *cfg;
	const char *level;
	char err[512], *tok, *save;
	int l;

	if ((cfg = kr_cfg_load(a->config, err, sizeof err)) == NULL)
		kr_die(KR_EX_USAGE, "%s", err);
	level = kr_set_value(TOOL, cfg, 'l', a->level, NULL);
	if (level != NULL && *level != '\0') {
		if ((l = kr_level_parse(level, strlen(level))) == -1)
			kr_die(KR_EX_USAGE, "unknown level '%s'", level);
		f->minlevel = l;
	}
	kr_cfg_free(cfg);
	for (tok = a->srclist ? strtok_r(a->srclist, ",", &save) : NULL;
	    tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (f->nsources == NSOURCES)
			kr_die(KR_EX_USAGE, "too many sources in --source");
		f->sources[f->nsources++] = tok;
	}
	if (a->srclist != NULL && f->nsources == 0)
		kr_die(KR_EX_USAGE, "empty --source list");
}

/* The values to mask: the environment's, the flags', the secret files. */
static void
load_masks(struct redactor *r, const struct filter_args *a)
{
	size_t i, j, lineno;
	int rc;

	i = redactor_add_env(r);
	kr_debug("masking the values of %zu environment variables", i);
	for (i = 0; i < a->nenvs; i++) {
		rc = redactor_add_env_name(r, a->envs[i]);
		if (rc == -1)
			kr_warn("--mask-env '%s': not set", a->envs[i]);
		else if (rc == -2)
			kr_die(KR_EX_USAGE, "--mask-env '%s': value shorter "
			    "than 4 bytes", a->envs[i]);
	}
	for (i = 0; i < a->nfiles; i++) {
		rc = redactor_add_file(r, a->files[i], &lineno);
		if (rc == -1)
			kr_diesys(KR_EX_USAGE, "unable to read '%s'",
			    a->files[i]);
		if (rc == -2)
			kr_die(KR_EX_USAGE, "%s:%zu: value shorter than 4 bytes",
			    a->files[i], lineno);
	}
	for (i = 0; i < a->ndirs; i++)
		if (redactor_add_dir(r, a->dirs[i], &j) == -1)
			kr_diesys(KR_EX_USAGE, "unable to read '%s'",
			    a->dirs[i]);
	if (redactor_add_dir(r, "/var/run/secrets", &j) == 0)
		kr_debug("masking %zu files of /var/run/secrets", j);
}

/* The buffers of a run: each bounded, none allocated yet. */
static void
buffers_init(struct filter *f)
{
	size_t i, j;

	kr_buf_init(&f->out, (size_t)KR_REC_MAX * 8);
	kr_buf_init(&f->text, KR_REC_MAX + 16);
	kr_buf_init(&f->join, KR_REC_MAX + TAIL_MAX + 16);
	kr_buf_init(&f->tmp, (size_t)KR_REC_MAX * 8);
	kr_buf_init(&f->b64, KR_REC_MAX + 16);
	kr_buf_init(&f->task, 65536);
	kr_buf_init(&f->run, 65536);
	kr_buf_init(&f->meta, (size_t)KR_REC_MAX * 8);
	kr_buf_init(&f->mkey, KR_REC_MAX + 16);
	kr_buf_init(&f->mtext, KR_REC_MAX + 16);
	kr_buf_init(&f->words, KR_REC_MAX + 16);
	for (i = 0; i <= NSTREAMS; i++) {
		kr_buf_init(&f->st[i].ctx, TAIL_MAX * 2);
		for (j = 0; j < HOLD_MAX; j++) {
			kr_buf_init(&f->st[i].q[j].line, KR_REC_MAX + 16);
			kr_buf_init(&f->st[i].q[j].text, KR_REC_MAX + 16);
		}
	}
}

static void
free_filter(struct filter *f)
{
	size_t i, j;

	for (i = 0; i <= NSTREAMS; i++) {
		if (f->st[i].ctx.s != NULL)
			sodium_memzero(f->st[i].ctx.s, f->st[i].ctx.cap);
		kr_buf_free(&f->st[i].ctx);
		for (j = 0; j < HOLD_MAX; j++) {
			struct held *h = &f->st[i].q[j];

			kr_buf_free(&h->line);
			if (h->text.s != NULL)
				sodium_memzero(h->text.s, h->text.cap);
			kr_buf_free(&h->text);
			free(h->sp.v);
		}
	}
	kr_buf_free(&f->out);
	kr_buf_free(&f->text);
	kr_buf_free(&f->join);
	kr_buf_free(&f->tmp);
	kr_buf_free(&f->b64);
	kr_buf_free(&f->task);
	kr_buf_free(&f->run);
	kr_buf_free(&f->meta);
	kr_buf_free(&f->mkey);
	kr_buf_free(&f->mtext);
	free(f->sp.v);
	free(f->bsp.v);
	free(f->msp.v);
	free(f->wsp.v);
	free(f->ed);
	kr_buf_free(&f->words);
	free(f->wpos);
	redactor_free(&f->r);
}

int
main(int argc, char *argv[])
{
	static struct filter f;
	static struct filter_args a;
	struct sigaction sa;
	char err[512];
	int rc;

	kr_diag_init("keruta-filter");
	f.redact = 1;
	f.maxbytes = KR_REC_MAX;
	f.hold_ms = 1000;
	f.mask_rule = -1;
	parse_args(argc, argv, &f, &a);
	settle_filters(&f, &a);
	if (sodium_init() < 0)
		kr_die(KR_EX_TEMP, "unable to initialise libsodium");
	redactor_init(&f.r);
	if (f.redact) {
		load_masks(&f.r, &a);
		if (a.rules != NULL && redactor_load_rules(&f.r, a.rules, err,
		    sizeof err) == -1)
			kr_die(KR_EX_USAGE, "%s", err);
	}
	kr_ignore_sigpipe();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	buffers_init(&f);
	f.rl = (struct kr_ratelimit)KR_RATELIMIT_INIT(10, 10);
	rc = run_filter(&f);
	free_filter(&f);
	return rc;
}
