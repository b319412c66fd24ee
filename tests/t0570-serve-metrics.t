#!/bin/sh
# keruta-serve's /metrics: how old records are when stored and when sent on
# to live viewers (histograms), and the process_* metrics (CPU, memory,
# descriptors, start time).
. "${0%/*}/lib.sh"
. "$KR_TOP/tests/serve.sh"
plan 10

start_serve || exit 1
A=$SERVE_API
metric() { curl -s "$SERVE_URL/metrics" | grep "^$1 " | cut -d' ' -f2; }
ago() {	# ago SECONDS: an RFC 3339 time that long ago
	python3 -c 'import datetime, sys
t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=float(sys.argv[1]))
print(t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))' "$1"
}
printf '{"runId":"r","seq":1,"timestamp":"%s","message":"late"}' "$(ago 2)" |
    curl -s -o /dev/null -d @- "$A/tasks/m/logs"
is "$(metric keruta_record_age_stored_seconds_count) $(metric 'keruta_record_age_stored_seconds_bucket{le="1"}') $(metric 'keruta_record_age_stored_seconds_bucket{le="2.5"}') $(metric 'keruta_record_age_stored_seconds_bucket{le="+Inf"}')" \
    "1 0 1 1" "a record 2 s old: counted when stored, between 1 and 2.5 s"
is "$(metric keruta_record_age_sent_seconds_count)" 0 "no viewer: none sent"

echo '{"type":"subscribe"}' >sub
serve_ws "$SERVE_WS/m" --send sub --stop-records 2 --timeout 20 >viewer &
vp=$!
bg_pid $vp
wait_for 10 grep -q '"live"' viewer
printf '{"runId":"r","seq":2,"timestamp":"%s","message":"now"}' "$(ago 0)" |
    curl -s -o /dev/null -d @- "$A/tasks/m/logs"
wait $vp
is "$(metric keruta_record_age_sent_seconds_count) $(metric 'keruta_record_age_sent_seconds_bucket{le="1"}')" \
    "1 1" "a fresh record sent on to a viewer: counted, under a second"
is "$(metric keruta_record_age_stored_seconds_count)" 2 "and stored: 2 in all"

# The ends of the range of times: ages past any bucket, and below 0.
for ts in 1678-01-01T00:00:00Z 2261-12-31T23:59:59.999999999Z; do
	printf '{"runId":"e","seq":%d,"timestamp":"%s","message":"end"}' \
	    "${ts%%-*}" "$ts" | curl -s -o /dev/null -w '%{http_code} ' \
	    -d @- "$A/tasks/m/logs"
done >codes
is "$(cat codes)$(metric keruta_record_age_stored_seconds_count) $(metric 'keruta_record_age_stored_seconds_bucket{le="0.001"}') $(metric 'keruta_record_age_stored_seconds_bucket{le="600"}')" \
    "201 201 4 1 3" "records of 1678 and 2261: past the last bucket, and as 0"

cpu=$(metric process_cpu_seconds_total)
awk -v c="$cpu" 'BEGIN { exit !(c > 0 && c < 60) }'
check $? "process_cpu_seconds_total ($cpu)"
rss=$(metric process_resident_memory_bytes)
awk -v r="$rss" 'BEGIN { exit !(r > 1000000 && r < 1000000000) }'
check $? "process_resident_memory_bytes ($rss)"
fds=$(metric process_open_fds)
want=$(ls "/proc/$SERVE_PID/fd" | wc -l)
awk -v a="$fds" -v b="$want" 'BEGIN { exit !(a >= b - 2 && a <= b + 2) }'
check $? "process_open_fds ($fds, /proc says $want)"
st=$(metric process_start_time_seconds)
awk -v s="$st" -v n="$(date +%s)" 'BEGIN { exit !(s <= n && s > n - 120) }'
check $? "process_start_time_seconds ($st)"
curl -s "$SERVE_URL/metrics" | grep -c '^# TYPE process_' >n
is "$(cat n)" 6 "six process_* metrics, each with its type"
stop_serve
