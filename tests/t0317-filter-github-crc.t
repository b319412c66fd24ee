#!/bin/sh
# keruta-filter: GitHub's tokens end in a CRC32 of their random part;
# one that checks is masked even glued inside a word, a placeholder that
# does not check is left alone.
. "${0%/*}/lib.sh"
plan 1

cat >in <<'R'
{"message":"token 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 here"}
{"message":"Bearer: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x and url%2F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"}
{"message":"pre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"}
{"message":"preghp_Xq7RtYu9PlKmNbVcZaSdFgHjK2L4M64fL2H6 fails its check"}
{"message":"example: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
{"message":"example: ghp_000000000000000000000000000000000000"}
{"message":"look-alike ghp_PXht7NfzLj9b5b9jLzfN7thXPJFDDFJPXht7 still masked"}
R
keruta-filter <in >out
jq -r .message out >got
cat >want <<'W'
token [REDACTED:github-token] here
Bearer:[REDACTED:github-token]x and url%2F[REDACTED:github-token]
pre[REDACTED:github-token]
preghp_Xq7RtYu9PlKmNbVcZaSdFgHjK2L4M64fL2H6 fails its check
example: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
example: ghp_000000000000000000000000000000000000
look-alike [REDACTED:github-token] still masked
W
diff_golden want got "checked tokens are found anywhere, placeholders stay"
