"""A real SMTP server on loopback for the e-mail tests (aiosmtpd). Usage: smtp_sink.py OUTDIR

Prints the port it listens on, then writes every message it receives to OUTDIR/<n>.json:
{mail_from, rcpt_tos, subject, from, to, cc, html, text, attachments: [{filename, content_type, size,
content}]} (size: the attachment's bytes as sent, decoded from base64; content: its text, gunzipped
for application/gzip).
Stops when its standard input closes (the test process ends) or after 10 minutes."""

import gzip
import json
import socket
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out: Path):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        html = message.get_body(preferencelist=("html",))
        text = message.get_body(preferencelist=("plain",))
        attachments = []
        for part in message.iter_attachments():
            payload = part.get_payload(decode=True) or b""
            if part.get_content_maintype() == "text":
                content = part.get_content()
            elif part.get_content_type() == "application/gzip":
                content = gzip.decompress(payload).decode("utf-8")
            else:
                content = None
            attachments.append(
                {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "size": len(payload),
                    "content": content,
                }
            )
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "cc": str(message["cc"]) if message["cc"] else None,
            "html": html.get_content() if html else None,
            "text": text.get_content() if text else None,
            "attachments": attachments,
        }
        path = self.out / f"{self.count}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.rename(path)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait(timeout=600)
    controller.stop()


if __name__ == "__main__":
    main()
