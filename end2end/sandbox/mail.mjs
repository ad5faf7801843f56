// Sandbox mail server for development and tests: it accepts every message the portal sends over
// SMTP and delivers nothing. The messages stay in memory (the newest 500) and can be read:
//   - as JSON at GET /messages, newest first: { from, to, subject, text, receivedAt } with the
//     subject's RFC 2047 words and the body's transfer encoding decoded;
//   - as a page at GET /, for a person looking at what a resident would have received.
// DELETE /messages empties the list.
//
//   node end2end/sandbox/mail.mjs
//   SMTP_PORT=4025 HTTP_PORT=4026
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";

const smtpPort = Number(process.env.SMTP_PORT ?? 4025);
const httpPort = Number(process.env.HTTP_PORT ?? 4026);
const keep = 500;
const maxMessage = 10 * 1024 * 1024;

/** @type {{from: string, to: string[], subject: string, text: string, receivedAt: string, raw: string}[]} */
const messages = []; // newest first

// ---- decoding ---------------------------------------------------------------------------------

function charsetDecoder(charset) {
  try {
    return new TextDecoder(charset.toLowerCase());
  } catch {
    return new TextDecoder("utf-8");
  }
}

function quotedPrintable(s, q) {
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "=") {
      if (s.startsWith("\r\n", i + 1)) { i += 2; continue; }
      if (s[i + 1] === "\n") { i += 1; continue; }
      const hex = s.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; continue; }
    }
    if (q && c === "_") { bytes.push(0x20); continue; }
    for (const b of Buffer.from(c, "latin1")) bytes.push(b);
  }
  return Buffer.from(bytes);
}

// Header text with RFC 2047 encoded words decoded; whitespace between two words is dropped.
function decodeWords(s) {
  return s
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, "$1")
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (_, charset, enc, text) => {
      const bytes = enc.toUpperCase() === "B" ? Buffer.from(text, "base64") : quotedPrintable(text, true);
      return charsetDecoder(charset.replace(/\*.*$/, "")).decode(bytes);
    });
}

function parseMessage(raw) {
  const split = raw.indexOf("\r\n\r\n");
  const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r\n[ \t]+/g, " ");
  const body = split < 0 ? "" : raw.slice(split + 4);
  const headers = new Map();
  for (const line of head.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) {
      const name = line.slice(0, i).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(i + 1).trim());
    }
  }
  const charset = /charset="?([^";\s]+)/i.exec(headers.get("content-type") ?? "")?.[1] ?? "utf-8";
  const encoding = (headers.get("content-transfer-encoding") ?? "").toLowerCase();
  const bytes =
    encoding === "base64"
      ? Buffer.from(body.replace(/\s+/g, ""), "base64")
      : encoding === "quoted-printable"
        ? quotedPrintable(body, false)
        : Buffer.from(body, "latin1");
  return {
    subject: decodeWords(headers.get("subject") ?? ""),
    text: charsetDecoder(charset).decode(bytes).replace(/\r\n/g, "\n"),
  };
}

// ---- SMTP -------------------------------------------------------------------------------------

const path = (arg) => {
  const m = /<([^>]*)>/.exec(arg);
  return (m ? m[1] : arg.trim().split(/\s+/)[0] ?? "").trim();
};

const smtp = createTcpServer((socket) => {
  let buffer = Buffer.alloc(0);
  let from = null;
  let to = [];
  let data = null; // lines of the message while in DATA
  let dataSize = 0;
  const reply = (s) => socket.write(`${s}\r\n`);
  const reset = () => { from = null; to = []; data = null; dataSize = 0; };

  function line(text) {
    if (data !== null) {
      if (text === ".") {
        const raw = data.join("\r\n") + (data.length ? "\r\n" : "");
        const tooBig = dataSize > maxMessage;
        const envelope = { from, to };
        reset();
        if (tooBig) return reply("552 5.3.4 message too big");
        const { subject, text: body } = parseMessage(raw);
        messages.unshift({ ...envelope, subject, text: body, receivedAt: new Date().toISOString(), raw });
        messages.length = Math.min(messages.length, keep);
        console.log(`mail to ${envelope.to.join(", ")}: ${subject}`);
        return reply("250 2.0.0 OK queued");
      }
      dataSize += text.length + 2;
      if (dataSize <= maxMessage) data.push(text.startsWith(".") ? text.slice(1) : text);
      return;
    }
    const verb = text.split(" ")[0].toUpperCase();
    const upper = text.toUpperCase();
    switch (verb) {
      case "EHLO":
        return reply("250-sandbox.mail greets you\r\n250-8BITMIME\r\n250-SIZE 10485760\r\n250 HELP");
      case "HELO":
        return reply("250 sandbox.mail");
      case "NOOP":
        return reply("250 2.0.0 OK");
      case "RSET":
        reset();
        return reply("250 2.0.0 OK");
      case "QUIT":
        reply("221 2.0.0 bye");
        return socket.end();
      case "MAIL":
        if (!upper.startsWith("MAIL FROM:")) break;
        if (from !== null) return reply("503 5.5.1 nested MAIL");
        from = path(text.slice(10));
        to = [];
        return reply("250 2.1.0 OK");
      case "RCPT":
        if (!upper.startsWith("RCPT TO:")) break;
        if (from === null) return reply("503 5.5.1 MAIL first");
        to.push(path(text.slice(8)));
        return reply("250 2.1.5 OK");
      case "DATA":
        if (from === null || to.length === 0) return reply("503 5.5.1 no valid recipients");
        data = [];
        return reply("354 end data with <CR><LF>.<CR><LF>");
    }
    reply("500 5.5.2 command not recognised");
  }

  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    let i;
    while ((i = buffer.indexOf(10)) >= 0) {
      let end = i;
      if (end > 0 && buffer[end - 1] === 13) end -= 1;
      // Bytes as they are (latin1 keeps every octet); decoding happens per MIME part.
      line(buffer.subarray(0, end).toString("latin1"));
      buffer = buffer.subarray(i + 1);
    }
    if (buffer.length > 1024 * 1024) socket.destroy();
  });
  socket.on("error", () => {});
  socket.setTimeout(300_000, () => socket.destroy());
  reply("220 sandbox.mail ESMTP sandbox mail server (delivers nothing)");
});

// ---- HTTP -------------------------------------------------------------------------------------

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = () => `<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Hộp thư thử nghiệm</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a}
.sandbox{background:#fff3cd;border:3px solid #b35c00;padding:.75rem 1rem;margin-bottom:1rem}
article{border:1px solid #767676;padding:.5rem 1rem;margin:.75rem 0}h2{font-size:1.1rem;margin:.25rem 0}
.meta{color:#444;font-size:.9rem}pre{white-space:pre-wrap;font:inherit}</style></head>
<body><main><p class="sandbox"><strong>HỘP THƯ THỬ NGHIỆM (SANDBOX)</strong> — thư không được gửi đi thật.
<span lang="en">Sandbox mail server: nothing is delivered.</span> <a href="/messages">JSON</a></p>
<h1>Thư đã nhận (${messages.length})</h1>
${messages.length === 0 ? "<p>Chưa có thư nào.</p>" : ""}
${messages
  .map(
    (m) => `<article><h2>${esc(m.subject || "(không có tiêu đề)")}</h2>
<p class="meta">Từ ${esc(m.from)} đến ${esc(m.to.join(", "))} lúc
<time datetime="${esc(m.receivedAt)}">${esc(new Date(m.receivedAt).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" }))}</time></p>
<pre>${esc(m.text)}</pre></article>`,
  )
  .join("\n")}
</main></body></html>`;

const http = createHttpServer((req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${httpPort}`);
  if (url.pathname === "/messages" && req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    return res.end(JSON.stringify(messages.map(({ raw, ...m }) => m)));
  }
  if (url.pathname === "/messages" && req.method === "DELETE") {
    messages.length = 0;
    res.writeHead(204);
    return res.end();
  }
  if (url.pathname === "/" && req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    return res.end(page());
  }
  if (url.pathname === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    return res.end("ok");
  }
  res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
  res.end("không tìm thấy");
});

smtp.listen(smtpPort, "127.0.0.1", () => console.log(`sandbox mail server: SMTP on 127.0.0.1:${smtpPort}`));
http.listen(httpPort, "127.0.0.1", () => console.log(`sandbox mail server: messages at http://127.0.0.1:${httpPort}`));
