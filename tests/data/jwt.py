# jwt.py SECRET-FILE PAYLOAD [ALG [SECRET]]: a JSON Web Token for PAYLOAD,
# signed with HMAC-SHA256 under the first line of SECRET-FILE, or under
# SECRET when given. ALG is only the header's name ("HS256" by default);
# "none" gives an empty signature.
import base64
import hashlib
import hmac
import json
import sys


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


path, p = sys.argv[1], sys.argv[2]
alg = sys.argv[3] if len(sys.argv) > 3 else "HS256"
key = sys.argv[4] if len(sys.argv) > 4 else open(path).read().strip()
h = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." + b64(p.encode())
sig = "" if alg == "none" else b64(hmac.new(key.encode(), h.encode(),
                                            hashlib.sha256).digest())
print(h + "." + sig)
