# http-raw.py PORT [--file F | --text BYTES] [--half] [--headers N,N]
#     [--timeout SECONDS] [--bytewise]
#
# Sends bytes on a new connection to 127.0.0.1:PORT (the bytes of file F,
# or BYTES with backslash escapes such as \r\n and \x00), half-closes the
# connection after them with --half, and prints the status line of the
# reply as it came, CLOSED when the server closed without one, or TIMEOUT
# (after 10 seconds). With --headers, the named headers of the reply follow
# the status line (its trailing blanks cut), each as " | name: value", in
# the order they came. --bytewise sends the bytes one at a time, each in a
# segment of its own.
import socket
import sys
import time

args = sys.argv[1:]
port = int(args.pop(0))
data, half, names, timeout = b"", False, [], 10
bytewise = False
while args:
    a = args.pop(0)
    if a == "--file":
        data = open(args.pop(0), "rb").read()
    elif a == "--text":
        data = args.pop(0).encode().decode("unicode_escape").encode("latin1")
    elif a == "--half":
        half = True
    elif a == "--headers":
        names = args.pop(0).lower().split(",")
    elif a == "--timeout":
        timeout = float(args.pop(0))
    elif a == "--bytewise":
        bytewise = True
    else:
        sys.exit("http-raw.py: fatal: unknown argument " + a)

s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
try:
    if bytewise:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            time.sleep(0.002)
    else:
        s.sendall(data)
    if half:
        s.shutdown(socket.SHUT_WR)
except OSError:
    pass
end = b"\r\n\r\n" if names else b"\r\n"
buf = b""
try:
    while end not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
except socket.timeout:
    print("TIMEOUT")
    sys.exit(0)
except OSError:
    pass
if not buf:
    print("CLOSED")
    sys.exit(0)
lines = buf.split(b"\r\n\r\n")[0].decode(errors="replace").split("\r\n")
out = [lines[0].rstrip() if names else lines[0]]
for l in lines[1:]:
    n = l.split(":")[0].lower()
    if n in names:
        out.append(n + ": " + l.split(":", 1)[1].strip())
print(" | ".join(out))
