/* metrics.c: the server's counters, and their Prometheus text. */
#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kr_buf.h"
#include "kr_diag.h"
#include "metrics.h"
#include "rec.h"

static const double lat_bounds[METRICS_NLAT - 1] = { 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };
static const double age_bounds[METRICS_NAGE - 1] = { 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600 };

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
metrics_age(struct ages *a, double sec)
{
	int i;

	if (!(sec > 0))
		sec = 0;

	for (i = 0; i < METRICS_NAGE - 1 && sec > age_bounds[i]; i++)
		;
	a->bucket[i]++;
	a->sum += sec;
	a->count++;
}

void
metrics_batch(struct ages *a, const struct batch *b, long long now)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->rows[i].id != 0)	/* in double: 1678 to 2261 overflow */
			metrics_age(a, ((double)now - (double)b->rows[i].ts) /
			    1e9);
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

/* One histogram: n buckets, the last +Inf, over bounds. */
static void
histogram(struct kr_buf *b, const char *name, const char *help_text,
    const double *bounds, int n, const unsigned long long *bucket,
    double sum, unsigned long long count)
{
	unsigned long long cum = 0;
	int i;

	kr_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help_text, name);
	for (i = 0; i < n; i++) {
		cum += bucket[i];
		if (i < n - 1)
			kr_buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
			    bounds[i], cum);
		else
			kr_buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
			    cum);
	}
	kr_buf_printf(b, "%s_sum %.6f\n%s_count %llu\n", name, sum, name,
	    count);
}

static void
histograms(const struct metrics *m, struct kr_buf *b)
{
	histogram(b, "keruta_http_request_duration_seconds", "Time from "
	    "request to the end of the reply.", lat_bounds, METRICS_NLAT,
	    m->lat_bucket, m->lat_sum, m->lat_count);
	histogram(b, "keruta_record_age_stored_seconds", "How old a record "
	    "was (its timestamp to now) when it was stored.", age_bounds,
	    METRICS_NAGE, m->age_stored.bucket, m->age_stored.sum,
	    m->age_stored.count);
	histogram(b, "keruta_record_age_sent_seconds", "How old a record was "
	    "when it was sent on to live viewers (once, however many).",
	    age_bounds, METRICS_NAGE, m->age_sent.bucket, m->age_sent.sum,
	    m->age_sent.count);
}

/* The process_* metrics every Prometheus client library exports. */
static void
process(const struct metrics *m, struct kr_buf *b)
{
	struct rusage ru;
	struct rlimit rl;
	long long vsz = 0, rss = 0;
	unsigned long long fds = 0;
	FILE *f;
	DIR *d;

	getrusage(RUSAGE_SELF, &ru);
	kr_buf_printf(b, "# HELP process_cpu_seconds_total User and system "
	    "CPU time spent.\n# TYPE process_cpu_seconds_total counter\n"
	    "process_cpu_seconds_total %.3f\n", (double)ru.ru_utime.tv_sec +
	    (double)ru.ru_stime.tv_sec + (double)(ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec) / 1e6);
	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%lld %lld", &vsz, &rss) != 2)
			vsz = rss = 0;
		fclose(f);
	}
	counter(b, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.",
	    (unsigned long long)(rss * sysconf(_SC_PAGESIZE)));
	counter(b, "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes.",
	    (unsigned long long)(vsz * sysconf(_SC_PAGESIZE)));
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while (readdir(d) != NULL)
			fds++;
		closedir(d);
		fds = fds > 3 ? fds - 3 : 0;	/* ".", ".." and d itself */
	}
	counter(b, "process_open_fds", "gauge",
	    "Open file descriptors.", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		counter(b, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.",
		    (unsigned long long)rl.rlim_cur);
	counter(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since the epoch, in seconds.",
	    (unsigned long long)m->started_s);
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
    long long db_size, long long db_cache, struct kr_buf *out)
{
	counters(m, commits, db_size, out);
	counter(out, "keruta_db_cache_bytes", "gauge",
	    "Memory the database's page cache holds in this process (SQLite;"
	    " 0 on PostgreSQL).", (unsigned long long)db_cache);
	histograms(m, out);
	labelled(m, out);
	process(m, out);
	return 0;
}
