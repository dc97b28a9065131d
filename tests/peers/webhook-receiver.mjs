#!/usr/bin/env node
// A receiver of the mcpauth gateway's webhook (docs/gateway.md, "Webhook"):
// it checks each POST as a real receiver should and records what came.
//
// POST /hook: the body (64 KiB at most) must carry Mcpauth-Timestamp (Unix
// seconds, within 5 minutes of now: older ones are replays) and
// Mcpauth-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">,
// keyed with the content of the file --secret-file names (required; a
// trailing line end is not part of the key). A good delivery is answered 204, a
// bad one 401; with --fail-first N the first N deliveries are answered 500
// whatever they carry (a receiver that is down for a moment).
//
// GET /events answers every POST received, in order, as
// [{event, server, user, at, reason, delivery, valid, status}] (the body's
// fields, the Mcpauth-Delivery header, whether the signature and timestamp
// held, and the status answered).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRawServer, intFlag, listenAndServe, log, parseFlags, readBody, sendJson } from './common.mjs';

const values = parseFlags('webhook-receiver', {
    'secret-file': { type: 'string' },
    'fail-first': { type: 'string' }
});
let secret = '';
try {
    secret = readFileSync(values['secret-file'] ?? '', 'utf8').replace(/\r?\n$/, '');
} catch (err) {
    log(`--secret-file: the signing key could not be read (${err.message})`);
    process.exit(2);
}
if (!secret) {
    log('--secret-file: the file is empty');
    process.exit(2);
}
let failuresLeft = intFlag(values, 'fail-first', 0);
const received = [];

function verify(timestamp, signature, body) {
    if (!/^\d{1,12}$/.test(timestamp ?? '')) return false;
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
    const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    const given = Buffer.from(signature ?? '');
    return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
}

const server = createRawServer(async (req, res) => {
    const url = new URL(req.url, 'http://placeholder');
    if (req.method === 'GET' && url.pathname === '/events') return sendJson(res, 200, received);
    if (req.method !== 'POST' || url.pathname !== '/hook') return sendJson(res, 404, { error: 'not_found' });
    const body = await readBody(req, 64 * 1024);
    if (body.tooLarge) return sendJson(res, 413, { error: 'too_large' });
    let doc = {};
    try {
        doc = JSON.parse(body.text);
    } catch {
        // recorded with what it has
    }
    const valid = verify(req.headers['mcpauth-timestamp'], req.headers['mcpauth-signature'], body.text);
    const status = failuresLeft > 0 ? 500 : valid ? 204 : 401;
    if (failuresLeft > 0) failuresLeft -= 1;
    received.push({
        event: doc.event ?? null,
        server: doc.server ?? null,
        user: doc.user ?? null,
        at: doc.at ?? null,
        reason: doc.reason ?? null,
        delivery: req.headers['mcpauth-delivery'] ?? null,
        valid,
        status
    });
    log(`${doc.event} of ${doc.server}: signature ${valid ? 'good' : 'BAD'}, answered ${status}`);
    res.writeHead(status, { 'Content-Length': 0 });
    res.end();
});

listenAndServe(server, values);
