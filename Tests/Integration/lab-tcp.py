#!/usr/bin/env python3
"""A raw TCP service in the lab's "internet": greets and closes. No DNS name points at it."""
import socket
import sys

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((sys.argv[1], int(sys.argv[2])))
server.listen(16)
while True:
    connection, _ = server.accept()
    try:
        connection.sendall(b"hello from the raw service\n")
    finally:
        connection.close()
