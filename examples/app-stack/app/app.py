#!/usr/bin/python3
"""The app stack's web application: answers GET / with the rows of the items table.

Reads its config file (argv[1], an INI file written by forklift from a template) for
the database address, name, user and password; connects to PostgreSQL per request, so
it starts (and haproxy sees it up) before the database is ready, and it never prints
the password.
"""
import configparser
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

VERSION = "1"

config = configparser.ConfigParser(interpolation=None)
with open(sys.argv[1], encoding="utf-8") as f:
    config.read_file(f)
DB = config["database"]
NODE = config["app"]["node"]


def rows():
    conn = psycopg2.connect(host=DB["host"], port=DB["port"], dbname=DB["name"], user=DB["user"], password=DB["password"], connect_timeout=5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT name FROM items ORDER BY id")
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            body, status = f"app {VERSION} on {NODE}\n" + "".join(f"{r}\n" for r in rows()), 200
        except psycopg2.Error as e:
            # The class only: a libpq message may quote the connection's parameters.
            body, status = f"app {VERSION} on {NODE}: database unavailable ({type(e).__name__})\n", 503
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # haproxy's health checks every second would fill the journal


ThreadingHTTPServer((config["app"]["listen"], config.getint("app", "port")), Handler).serve_forever()
