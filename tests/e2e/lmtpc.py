"""A minimal LMTP client (RFC 2033) for the tests and bench/lmtpload.py.

Python's smtplib.LMTP reads a single reply after DATA; LMTP sends one per
accepted recipient, so this client reads them all.

    c = Client("unix:/path/sock")      # or "127.0.0.1:2424"
    c.lhlo()
    replies = c.send("from@x", ["a@y", "b@y"], b"Subject: x\\n\\nbody\\n")
    # [(250, "2.0.0 <a@y> spooled"), (250, ...)]; an earlier refusal
    # (MAIL, every RCPT, DATA) is returned as the one reply that ended it.
"""
import socket


def connect(spec, timeout=30):
    if spec.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(spec[5:])
    else:
        host, port = spec.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def stuff(data):
    """CRLF line ends, dot-stuffed, with the final dot."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = [b"." + l if l.startswith(b".") else l for l in lines]
    return b"\r\n".join(out) + b"\r\n.\r\n"


class Client:
    def __init__(self, spec, timeout=30):
        self.sock = connect(spec, timeout)
        self.f = self.sock.makefile("rb")
        self.greeting = self.reply()

    def reply(self):
        """One reply (multi-line joined): (code, text); (0, "") at EOF."""
        text = []
        while True:
            line = self.f.readline()
            if not line:
                return (0, "\n".join(text))
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            text.append(line[4:])
            if len(line) < 4 or line[3] != "-":
                return (int(line[:3]), "\n".join(text))

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def raw(self, data):
        self.sock.sendall(data)

    def lhlo(self, name="client.test"):
        return self.cmd("LHLO " + name)

    def send(self, sender, rcpts, data, size=None):
        p = " SIZE=%d" % size if size is not None else ""
        r = self.cmd("MAIL FROM:<%s>%s" % (sender, p))
        if r[0] != 250:
            return [r]
        ok = 0
        last = None
        for rc in rcpts:
            last = self.cmd("RCPT TO:<%s>" % rc)
            ok += last[0] == 250
        if ok == 0:
            self.cmd("RSET")
            return [last]
        r = self.cmd("DATA")
        if r[0] != 354:
            return [r]
        self.sock.sendall(stuff(data))
        return [self.reply() for _ in range(ok)]

    def close(self):
        try:
            self.cmd("QUIT")
        except OSError:
            pass
        self.sock.close()
