/* metrics.h: the server's counters, and their Prometheus text. */
#ifndef METRICS_H
#define METRICS_H

#include "kr_buf.h"

#define METRICS_NCODES	24	/* status codes counted apart */
#define METRICS_NLAT	12	/* latency buckets, the last +Inf */

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
};

/* Counts the time an HTTP request took, from request to reply. */
void metrics_latency(struct metrics *m, long long ns);
/* Counts an HTTP reply (or a refused handshake) by its status code. */
void metrics_status(struct metrics *m, int status);
/*
 * Appends every metric in the Prometheus text format, with the store's
 * commits and size (which the store counts). 0.
 */
int metrics_write(const struct metrics *m, unsigned long long commits,
    long long db_size, struct kr_buf *out);

#endif
