#!/bin/sh
# Every program has --help, --version and a man page that lints clean and
# names every option its --help lists.
. "${0%/*}/lib.sh"

progs=$(cd "$KR_BIN" && ls keruta-* 2>/dev/null)
n=0
for p in $progs; do n=$((n + 5)); done
plan $((n + 1))

man_of() {
	for s in 1 8; do
		[ -f "$KR_TOP/man/$1.$s" ] && { echo "$KR_TOP/man/$1.$s"; return; }
	done
}

for p in $progs; do
	"$p" --help >help.out 2>help.err
	check $? "$p --help exits 0"
	[ -s help.out ] && [ ! -s help.err ]
	check $? "$p --help writes to stdout only"
	v=$("$p" --version 2>&1)
	case $v in "$p "[0-9]*) r=0 ;; *) r=1 ;; esac
	check $r "$p --version names the program and version ($v)"
	m=$(man_of "$p")
	if [ -z "$m" ]; then
		check 1 "$p has a man page"
		check 1 "$p's man page names its options"
		continue
	fi
	w=$(groff -mandoc -ww -z "$m" 2>&1)
	is "$w" "" "$p's man page lints clean"
	# Options as --help lists them: "-x", "--long-name" at a word start.
	missing=
	for o in $(grep -oE '(^|[[ ,|])--?[A-Za-z0-9][A-Za-z0-9-]*' help.out |
	    sed -E 's/^[[ ,|]//' | sort -u); do
		case $o in
		--help|--version) continue ;;
		--*) pat="Fl -${o#--}" ;;
		*) pat="Fl ${o#-}" ;;
		esac
		grep -qE "(^|[ .])$pat( |\$)" "$m" || missing="$missing $o"
	done
	is "$missing" "" "$p's man page names every option of --help"
done

w=$(groff -mandoc -ww -z "$KR_TOP/man/keruta.7" 2>&1)
r=$?
[ -f "$KR_TOP/man/keruta.7" ] && [ $r -eq 0 ] && [ -z "$w" ]
check $? "keruta.7 exists and lints clean"
