# SPDX-License-Identifier: LGPL-2.1-or-later
"""A VNC (RFB 3.8) client that gets as far as ServerInit, for the tests.

Usage: vnc_client.py HOST PORT [PASSWORD]
The password is read from the environment variable VNC_PASSWORD when not
given (so that it appears in no command line). With VNC_HOLD=SECONDS the
connection stays open that long after ServerInit (a viewer looking on).
Prints one line:
  "ok WIDTHxHEIGHT NAME"          authenticated, ServerInit read
  "refused REASON"                the server's SecurityResult said failed
and exits 0; anything else (a protocol error) exits 1 with a message.

VNC authentication (RFC 6143, 7.2.2): the server sends 16 random bytes, the
client returns them DES-encrypted (ECB) with the password as the key: its
first 8 bytes, zero-padded, each byte's bits reversed (a quirk of the
original implementation). DES is TripleDES with the 8-byte key three times.
"""
import os
import socket
import struct
import sys
import time


def des_cipher(key8):
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # cryptography before 43 (Debian 12's 38)
        from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes
    return Cipher(TripleDES(key8 * 3), modes.ECB())


def vnc_key(password):
    raw = password.encode("latin-1")[:8].ljust(8, b"\0")
    return bytes(int(f"{b:08b}"[::-1], 2) for b in raw)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError(f"the server closed the connection ({len(data)} of {n} bytes)")
        data += chunk
    return data


def handshake(sock, password):
    version = recv_exact(sock, 12)
    if not version.startswith(b"RFB 003."):
        raise ValueError(f"not an RFB server: {version!r}")
    sock.sendall(b"RFB 003.008\n")
    (count,) = struct.unpack("B", recv_exact(sock, 1))
    if count == 0:
        (length,) = struct.unpack(">I", recv_exact(sock, 4))
        raise ValueError("no security types: " + recv_exact(sock, length).decode(errors="replace"))
    types = recv_exact(sock, count)
    if password is None:
        if 1 not in types:
            return "refused the server wants a password (types %s)" % list(types)
        sock.sendall(b"\x01")
    else:
        if 2 not in types:
            raise ValueError(f"the server offers no VNC authentication: {list(types)}")
        sock.sendall(b"\x02")
        challenge = recv_exact(sock, 16)
        enc = des_cipher(vnc_key(password)).encryptor()
        sock.sendall(enc.update(challenge) + enc.finalize())
    (result,) = struct.unpack(">I", recv_exact(sock, 4))
    if result != 0:
        try:
            (length,) = struct.unpack(">I", recv_exact(sock, 4))
            reason = recv_exact(sock, length).decode(errors="replace").rstrip("\0")
        except EOFError:
            reason = "(no reason)"
        return f"refused {reason}"
    sock.sendall(b"\x01")  # ClientInit: shared
    width, height = struct.unpack(">HH", recv_exact(sock, 4))
    recv_exact(sock, 16)  # the pixel format
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    name = recv_exact(sock, length).decode(errors="replace")
    return f"ok {width}x{height} {name}"


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    host, port = sys.argv[1], int(sys.argv[2])
    password = sys.argv[3] if len(sys.argv) == 4 else os.environ.get("VNC_PASSWORD")
    try:
        with socket.create_connection((host, port), timeout=10) as sock:
            print(handshake(sock, password), flush=True)
            time.sleep(float(os.environ.get("VNC_HOLD", "0")))
    except (OSError, EOFError, ValueError) as e:
        print(f"vnc_client: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
