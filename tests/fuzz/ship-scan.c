/*
 * ship-scan: keruta-ship's quick look at an input line, against the full
 * parser. A line the quick look takes is strict JSON, and cJSON reads it
 * as one record or an array of records, as many as were found; each
 * span is exactly its record; and the taskId, runId and seq found are
 * those cJSON reads (absent when it has none).
 *
 * links: tools/keruta-ship/ship_scan.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "kr_rec.h"
#include "../../tools/keruta-ship/ship.h"
#include "same-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_str(const cJSON *r, const char *key, int has, const char *s, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, key);

	if (!has) {
		if (v != NULL)
			abort();
		return;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) != n ||
	    memcmp(v->valuestring, s, n) != 0)
		abort();
}

static void
check_record(const struct ship_srec *r, const cJSON *e)
{
	const cJSON *seq;
	cJSON *j;

	if ((j = parse_all(r->p, r->n, 0)) == NULL || !same_json(j, e))
		abort();
	cJSON_Delete(j);
	if (r->empty != (e->child == NULL))
		abort();
	if (r->has_task && !r->task_odd)
		same_str(e, "taskId", 1, r->task, r->tasklen);
	else if (!r->has_task)
		same_str(e, "taskId", 0, NULL, 0);
	same_str(e, "runId", r->has_run, r->run, r->runlen);
	seq = cJSON_GetObjectItemCaseSensitive(e, "seq");
	if (r->has_seq ? !cJSON_IsNumber(seq) ||
	    seq->valuedouble != (double)r->seq : seq != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ship_scan sc;
	const char *s = (const char *)data;
	const cJSON *e;
	cJSON *j;
	int k;
	size_t i = 0;

	if ((k = ship_scan_line(s, size, &sc)) < 0)
		return 0;
	if (!ship_json_strict(s, size) || (j = parse_all(s, size, 0)) == NULL)
		abort();
	if (cJSON_IsObject(j)) {
		if (k != 1 || s[0] != '{')
			abort();
		check_record(&sc.r[0], j);
	} else if (cJSON_IsArray(j)) {
		cJSON_ArrayForEach(e, j) {
			if (!cJSON_IsObject(e) || i >= (size_t)k)
				abort();
			check_record(&sc.r[i++], e);
		}
		if (i != (size_t)k)
			abort();
	} else {
		abort();
	}
	cJSON_Delete(j);
	return 0;
}
