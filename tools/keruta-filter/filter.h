/* keruta-filter: the parts shared by its source files. */
#ifndef FILTER_H
#define FILTER_H

#include <regex.h>
#include <stddef.h>
#include <stdio.h>

#include "kr_buf.h"

/* A region of a text to be replaced by [REDACTED:<rule>]. */
struct span {
	size_t start, end;
	int rule;
	int counted; /* 0 for the body lines of a key already counted */
};

struct spans {
	struct span *v;
	size_t n, cap;
};

/* Built-in rule ids index builtin_rules[]; dynamic rules follow. */
struct rule_name {
	char *name;
	unsigned long count;
};

/* A literal value (and its encodings) to mask wherever it appears. */
struct lit {
	char *s;
	size_t len;
	int rule;
	struct lit *next; /* same hash bucket */
};

#define LIT_BUCKETS 1024

struct litset {
	struct lit *bucket[LIT_BUCKETS];
	unsigned char first2[65536 / 8]; /* first two bytes seen */
	size_t n, minlen, maxlen;
};

struct user_rule {
	int rule;
	regex_t re;
	int group; /* mask subexpression 1 instead of the match */
};

/*
 * Private key tracking, per stream: PEM_LINE inside a BEGIN line that the
 * next record continues, PEM_BODY on the body lines after it; PEM_K8S
 * under the data: of a Kubernetes Secret.
 */
enum { PEM_NONE, PEM_BODY, PEM_LINE, PEM_K8S };
struct pem_state {
	int mode, rule;
};

struct redactor {
	struct rule_name *names;
	size_t nnames, capnames;
	struct litset lits;
	struct user_rule *ur;
	size_t nur;
	struct kr_buf scratch; /* NUL-terminated copy for regexec */
	struct kr_buf view;    /* a text with some bytes left out */
	size_t *map, mapcap;   /* where each byte of view comes from */
};

/* filter_rules.c: the built-in detectors. */
extern const char *const builtin_rules[];
extern const size_t nbuiltin_rules;
/*
 * Adds to sp the secrets found in t[0..n) that end after offset `from`
 * (t[0..from) is the tail of the record this one continues, kept only
 * for context). *pem carries private-key state between records; `more`
 * says that the text continues in the next record.
 */
void rules_scan(const char *t, size_t n, size_t from, struct pem_state *pem,
    int more, struct spans *sp);
/*
 * Adds to sp the secret that the string value v[0..n) of a JSON member
 * named k[0..kn) is when the key names one ("password": "..."), as the
 * message's "key": "value" form would. Keys and values decoded.
 */
void rules_member(
    const char *k, size_t kn, const char *v, size_t n, struct spans *sp);
/* Each rule's name, a tab and a made-up example of what it masks. */
void rules_list(FILE *fp);
/* Dies on ENOMEM. */
void spans_add(
    struct spans *sp, size_t start, size_t end, int rule, int counted);
/* Sorts by start and merges overlapping spans. */
void spans_merge(struct spans *sp);

/* filter_values.c: literal values, user rules, the rule registry. */
void redactor_init(struct redactor *r);
void redactor_free(struct redactor *r);
/* The id of a rule name, added when new; -1 with errno on ENOMEM. */
int redactor_rule(struct redactor *r, const char *name);
/*
 * Adds value v (and its base64, URL, hex and JSON-escaped forms) under
 * rule; values shorter than minlen are refused with -1.
 */
int redactor_add_value(struct redactor *r, const char *v, size_t n, int rule);
/* Values of secret-looking environment variables. Returns how many. */
size_t redactor_add_env(struct redactor *r);
/* NAME's value; -1 when unset, -2 when too short. */
int redactor_add_env_name(struct redactor *r, const char *name);
/*
 * The files under dir (a mounted Kubernetes Secret), each a value, their
 * number in *k; -1 with errno when dir cannot be read.
 */
int redactor_add_dir(struct redactor *r, const char *dir, size_t *k);
/* One value per line. -1 with errno, -2 (line number in *lineno). */
int redactor_add_file(struct redactor *r, const char *path, size_t *lineno);
/*
 * Loads "name regex" lines (POSIX ERE). 0, or -1 with a reason in err.
 */
int redactor_load_rules(
    struct redactor *r, const char *path, char *err, size_t errlen);
/*
 * The length of the longest end of t[0..n), 4 bytes or more, that begins
 * a literal value without being all of it: the rest may be on the next
 * line. 0 when there is none.
 */
size_t redactor_tail_prefix(struct redactor *r, const char *t, size_t n);
/* Literal values and user rules found in t[0..n), ending after from. */
int redactor_scan_extra(
    struct redactor *r, const char *t, size_t n, size_t from, struct spans *sp);

#endif
