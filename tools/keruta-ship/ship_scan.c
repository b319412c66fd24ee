/*
 * ship_scan.c: the quick look at an input line, with lib's kr_jr. Most
 * lines are a record or a batch of records in plain JSON, with a taskId,
 * runId and seq that keruta-ship can use as they are; for those it is
 * enough to check the JSON and find the three fields, without building a
 * tree. Anything else (control bytes, white space other than spaces,
 * escapes where the fields are, numbers or nesting out of the ordinary,
 * elements that are not objects) is left to the full parser, which
 * decides as before.
 */
#include <stdlib.h>
#include <string.h>

#include "kr_jr.h"
#include "ship.h"

#define SCAN_DEPTH	64	/* deeper: the full parser decides */
#define SCAN_NUM_MAX	32	/* longer numbers: the full parser decides */
#define SEQ_DIGITS	16

/* A plain positive integer of at most SEQ_DIGITS digits, or 0. */
static unsigned long long
plain_seq(const char *s, size_t n)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > SEQ_DIGITS || s[0] < '1' || s[0] > '9')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	return v;
}

/* taskId (task) or runId: its value at j->p. 0, or -1. */
static int
scan_id(struct kr_jr *j, struct ship_srec *r, int task)
{
	struct kr_jr_str v;
	int odd;

	if (task ? r->has_task : r->has_run)
		return -1;
	if (kr_jr_peek(j) == KR_JR_STRING) {
		if (kr_jr_string(j, &v, 0) == -1 || (v.esc && !task))
			return -1;
		odd = v.esc != 0;
	} else {
		/* Not a string: no task. */
		if (!task || kr_jr_skip(j) == -1)
			return -1;
		odd = 1;
		v.s = NULL;
		v.n = 0;
	}
	if (task) {
		r->has_task = 1;
		r->task_odd = odd;
		r->task = v.s;
		r->tasklen = odd ? 0 : v.n;
	} else {
		r->has_run = 1;
		r->run = v.s;
		r->runlen = v.n;
	}
	return 0;
}

/*
 * A record at j->p: an object whose keys hold no escapes, whose runId,
 * when there, is a plain string and whose seq, when there, is a plain
 * positive integer; each of taskId, runId and seq at most once. 0, or -1.
 */
static int
scan_record(struct kr_jr *j, struct ship_srec *r)
{
	struct kr_jr_str k;
	const char *num;
	size_t nn;
	int n = 0, rc;

	memset(r, 0, sizeof *r);
	r->p = j->p;
	r->empty = 1;
	if (kr_jr_enter(j) == -1)
		return -1;
	while ((rc = kr_jr_member(j, &n, &k)) == 1) {
		if (k.esc)
			return -1;
		r->empty = 0;
		if (KR_JR_IS(&k, "taskId") || KR_JR_IS(&k, "runId")) {
			if (scan_id(j, r, k.s[0] == 't') == -1)
				return -1;
		} else if (KR_JR_IS(&k, "seq")) {
			if (r->has_seq || kr_jr_peek(j) != KR_JR_NUMBER ||
			    kr_jr_number(j, &num, &nn) == -1 ||
			    (r->seq = plain_seq(num, nn)) == 0)
				return -1;
			r->has_seq = 1;
		} else if (kr_jr_skip(j) == -1) {
			return -1;
		}
	}
	if (rc == -1)
		return -1;
	r->n = (size_t)(j->p - r->p);
	return 0;
}

static struct ship_srec *
scan_slot(struct ship_scan *ss)
{
	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? 2 * ss->cap : 64;
		struct ship_srec *r = realloc(ss->r, cap * sizeof *r);

		if (r == NULL)
			return NULL;
		ss->r = r;
		ss->cap = cap;
	}
	return &ss->r[ss->n];
}

/* The records of the array at j->p: 0, or -1. */
static int
scan_array(struct kr_jr *j, struct ship_scan *ss)
{
	struct ship_srec *r;
	int n = 0, rc;

	if (kr_jr_enter(j) == -1)
		return -1;
	while ((rc = kr_jr_elem(j, &n)) == 1) {
		if (kr_jr_peek(j) != KR_JR_OBJECT ||
		    (r = scan_slot(ss)) == NULL || scan_record(j, r) == -1)
			return -1;
		ss->n++;
	}
	return rc;
}

int
ship_scan_line(const char *line, size_t n, struct ship_scan *ss)
{
	struct kr_jr j;
	struct ship_srec *r;

	ss->n = 0;
	if (n == 0 || (*line != '{' && *line != '['))
		return -1;
	kr_jr_init(&j, line, n, KR_JR_SPACES | KR_JR_BATCH);
	j.maxdepth = SCAN_DEPTH + (*line == '[');
	if (*line == '{') {
		if ((r = scan_slot(ss)) == NULL || scan_record(&j, r) == -1)
			return -1;
		ss->n = 1;
	} else if (scan_array(&j, ss) == -1) {
		ss->n = 0;
		return -1;
	}
	/* All of the line, and no number the full parser would cut. */
	if (j.p != j.end || j.nummax > SCAN_NUM_MAX) {
		ss->n = 0;
		return -1;
	}
	return (int)ss->n;
}

int
ship_json_strict(const char *line, size_t n)
{
	return kr_jr_valid(line, n, KR_JR_SPACES | KR_JR_BATCH) == 0;
}

size_t
ship_split_array(const char *line, size_t n, const char **sp, size_t *sl,
    size_t max)
{
	struct kr_jr j;
	enum kr_jr_type t;
	size_t k = 0;
	int m = 0;

	kr_jr_init(&j, line, n, KR_JR_SPACES | KR_JR_BATCH);
	if (kr_jr_enter(&j) == -1)
		return 0;
	while (kr_jr_elem(&j, &m) == 1) {
		t = kr_jr_peek(&j);
		if ((t != KR_JR_OBJECT && t != KR_JR_ARRAY) || k == max)
			return max + 1;
		sp[k] = j.p;
		if (kr_jr_skip(&j) == -1)
			return max + 1;
		sl[k] = (size_t)(j.p - sp[k]);
		k++;
	}
	return k;
}
