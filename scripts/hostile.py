#!/usr/bin/env python3
"""Hostile clients against a running http-server: the two scenarios of issue 15.

  hostile.py slow ADDR [--clients 300] [--drip 2] [--within 20]
      CLIENTS connections each send a request line, then one header byte every DRIP seconds,
      never finishing the head. Meanwhile one fast client makes a GET /json every 50 ms and
      times each. After WITHIN seconds: how many slow clients the server has closed, and the
      fast client's worst latency. Fails unless at least 90% were closed and the worst fast
      latency is under 1 s.

  hostile.py flood ADDR --pid PID [--clients 250] [--seconds 3]
      For a server started with a small descriptor limit (e.g. `ulimit -n 128`): opens CLIENTS
      connections, more than the server can accept, holds them SECONDS seconds while reading
      the server's CPU time (/proc/PID/stat), then closes them and checks the server answers a
      new request. Fails if the server used more than 20% of one core while exhausted, died, or
      does not answer afterwards.

Prints one line of results; scripts/hostile.sh runs both against the release build.
"""
import argparse
import os
import socket
import sys
import threading
import time

GET_JSON = b"GET /json HTTP/1.1\r\nHost: hostile\r\n\r\n"
JSON_BODY = b'{"message":"Hello, World!"}'


def parse_addr(addr):
    host, port = addr.rsplit(":", 1)
    return host, int(port)


def closed_by_server(sock):
    """EOF or a reset: the server closed. Data or nothing yet: still open."""
    try:
        data = sock.recv(64, socket.MSG_DONTWAIT)
        return data == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def fast_client(addr, stop, latencies, failures):
    try:
        sock = socket.create_connection(addr, timeout=20)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while not stop.is_set():
            start = time.monotonic()
            sock.sendall(GET_JSON)
            buf = b""
            while not buf.endswith(JSON_BODY):
                chunk = sock.recv(4096)
                if not chunk:
                    raise ConnectionError("the server closed the fast client")
                buf += chunk
            latencies.append(time.monotonic() - start)
            time.sleep(0.05)
    except OSError as error:
        failures.append(repr(error))


def slow(args):
    addr = parse_addr(args.addr)
    clients = []
    for _ in range(args.clients):
        sock = socket.create_connection(addr, timeout=10)
        sock.sendall(b"GET /json HTTP/1.1\r\n")
        clients.append(sock)
    stop, latencies, failures = threading.Event(), [], []
    fast = threading.Thread(target=fast_client, args=(addr, stop, latencies, failures))
    fast.start()
    start = time.monotonic()
    open_clients = list(clients)
    closed_at = []
    next_drip = start + args.drip
    while open_clients and time.monotonic() - start < args.within:
        time.sleep(0.1)
        still = []
        for sock in open_clients:
            if closed_by_server(sock):
                closed_at.append(time.monotonic() - start)
                sock.close()
            else:
                still.append(sock)
        open_clients = still
        if time.monotonic() >= next_drip:
            next_drip += args.drip
            for sock in open_clients:
                try:
                    sock.send(b"X")
                except OSError:
                    pass  # closed: the next check sees it
    stop.set()
    fast.join()
    for sock in open_clients:
        sock.close()
    closed = len(closed_at)
    worst = max(latencies) if latencies else float("inf")
    print(
        f"slow: {closed} of {args.clients} header-dripping clients closed within {args.within} s "
        f"(first at {min(closed_at, default=0):.1f} s, last at {max(closed_at, default=0):.1f} s); "
        f"fast client: {len(latencies)} requests, worst {worst * 1000:.1f} ms, "
        f"failures {failures or 0}"
    )
    return closed >= 0.9 * args.clients and worst < 1.0 and not failures


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def flood(args):
    addr = parse_addr(args.addr)
    clients = []
    for _ in range(args.clients):
        try:
            clients.append(socket.create_connection(addr, timeout=10))
        except OSError as error:
            print(f"flood: connect failed after {len(clients)}: {error}")
            break
    time.sleep(0.5)  # the server takes what it can
    before, start = cpu_ticks(args.pid), time.monotonic()
    time.sleep(args.seconds)
    used, elapsed = cpu_ticks(args.pid) - before, time.monotonic() - start
    hz = os.sysconf("SC_CLK_TCK")
    share = used / hz / elapsed
    for sock in clients:
        sock.close()
    time.sleep(1.5)  # the back-off is at most 1 s
    answered = False
    try:
        sock = socket.create_connection(addr, timeout=20)
        sock.settimeout(20)
        sock.sendall(GET_JSON)
        buf = b""
        while not buf.endswith(JSON_BODY):
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        answered = buf.startswith(b"HTTP/1.1 200 OK\r\n") and buf.endswith(JSON_BODY)
    except OSError as error:
        print(f"flood: the request after the flood failed: {error}")
    alive = os.path.exists(f"/proc/{args.pid}")
    print(
        f"flood: {len(clients)} connections held {elapsed:.1f} s: server CPU {used} ticks "
        f"({share:.1%} of a core); alive afterwards: {alive}; answers a new request: {answered}"
    )
    return share < 0.2 and alive and answered


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="scenario", required=True)
    p = sub.add_parser("slow")
    p.add_argument("addr")
    p.add_argument("--clients", type=int, default=300)
    p.add_argument("--drip", type=float, default=2.0)
    p.add_argument("--within", type=float, default=20.0)
    p = sub.add_parser("flood")
    p.add_argument("addr")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--clients", type=int, default=250)
    p.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    ok = slow(args) if args.scenario == "slow" else flood(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
