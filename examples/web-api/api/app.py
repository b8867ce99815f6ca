"""api: the private JSON API of the web-api example. Python stdlib only."""

import json
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "5000"))
MESSAGE = os.environ.get("API_MESSAGE", "hello from the private API")


class Handler(BaseHTTPRequestHandler):
    server_version = "web-api-api/1"
    protocol_version = "HTTP/1.1"

    def _send(self, status, body, content_type):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self._send(200, json.dumps({"message": MESSAGE, "time": now}) + "\n", "application/json")
        elif path == "/healthz":
            self._send(200, "ok", "text/plain; charset=utf-8")
        else:
            self._send(404, json.dumps({"error": "not found"}) + "\n", "application/json")

    do_HEAD = do_GET

    def log_message(self, fmt, *args):
        sys.stderr.write("api: %s %s\n" % (self.address_string(), fmt % args))


def main():
    httpd = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    httpd.daemon_threads = True

    def stop(signum, _frame):
        print(f"api: {signal.Signals(signum).name} received, closing", flush=True)
        # shutdown() blocks until serve_forever returns, so call it off the main thread.
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"api: listening on :{PORT}", flush=True)
    httpd.serve_forever()
    httpd.server_close()


if __name__ == "__main__":
    main()
