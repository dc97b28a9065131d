// Shared plumbing for the test peers: flags, the LISTENING contract, logging
// to stderr only, and lifetime (SIGTERM / stdin closed -> clean exit).
import http from 'node:http';
import { webcrypto } from 'node:crypto';
import { parseArgs } from 'node:util';

// Node 18 (Debian 12's nodejs, what `setup.sh --user` installs) has Web
// Crypto only as node:crypto's webcrypto, not as the global `crypto` the MCP
// SDK's Streamable HTTP transport calls at request time (crypto.randomUUID).
if (!globalThis.crypto) globalThis.crypto = webcrypto;

// stdout carries exactly one line, `LISTENING <port>`. Anything the SDK or we
// log goes to stderr, so console.log must not reach stdout.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

let logName = 'peer';

export function log(...args) {
    console.error(`[${logName}]`, ...args);
}

// Parses argv with node:util parseArgs (strict: unknown flags exit with 2).
// `options` uses parseArgs' format; --port, --host and --ignore-stdin are added.
export function parseFlags(name, options) {
    logName = name;
    try {
        const { values } = parseArgs({
            args: process.argv.slice(2),
            options: {
                port: { type: 'string', default: '0' },
                host: { type: 'string', default: '127.0.0.1' },
                'ignore-stdin': { type: 'boolean', default: false },
                ...options
            },
            strict: true,
            allowPositionals: false
        });
        return values;
    } catch (err) {
        log(`bad arguments: ${err.message}`);
        process.exit(2);
    }
}

export function intFlag(values, name, fallback) {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
        log(`--${name} must be a non-negative integer, got ${raw}`);
        process.exit(2);
    }
    return n;
}

// Parses `--require-header "Name: value"` into a checker, or null.
export function headerRequirement(spec) {
    if (spec === undefined) return null;
    const colon = spec.indexOf(':');
    if (colon <= 0) {
        log(`--require-header must look like "Name: value", got ${spec}`);
        process.exit(2);
    }
    const name = spec.slice(0, colon).trim().toLowerCase();
    const value = spec.slice(colon + 1).trim();
    return {
        name,
        value,
        // true if the request carries the header with exactly this value
        ok(req) {
            const got = req.headers[name];
            return got === value;
        }
    };
}

export function sendJson(res, status, body, headers = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        ...headers
    });
    res.end(text);
}

export function jsonRpcError(res, status, code, message, id = null, headers = {}) {
    sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id }, headers);
}

// Answers 401 with a JSON body when a --require-header is set and missing.
// Returns true if the request was rejected.
export function rejectUnlessHeader(requirement, req, res) {
    if (!requirement || requirement.ok(req)) return false;
    sendJson(res, 401, {
        error: 'unauthorized',
        error_description: `missing or wrong header ${requirement.name}`
    });
    return true;
}

// Reads a request body up to `limit` bytes. Resolves { text } or { tooLarge }.
export function readBody(req, limit = 4 * 1024 * 1024) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let size = 0;
        let done = false;
        req.on('data', chunk => {
            if (done) return;
            size += chunk.length;
            if (size > limit) {
                done = true;
                resolve({ tooLarge: true });
                req.resume();
                return;
            }
            chunks.push(chunk);
        });
        req.on('end', () => {
            if (!done) {
                done = true;
                resolve({ text: Buffer.concat(chunks).toString('utf8') });
            }
        });
        req.on('error', err => {
            if (!done) {
                done = true;
                reject(err);
            }
        });
    });
}

// An http.Server for a peer's async `handle(req, res)`: a handler that throws
// gets `answerFailure(res)` (an empty 500 unless given), or its connection
// dropped once its answer has begun.
export function createRawServer(handle, answerFailure = res => res.writeHead(500).end()) {
    return http.createServer((req, res) => {
        handle(req, res).catch(err => {
            log('error handling request:', err?.stack ?? err);
            if (!res.headersSent) answerFailure(res);
            else res.destroy();
        });
    });
}

// Starts listening, prints `LISTENING <port>` once, and wires the exits:
// SIGTERM/SIGINT, and stdin end/close (unless --ignore-stdin). `onShutdown`
// may close transports; the process exits 0 shortly after regardless.
export function listenAndServe(httpServer, values, onShutdown = async () => {}) {
    const port = intFlag(values, 'port', 0);
    // Long-lived SSE streams and slow peers: no server-side timeouts.
    httpServer.requestTimeout = 0;
    httpServer.headersTimeout = 0;
    httpServer.timeout = 0;

    let shuttingDown = false;
    const shutdown = why => {
        if (shuttingDown) return;
        shuttingDown = true;
        log(`shutting down (${why})`);
        const force = setTimeout(() => process.exit(0), 1000);
        force.unref();
        Promise.resolve()
            .then(() => onShutdown())
            .catch(err => log('error during shutdown:', err))
            .finally(() => {
                httpServer.close(() => process.exit(0));
                httpServer.closeAllConnections?.();
            });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    if (!values['ignore-stdin']) {
        process.stdin.on('end', () => shutdown('stdin closed'));
        process.stdin.on('close', () => shutdown('stdin closed'));
        process.stdin.on('error', () => shutdown('stdin error'));
        process.stdin.resume(); // discard whatever a test writes
    }
    process.stdout.on('error', () => {}); // parent went away: stdin will tell us

    httpServer.on('error', err => {
        log('server error:', err.message);
        process.exit(1);
    });
    httpServer.listen(port, values.host, () => {
        const actual = httpServer.address().port;
        // stdout to a pipe or file is synchronous on Linux: this is flushed.
        process.stdout.write(`LISTENING ${actual}\n`);
        log(`listening on http://${values.host}:${actual}`);
    });
    return shutdown;
}
