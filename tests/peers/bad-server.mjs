#!/usr/bin/env node
// A deliberately broken "MCP server" on raw node:http (no SDK). --mode picks
// how every POST is answered; with --after-initialize, `initialize` and
// notifications get proper answers first and only later requests misbehave.
// GET and DELETE: 405. --mode web-page is a web site, not an MCP server: every
// request of any method gets a 404 HTML page.
import { createRawServer, intFlag, listenAndServe, log, parseFlags, readBody, sendJson } from './common.mjs';

const MODES = [
    'malformed-json',
    'truncated-sse',
    'oversized-event',
    'wrong-content-type',
    'slow',
    'status-500',
    'not-json-rpc',
    'error-response',
    'web-page'
];
const KNOWN_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
const LATEST = '2025-11-25';

const values = parseFlags('bad-server', {
    mode: { type: 'string' },
    'after-initialize': { type: 'boolean', default: false },
    'event-bytes': { type: 'string' }
});
if (!MODES.includes(values.mode)) {
    log(`--mode must be one of: ${MODES.join(', ')}`);
    process.exit(2);
}
const mode = values.mode;
const eventBytes = intFlag(values, 'event-bytes', 64 * 1024 * 1024);

function parse(text) {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

function initializeResult(msg) {
    const asked = msg.params?.protocolVersion;
    return {
        jsonrpc: '2.0',
        id: msg.id,
        result: {
            protocolVersion: KNOWN_VERSIONS.includes(asked) ? asked : LATEST,
            capabilities: { tools: {} },
            serverInfo: { name: 'mcpauth-bad-server', version: '1.0.0' }
        }
    };
}

// Writes `total` bytes of 'x' in chunks, waiting for 'drain'; stops early if
// the client goes away. Resolves true if everything was written.
async function writeFiller(res, total) {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let left = total;
    while (left > 0) {
        if (res.destroyed || res.writableEnded) return false;
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!res.write(piece)) {
            const ok = await new Promise(resolve => {
                const onDrain = () => done(true);
                const onClose = () => done(false);
                const done = v => {
                    res.off('drain', onDrain);
                    res.off('close', onClose);
                    resolve(v);
                };
                res.on('drain', onDrain);
                res.on('close', onClose);
            });
            if (!ok) return false;
        }
    }
    return true;
}

async function misbehave(req, res, body) {
    const id = Array.isArray(body) ? (body[0]?.id ?? null) : (body?.id ?? null);
    switch (mode) {
        case 'malformed-json': {
            const text = '{"jsonrpc":"2.0","id":';
            res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
            res.end(text);
            return;
        }
        case 'truncated-sse':
            res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
            res.end('event: message\ndata: {"jsonrpc":"2.0","id":1,"res');
            return;
        case 'oversized-event': {
            res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
            // The data line's payload (after "data: ") is exactly --event-bytes long.
            const prefix = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`;
            const suffix = '"}]}}';
            res.write(`event: message\ndata: ${prefix}`);
            const started = Date.now();
            const complete = await writeFiller(res, Math.max(0, eventBytes - prefix.length - suffix.length));
            if (complete) res.end(`${suffix}\n\n`);
            log(`oversized-event: ${complete ? 'sent' : 'client went away during'} ${eventBytes} bytes in ${Date.now() - started} ms`);
            return;
        }
        case 'wrong-content-type': {
            const text = '<html>hello</html>';
            res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(text) });
            res.end(text);
            return;
        }
        case 'slow':
            // Never answer; the socket stays open until the client gives up.
            req.socket.setTimeout(0);
            res.on('close', () => log('slow: client went away'));
            return;
        case 'status-500': {
            const text = 'internal server error (bad-server status-500 mode)\n';
            res.writeHead(500, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
            res.end(text);
            return;
        }
        case 'not-json-rpc':
            sendJson(res, 200, { hello: 'world' });
            return;
        case 'error-response': {
            const err = m => ({ jsonrpc: '2.0', id: m?.id ?? null, error: { code: -32601, message: 'Method not found' } });
            if (Array.isArray(body)) {
                const requests = body.filter(m => m && m.id !== undefined);
                if (requests.length === 0) return accepted(res);
                sendJson(res, 200, requests.map(err));
            } else if (body && typeof body === 'object' && body.id === undefined && body.method) {
                accepted(res); // a notification: nothing to answer
            } else {
                sendJson(res, 200, err(body));
            }
            return;
        }
    }
}

function accepted(res) {
    res.writeHead(202, { 'Content-Length': 0 });
    res.end();
}

async function handle(req, res) {
    if (mode === 'web-page') {
        const page = '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n';
        log(`mode web-page: ${req.method} ${req.url}`);
        res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
        res.end(page);
        return;
    }
    if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' });
        res.end('Method Not Allowed\n');
        return;
    }
    const read = await readBody(req);
    const body = read.tooLarge ? undefined : parse(read.text);
    if (values['after-initialize'] && body && !Array.isArray(body)) {
        if (body.method === 'initialize' && body.id !== undefined) {
            sendJson(res, 200, initializeResult(body));
            return;
        }
        if (body.method?.startsWith('notifications/') && body.id === undefined) {
            accepted(res);
            return;
        }
    }
    log(`mode ${mode}: ${body?.method ?? 'POST'}`);
    await misbehave(req, res, body);
}

const httpServer = createRawServer(handle);

log(`mode ${mode}${values['after-initialize'] ? ' (after initialize)' : ''}`);
listenAndServe(httpServer, values);
