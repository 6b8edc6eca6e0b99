#!/usr/bin/env python3
"""A raw HTTP/1.1 client for probing a server the way hostile and ordinary clients use it, written
on sockets so every byte sent is the test's.

usage: http_probe.py HOST PORT SCRIPT_JSON [--tls SERVER_NAME CA_FILE]
SCRIPT_JSON is a list of steps on one connection:
  {"get": "/path", "host": "name", "method": "GET"}   one request (keep-alive); records the response
  {"raw": "<bytes as latin-1>"}                           send bytes as given
  {"fill": N}                                             send a header line N bytes long, then the end of the head
  {"read": true}                                          read until the server closes; records what came
Prints a JSON list of responses: {"status", "headers" (lowercased names), "body" (hex)} or
{"closed": true, "data": "<latin-1>"} for a read.
"""
import json
import socket
import ssl
import sys


def read_response(stream):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = stream.recv(1)
        if not chunk:
            return {"closed": True, "data": head.decode("latin-1")}
        head += chunk
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = b""
    while len(body) < length:
        chunk = stream.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return {"status": status, "headers": headers, "body": body.hex()}


def main():
    host, port, script = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    stream = socket.create_connection((host, port), timeout=20)
    if len(sys.argv) > 4 and sys.argv[4] == "--tls":
        context = ssl.create_default_context(cafile=sys.argv[6])
        stream = context.wrap_socket(stream, server_hostname=sys.argv[5])
    results = []
    for step in script:
        if "get" in step:
            request = f"{step.get('method', 'GET')} {step['get']} HTTP/1.1\r\nHost: {step.get('host', host)}\r\n\r\n"
            stream.sendall(request.encode("latin-1"))
            results.append(read_response(stream))
        elif "raw" in step:
            stream.sendall(step["raw"].encode("latin-1"))
        elif "fill" in step:
            try:
                stream.sendall(b"X-Fill: " + b"a" * step["fill"] + b"\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may close before it has everything
        elif "read" in step:
            data = b""
            while True:
                try:
                    chunk = stream.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                data += chunk
            results.append({"closed": True, "data": data.decode("latin-1")})
    print(json.dumps(results))


main()
