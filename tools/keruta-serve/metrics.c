/* metrics.c: the server's counters, and their Prometheus text. */
#include <stdio.h>

#include "kr_buf.h"
#include "kr_diag.h"
#include "metrics.h"

static const double lat_bounds[METRICS_NLAT - 1] = { 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

void
metrics_latency(struct metrics *m, long long ns)
{
	double sec = (double)ns / 1e9;
	int i;

	for (i = 0; i < METRICS_NLAT - 1 && sec > lat_bounds[i]; i++)
		;
	m->lat_bucket[i]++;
	m->lat_sum += sec;
	m->lat_count++;
}

void
metrics_status(struct metrics *m, int status)
{
	int i;

	for (i = 0; i < METRICS_NCODES && m->codes[i] != 0; i++)
		if (m->codes[i] == status)
			break;
	if (i == METRICS_NCODES)
		return;
	m->codes[i] = status;
	m->by_code[i]++;
}

static void
counter(struct kr_buf *b, const char *name, const char *type,
    const char *help_text, unsigned long long v)
{
	kr_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
	    help_text, name, type, name, v);
}

static void
counters(const struct metrics *m, unsigned long long commits,
    long long db_size, struct kr_buf *b)
{
	counter(b, "keruta_records_ingested_total", "counter",
	    "Records stored.", m->ingested);
	counter(b, "keruta_records_duplicate_total", "counter",
	    "Records received again and ignored.", m->duplicates);
	counter(b, "keruta_batches_rejected_total", "counter",
	    "Requests or messages refused as invalid.", m->rejected);
	counter(b, "keruta_records_refused_total", "counter",
	    "Records refused one by one over WebSocket (INVALID_RECORD).",
	    m->refused);
	counter(b, "keruta_bytes_received_total", "counter",
	    "Bytes of record bodies and messages received.", m->bytes_in);
	counter(b, "keruta_http_requests_total", "counter",
	    "HTTP requests received.", m->requests);
	counter(b, "keruta_ws_messages_total", "counter",
	    "WebSocket messages received.", m->ws_frames);
	counter(b, "keruta_slow_consumers_total", "counter",
	    "WebSocket clients dropped for reading too slowly.",
	    m->slow_consumers);
	counter(b, "keruta_ws_connections", "gauge",
	    "Open WebSocket connections.", (unsigned long long)m->ws_conns);
	counter(b, "keruta_subscribers", "gauge",
	    "WebSocket viewers subscribed to a task.",
	    (unsigned long long)m->subscribers);
	counter(b, "keruta_db_commits_total", "counter",
	    "Transactions committed (each holds the records of one or more "
	    "requests or messages).", commits);
	counter(b, "keruta_db_size_bytes", "gauge",
	    "Size of the database file.", (unsigned long long)db_size);
}

static void
histogram(const struct metrics *m, struct kr_buf *b)
{
	unsigned long long cum = 0;
	int i;

	kr_buf_adds(b, "# HELP keruta_http_request_duration_seconds Time "
	    "from request to the end of the reply.\n"
	    "# TYPE keruta_http_request_duration_seconds histogram\n");
	for (i = 0; i < METRICS_NLAT; i++) {
		cum += m->lat_bucket[i];
		if (i < METRICS_NLAT - 1)
			kr_buf_printf(b, "keruta_http_request_duration_seconds"
			    "_bucket{le=\"%g\"} %llu\n", lat_bounds[i], cum);
		else
			kr_buf_printf(b, "keruta_http_request_duration_seconds"
			    "_bucket{le=\"+Inf\"} %llu\n", cum);
	}
	kr_buf_printf(b, "keruta_http_request_duration_seconds_sum %.6f\n"
	    "keruta_http_request_duration_seconds_count %llu\n", m->lat_sum,
	    m->lat_count);
}

/* The metrics that have labels. */
static void
labelled(const struct metrics *m, struct kr_buf *b)
{
	int i;

	kr_buf_printf(b, "# HELP keruta_build_info The version of this "
	    "server.\n# TYPE keruta_build_info gauge\n"
	    "keruta_build_info{version=\"%s\"} 1\n", KR_VERSION);
	kr_buf_adds(b, "# HELP keruta_http_responses_total HTTP replies and "
	    "refused WebSocket handshakes (101: accepted), by status code.\n"
	    "# TYPE keruta_http_responses_total counter\n");
	for (i = 0; i < METRICS_NCODES && m->codes[i] != 0; i++)
		kr_buf_printf(b, "keruta_http_responses_total{code=\"%d\"} "
		    "%llu\n", m->codes[i], m->by_code[i]);
	kr_buf_printf(b, "# HELP keruta_records_received_total Records "
	    "stored, by the protocol they came over.\n"
	    "# TYPE keruta_records_received_total counter\n"
	    "keruta_records_received_total{protocol=\"http\"} %llu\n"
	    "keruta_records_received_total{protocol=\"websocket\"} %llu\n",
	    m->ingested_http, m->ingested_ws);
}

int
metrics_write(const struct metrics *m, unsigned long long commits,
    long long db_size, struct kr_buf *out)
{
	counters(m, commits, db_size, out);
	histogram(m, out);
	labelled(m, out);
	return 0;
}
