#!/bin/sh
# keruta-batch: options, configuration, batch size and byte bounds.
. "${0%/*}/lib.sh"
plan 41

# recs FROM TO [PAD]: records with seq FROM..TO, message padded to PAD bytes.
recs() {
	awk -v a="$1" -v b="$2" -v pad="${3:-0}" 'BEGIN {
		p = ""
		for (i = 0; i < pad; i++) p = p "x"
		for (i = a; i <= b; i++)
			printf "{\"type\":\"log\",\"taskId\":\"t1\",\"runId\":\"r1\",\"seq\":%d,\"message\":\"%s\"}\n", i, p
	}'
}
# sizes: the number of records in each batch line, one line each.
sizes() { awk '{ print gsub(/"seq":/, "&") }' "$@"; }

keruta-batch --help >out 2>err
check $? "--help exits 0"
grep -q '^usage: keruta-batch ' out
check $? "--help prints the usage on stdout"
missing=
for o in batch-size buffer-size config flush-interval help linger max-bytes \
    quiet rate task-id verbose version when-full; do
	grep -q -- "--$o" out || missing="$missing $o"
done
is "$missing" "" "--help lists every long option"
is "$(keruta-batch --version)" "keruta-batch 0.1.0" "--version"

keruta-batch -b 0 </dev/null >out 2>err
is "$?:$(cat err)" "100:keruta-batch: fatal: invalid --batch-size '0'" \
    "a batch size of 0 is refused"
keruta-batch --when-full sometimes </dev/null >out 2>err
is "$?:$(cat err)" \
    "100:keruta-batch: fatal: invalid --when-full 'sometimes'" \
    "--when-full takes block or drop"
keruta-batch --max-bytes 100 </dev/null >/dev/null 2>err
is "$?" 100 "--max-bytes below 1k is refused"
keruta-batch --flush-interval soon </dev/null >/dev/null 2>&1
is "$?" 100 "a bad --flush-interval is refused"
keruta-batch --linger -1 </dev/null >/dev/null 2>&1
is "$?" 100 "a bad --linger is refused"
keruta-batch --rate many </dev/null >/dev/null 2>&1
is "$?" 100 "a bad --rate is refused"
keruta-batch extra </dev/null >/dev/null 2>err
is "$?:$(head -c 6 err)" "100:usage:" "operands are refused"
KERUTA_LOG_BUFFER_SIZE=lots keruta-batch </dev/null >/dev/null 2>err
is "$(cat err)" "keruta-batch: fatal: invalid KERUTA_LOG_BUFFER_SIZE 'lots'" \
    "a bad environment value is named"
keruta-batch -c nosuch.yaml </dev/null >/dev/null 2>&1
is "$?" 100 "a missing configuration file is refused"

recs 1 25 >in
keruta-batch <in >out
is "$?:$(sizes out | tr '\n' ' ')" "0:10 10 5 " "default batches of 10"
( tr '\n' ',' <in | sed 's/,$//'; echo ) >want
{ sed -e 's/^\[//' -e 's/\]$//' out | tr '\n' ','; } | sed 's/,$//' >got
echo >>got
diff_golden want got "records go out verbatim and in order"

keruta-batch -b 7 <in >out
is "$(sizes out | tr '\n' ' ')" "7 7 7 4 " "--batch-size 7"
keruta-batch --batch-size 25 <in >out
is "$(sizes out | tr '\n' ' ')" "25 " "--batch-size 25 takes all"

# Records of exactly 200 bytes: 5 fit in 1024 bytes ("[" + 5*200 + 4 + "]\n").
recs 10 32 137 >in
is "$(awk '{ print length($0) }' in | sort -u)" 200 "test records are 200 bytes"
keruta-batch -b 100 -m 1k <in >out
is "$(sizes out | tr '\n' ' ')" "5 5 5 5 3 " "--max-bytes 1k bounds batches"
is "$(awk 'length($0) + 1 > 1024' out | wc -l)" 0 "no batch line past 1024 bytes"

# Configuration: flag > environment > YAML.
printf 'logStreaming:\n  batchSize: 3\n  flushInterval: 2s\n' >c.yaml
keruta-batch -c c.yaml <in >out
is "$(sizes out | head -n 1)" 3 "logStreaming.batchSize from the file"
KERUTA_CONFIG=c.yaml keruta-batch <in >out
is "$(sizes out | head -n 1)" 3 "KERUTA_CONFIG names the file"
KERUTA_LOG_BATCH_SIZE=4 keruta-batch -c c.yaml <in >out
is "$(sizes out | head -n 1)" 4 "the environment beats the file"
KERUTA_LOG_BATCH_SIZE=4 keruta-batch -c c.yaml -b 2 <in >out
is "$(sizes out | head -n 1)" 2 "a flag beats the environment"

# Input batches are batched anew.
recs 1 21 | awk '{ b = b (NR % 7 == 1 ? "" : ",") $0 }
    NR % 7 == 0 { print "[" b "]"; b = "" }' >in
is "$(wc -l <in | tr -d ' ')" 3 "three input batches of 7"
keruta-batch <in >out
is "$(sizes out | tr '\n' ' ')" "10 10 1 " "input batches are split and refilled"
recs 1 21 | tr '\n' ',' | sed 's/,$//' >want
{ sed -e 's/^\[//' -e 's/\]$//' out | tr '\n' ',' | sed 's/,$//'; } >got
diff_golden want got "records from input batches are kept verbatim"

# Diagnostics: -q keeps quiet, -v adds a summary; the task id for wrapped
# lines comes from --task-id or KERUTA_TASK_ID.
printf 'text\n' >in
keruta-batch -q <in >out 2>err
is "$(cat err)" "" "-q: no warning for a malformed line"
keruta-batch --verbose --task-id T9 <in >out 2>err
is "$(tail -n 1 err)" "keruta-batch: info: 1 malformed lines forwarded" \
    "--verbose: a summary at the end"
grep -q '"taskId":"T9"' out
check $? "--task-id names the task of a wrapped line"
KERUTA_TASK_ID=T8 keruta-batch --quiet <in >out
grep -q '"taskId":"T8"' out
check $? "KERUTA_TASK_ID does too"

# --last: "seq runId" of the last record passed on that carried a seq.
r() { printf '{"taskId":"t","runId":"%s","seq":%s,"message":"m"}\n' "$1" "$2"; }
{ r r1 1; r r1 2; echo '{"taskId":"t","message":"no seq"}'; echo plain; } |
    keruta-batch -q --last last >/dev/null
is "$? $(cat last)" "0 2 r1" "--last: the last record with a seq"
{ r r1 5; r r2 6; r r2 7.5; r r2 '"8"'; r r2 0; r r2 12345678901234567
    r r2 -3; r r2 1e3; } | keruta-batch -q --last last >/dev/null
is "$(cat last)" "6 r2" \
    "--last: a seq that is not a whole number from 1 to 10^16 - 1 is not one"
{ r r1 1; r r1 2; r r3 3; } | keruta-batch -q -b 1 --last last >/dev/null
is "$(cat last)" "3 r3" "--last: over several batches"
{ r r1 9; r r1 10; echo '{"taskId":"t","message":"after"}'; } |
    keruta-batch -q -b 100 --last last >/dev/null
is "$(cat last)" "10 r1" "--last: behind records without one, in one batch"
echo '{"taskId":"t","seq":4,"message":"m"}' |
    keruta-batch -q --last last >/dev/null
is "$(cat last)" "4 -" "--last: no runId is '-'"
rm -f last
{ echo '{"taskId":"t","message":"m"}'; echo plain; } |
    keruta-batch -q --last last >/dev/null
is "$? $(test -e last && echo written)" "0 " \
    "--last: nothing written when no record had a seq"
r r1 1 | keruta-batch --last "$T/no/such/dir/last" >out 2>err
is "$? $(cat out)" "111 [$(r r1 1)]" \
    "--last: a file that cannot be written is exit 111, the records out"
is "$(grep -c "unable to open '$T/no/such/dir/last'" err)" 1 "and said"

# The man page documents every option of --help.
missing=
for o in $(keruta-batch --help | grep -oE -- '(^| )--?[A-Za-z][-a-z]*'); do
	grep -q -- "Fl ${o#-}" "$KR_TOP/man/keruta-batch.1" ||
	    missing="$missing $o"
done
is "$missing" "" "every option is in the man page"
groff -mandoc -ww -z "$KR_TOP/man/keruta-batch.1" >lint 2>&1
is "$(cat lint)" "" "the man page lints clean"
