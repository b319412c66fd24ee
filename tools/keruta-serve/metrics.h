/* metrics.h: the server's counters, and their Prometheus text. */
#ifndef METRICS_H
#define METRICS_H

#include "kr_buf.h"

#define METRICS_NCODES	24	/* status codes counted apart */
#define METRICS_NLAT	12	/* latency buckets, the last +Inf */
#define METRICS_NAGE	15	/* record age buckets, the last +Inf */

/* How old records were (their timestamp to now), as a histogram. */
struct ages {
	unsigned long long bucket[METRICS_NAGE];
	double sum;
	unsigned long long count;
};

struct metrics {
	unsigned long long ingested, duplicates, bytes_in, requests;
	unsigned long long ws_frames, rejected, refused, slow_consumers;
	long long ws_conns, subscribers, http_conns;
	unsigned long long lat_bucket[METRICS_NLAT];
	double lat_sum;
	unsigned long long lat_count;
	/* By label: replies by status code, records by protocol. */
	int codes[METRICS_NCODES];
	unsigned long long by_code[METRICS_NCODES];
	unsigned long long ingested_http, ingested_ws;
	struct ages age_stored;	/* when stored */
	struct ages age_sent;	/* when sent on to live viewers */
	long long started_s;	/* the process's start, seconds since 1970 */
};

/* Counts the time an HTTP request took, from request to reply. */
void metrics_latency(struct metrics *m, long long ns);
/* Counts a record sec seconds old (clock skew below 0 counts as 0). */
void metrics_age(struct ages *a, double sec);
struct batch;
/* Counts the age of each row of b that was stored (an id), now ns. */
void metrics_batch(struct ages *a, const struct batch *b, long long now);
/* Counts an HTTP reply (or a refused handshake) by its status code. */
void metrics_status(struct metrics *m, int status);
/*
 * Appends every metric in the Prometheus text format, with the store's
 * commits, size and page cache (which the store counts), and the
 * process's own (process_*: CPU, memory, descriptors). 0.
 */
int metrics_write(const struct metrics *m, unsigned long long commits,
    long long db_size, long long db_cache, struct kr_buf *out);

#endif
