#!/bin/sh
# keruta-tail and terminal control sequences in messages: colours (SGR)
# pass, nothing else that moves, clears, retitles or hides; the terminal is
# restored (colours reset, cursor shown) at every exit, signals included.
. "${0%/*}/lib.sh"
plan 19

esc=$(printf '\033')
bel=$(printf '\007')
rst="${esc}[0m${esc}[?25h"
pre="${esc}[2m2026-11-28T10:00:00.000Z${esc}[0m ${esc}[36mstdout${esc}[0m ${esc}[32mINFO ${esc}[0m"
# show MESSAGE-AS-JSON: the one line keruta-tail --color=always makes of it,
# with what follows it (the restore sequence) on the next line.
show() {
	printf '{"timestamp":"2026-11-28T10:00:00Z","source":"stdout","level":"INFO","message":"%s"}\n' "$1" |
	    keruta-tail --stdin --color=always >shown
	echo "rc=$?" >>shown
}
# want MESSAGE-SHOWN [END]: what show must have printed.
want() {
	printf '%s\n%src=0\n' "$pre $1${2:-}" "$rst"
}

show 'building\u001b[2K done'
is "$(cat shown)" "$(want 'building?[2K done')" \
    "a clear-line code is shown, not obeyed: the prefix stays"
show '\u001b]0;pwned\u0007 and the rest'
is "$(cat shown)" "$(want '?]0;pwned? and the rest')" \
    "a window-title OSC is shown, the rest of the line too"
show '\u001b]2;title\u001b\\ tail'
is "$(cat shown)" "$(want '?]2;title?\ tail')" \
    "an OSC ended by ESC \\ is shown"
show '\u001b[?25lspinner'
is "$(cat shown)" "$(want '?[?25lspinner')" "hide-cursor is shown, not obeyed"
show 'a\u001b[1Ab\u001b[10;1Hc\u001b[2Jd\u001b[Ke'
is "$(cat shown)" "$(want 'a?[1Ab?[10;1Hc?[2Jd?[Ke')" \
    "cursor moves and screen clears are shown"
show 'x\u001bcy\u001b7z'
is "$(cat shown)" "$(want 'x?cy?7z')" "a terminal reset (ESC c) is shown"
show 'a\rb\u0008c'
is "$(cat shown)" "$(want 'a?b?c')" "carriage return and backspace are shown"
show 'c1 \u009b2J csi'
is "$(cat shown)" "$(want 'c1 ?2J csi')" "a C1 CSI (U+009B) is shown"
show '\u001b[1;32mPASS\u001b[0m \u001b[38;5;8mgrey\u001b[m'
is "$(cat shown)" "$(want "${esc}[1;32mPASS${esc}[0m ${esc}[38;5;8mgrey${esc}[m" "${esc}[0m")" \
    "colours pass, the line ends with a reset"
show '\u001b[8msecret\u001b[0m'
is "$(cat shown)" "$(want "?[8msecret${esc}[0m" "${esc}[0m")" \
    "concealed text (SGR 8) is shown"
show '\u001b[31mred'
is "$(cat shown)" "$(want "${esc}[31mred" "${esc}[0m")" \
    "a colour left open does not reach the next line"
show 'ünïcode ✓ €'
is "$(cat shown)" "$(want 'ünïcode ✓ €')" "UTF-8 text passes whole"

# Without colours, every escape is shown.
printf '{"source":"stdout","message":"\\u001b[32mok\\u001b]0;t\\u0007"}\n' |
    keruta-tail --stdin --color=never >plain
is "$(cat plain)" "- stdout -     ?[32mok?]0;t?" \
    "--color=never: no escape at all, nothing added at exit"

# Killed while following: the terminal is restored, the signal kept.
mkfifo fifo
keruta-tail --stdin --color=always <fifo >killed 2>err &
tp=$!
bg_pid $tp
exec 3>fifo
printf '{"timestamp":"2026-11-28T10:00:00Z","source":"stdout","level":"INFO","message":"one"}\n' >&3
wait_for 10 grep -q one killed
kill -TERM $tp
wait $tp 2>/dev/null
is $? 143 "SIGTERM: it dies of the signal"
exec 3>&-
is "$(cat killed)" "$pre one
$rst" "SIGTERM: colours reset and cursor shown"
printf '{"source":"stdout","message":"x"}\n' |
    keruta-tail --stdin --color=always -l nonsense >/dev/null 2>err
is "$?" 100 "a usage error exits 100"

# SIGHUP too; but a SIGHUP ignored from the start (nohup) stays ignored.
keruta-tail --stdin --color=always <fifo >hup 2>err &
tp=$!
bg_pid $tp
exec 3>fifo
printf '{"source":"stdout","message":"two"}\n' >&3
wait_for 10 grep -q two hup
kill -HUP $tp
wait $tp 2>/dev/null
is "$? $(tail -c 10 hup)" "129 $rst" "SIGHUP: restored, then dies of it"
exec 3>&-
(trap '' HUP; exec keruta-tail --stdin --color=always <fifo >nohup 2>err) &
tp=$!
bg_pid $tp
exec 3>fifo
printf '{"source":"stdout","message":"three"}\n' >&3
wait_for 10 grep -q three nohup
kill -HUP $tp
sleep 0.2
kill -0 $tp
check $? "an ignored SIGHUP stays ignored"
exec 3>&-
wait $tp
is "$? $(tail -c 10 nohup)" "0 $rst" "and at the end of input, the restore"
