#!/bin/sh
# scripts/callgraph: the calls between files, and the circles among them,
# read from built objects.
. "${0%/*}/lib.sh"
plan 2

mkdir -p src b/src
printf 'int b(void);\nint a(void) { return b(); }\n' >src/a.c
printf 'int c(void);\nint b(void) { return c(); }\n' >src/b.c
printf 'int a(void);\nint c(void) { return a(); }\nint d(void) { return 1; }\n' >src/c.c
printf 'int d(void);\nint e(void) { return d(); }\n' >src/e.c
for f in a b c e; do cc -c -o b/src/$f.o src/$f.c || exit 1; done
"$KR_TOP/scripts/callgraph" -b b src >out 2>&1
cat >want <<'EOW'
src/a.c -> src/b.c: b
src/b.c -> src/c.c: c
src/c.c -> src/a.c: a
src/e.c -> src/c.c: d
cycle: src/a.c src/b.c src/c.c
EOW
diff_golden want out "edges, and the one circle"
rm b/src/c.o
"$KR_TOP/scripts/callgraph" -b b src >out 2>&1
printf 'src/a.c -> src/b.c: b\nno cycle\n' >want
diff_golden want out "no circle once it is broken"
