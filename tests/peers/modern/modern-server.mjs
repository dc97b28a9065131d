#!/usr/bin/env node
// MCP 2026-07-28 ("modern", stateless) peer for mcpauth's integration tests,
// built on @modelcontextprotocol/server 2.4.0's createMcpHandler at /mcp.
//
//   node modern-server.mjs [--port N] [--modern-only] [--response-mode auto|sse|json] [--ignore-stdin]
//
// Default: dual-era. Requests carrying the `_meta` envelope are served as
// 2026-07-28; envelope-less (2025-era) POSTs, including `initialize`, are served
// by the SDK's stateless legacy fallback (fresh server per POST, no session id;
// GET/DELETE answer 405). --modern-only passes `legacy: 'reject'`: legacy
// requests get HTTP 400 / -32022 with data.supported = ["2026-07-28"].
// Prints `LISTENING <port>` on stdout once listening; exits on SIGTERM/SIGINT
// and when stdin closes (unless --ignore-stdin). Bad flags exit 2.
// Diagnostics go to stderr only.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { McpServer, acceptedContent, createMcpHandler, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';

// stdout carries exactly one line, `LISTENING <port>`.
console.log = console.error;
console.info = console.error;
const log = msg => process.stderr.write(`[modern-server] ${msg}\n`);

let values;
try {
    ({ values } = parseArgs({
        strict: true,
        allowPositionals: false,
        options: {
            port: { type: 'string', default: '0' },
            'modern-only': { type: 'boolean', default: false },
            'response-mode': { type: 'string', default: 'auto' },
            'ignore-stdin': { type: 'boolean', default: false }
        }
    }));
    if (!['auto', 'sse', 'json'].includes(values['response-mode'])) throw new Error('--response-mode must be auto|sse|json');
    if (!/^\d+$/.test(values.port)) throw new Error('--port must be a number');
} catch (err) {
    log(`bad arguments: ${err.message}`);
    process.exit(2);
}

// Shared by the per-request server instances (createMcpHandler makes one per request).
const cancelledWaits = { count: 0, waiters: [] };

function createServer() {
    const server = new McpServer(
        { name: 'mcpauth-modern-peer', version: '1.0.0' },
        { capabilities: { tools: { listChanged: true } }, instructions: 'mcpauth modern test peer' }
    );
    const text = t => ({ content: [{ type: 'text', text: t }] });
    server.registerTool('echo', { description: 'Echo text', inputSchema: { text: z.string() } }, ({ text: t }) => text(t));
    server.registerTool('add', { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) =>
        text(String(a + b))
    );
    server.registerTool('big', { description: 'Text of exactly `bytes` x characters', inputSchema: { bytes: z.number().int().min(0) } }, ({ bytes }) =>
        text('x'.repeat(bytes))
    );
    server.registerTool(
        'progress',
        { description: 'Send `steps` progress notifications, then "done <steps>"', inputSchema: { steps: z.number().int().min(0) } },
        async ({ steps }, ctx) => {
            const token = ctx.mcpReq._meta?.progressToken;
            for (let i = 1; i <= steps; i++) {
                if (token !== undefined) {
                    await ctx.mcpReq.notify({
                        method: 'notifications/progress',
                        params: { progressToken: token, progress: i, total: steps, message: `step ${i}` }
                    });
                }
                await new Promise(r => setTimeout(r, 10));
            }
            return text(`done ${steps}`);
        }
    );
    // subscriptions/listen (2026-07-28): every open listen stream that asked
    // for toolsListChanged gets notifications/tools/list_changed.
    server.registerTool('touch-tools', { description: 'Announces a change of the tool list', inputSchema: {} }, () => {
        handler.notify.toolsChanged();
        return text('touched');
    });
    // Waits until the request is cancelled (its response stream closed), at
    // most `ms` milliseconds (with a progressToken, progress 0 first); `cancelled-waits` tells how many were cancelled.
    server.registerTool('wait', { description: 'Waits until cancelled (at most ms)', inputSchema: { ms: z.number().int().min(0) } }, async ({ ms }, ctx) => {
        const signal = ctx.mcpReq.signal;
        // Progress 0 tells the client that the call is under way (so a test cancels it then).
        const token = ctx.mcpReq._meta?.progressToken;
        if (token !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 0 } });
        const cancelled = await new Promise(resolve => {
            const timer = setTimeout(() => resolve(false), ms);
            signal.addEventListener('abort', () => {
                clearTimeout(timer);
                resolve(true);
            }, { once: true });
        });
        if (cancelled) {
            cancelledWaits.count++;
            for (const wake of cancelledWaits.waiters.splice(0)) wake();
        }
        return text(cancelled ? 'cancelled' : `waited ${ms}`);
    });
    // The number of `wait` calls cancelled so far, once it is at least
    // `atLeast` (or after 10 s): a test waits on the server's side of a cancellation.
    server.registerTool('cancelled-waits', { description: 'How many waits were cancelled', inputSchema: { atLeast: z.number().int().min(0) } }, async ({ atLeast }) => {
        const deadline = Date.now() + 10000;
        while (cancelledWaits.count < atLeast && Date.now() < deadline) {
            await new Promise(resolve => {
                const timer = setTimeout(resolve, deadline - Date.now());
                cancelledWaits.waiters.push(() => {
                    clearTimeout(timer);
                    resolve();
                });
            });
        }
        return text(`cancelled ${cancelledWaits.count}`);
    });
    // SEP-2322 with sampling: asks the client's model, then answers with its text.
    server.registerTool('sample', { description: 'Asks the client to sample, then returns the text', inputSchema: { prompt: z.string() } }, ({ prompt }, ctx) => {
        const responses = ctx.mcpReq.inputResponses ?? {};
        const answer = inputResponse(responses, 'completion');
        if (answer.kind === 'missing') {
            return inputRequired({
                inputRequests: {
                    completion: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 50 })
                }
            });
        }
        if (answer.kind !== 'sampling') return text(`unexpected answer (${answer.kind})`);
        return text(`sampled: ${answer.result.content?.text}`);
    });
    // SEP-2322 multi round-trip (2026-07-28): asks for a name (elicitation,
    // with a requestState), then for the client's roots (no state), then greets
    // with both. Test state only: a real server would integrity-protect it.
    server.registerTool('greet', { description: 'Asks for a name, then the roots, then greets', inputSchema: {} }, (_args, ctx) => {
        const responses = ctx.mcpReq.inputResponses ?? {};
        const state = ctx.mcpReq.requestState();
        if (state === undefined && Object.keys(responses).length === 0) {
            const requestedSchema = { type: 'object', properties: { name: { type: 'string' } } };
            return inputRequired({
                inputRequests: { who: inputRequired.elicit({ message: 'Your name?', requestedSchema }) },
                requestState: 'asked-name'
            });
        }
        if (state === 'asked-name') {
            const name = acceptedContent(responses, 'who')?.name;
            if (typeof name !== 'string') return text('no name given');
            return inputRequired({ inputRequests: { [`roots-of-${name}`]: inputRequired.listRoots() } });
        }
        const key = Object.keys(responses).find(k => k.startsWith('roots-of-'));
        const roots = key ? inputResponse(responses, key) : { kind: 'missing' };
        if (state !== undefined || roots.kind !== 'roots') return text(`unexpected round (state ${state}, ${roots.kind})`);
        return text(`hello ${key.slice('roots-of-'.length)} in ${roots.roots.map(r => r.uri).join(',')}`);
    });
    return server;
}

const handler = createMcpHandler(() => createServer(), {
    legacy: values['modern-only'] ? 'reject' : 'stateless',
    responseMode: values['response-mode'],
    onerror: e => log(`onerror: ${e.message}`)
});

// Minimal node:http <-> fetch Request/Response bridge.
async function serve(req, res) {
    const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
    if (url.pathname !== '/mcp') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
    }
    const abort = new AbortController();
    res.on('close', () => {
        if (!res.writableFinished) abort.abort();
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
        if (Array.isArray(v)) for (const x of v) headers.append(k, x);
        else if (v !== undefined) headers.set(k, v);
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? Buffer.concat(chunks) : undefined,
        signal: abort.signal
    });
    const response = await handler.fetch(request);
    log(`${req.method} ${req.headers['mcp-method'] ?? '-'} -> ${response.status} ${response.headers.get('content-type') ?? ''}`);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body === null) {
        res.end();
        return;
    }
    res.flushHeaders();
    try {
        for await (const chunk of response.body) res.write(chunk);
    } catch (e) {
        log(`stream error: ${e.message}`);
    }
    res.end();
}

const httpServer = http.createServer((req, res) => {
    serve(req, res).catch(e => {
        log(`internal: ${e.stack ?? e}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
    });
});

let stopping = false;
function shutdown(why) {
    if (stopping) return;
    stopping = true;
    log(`shutting down (${why})`);
    handler.close().catch(() => {});
    httpServer.close(() => process.exit(0));
    httpServer.closeAllConnections?.();
    setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (!values['ignore-stdin']) {
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    process.stdin.resume();
}

httpServer.listen(Number(values.port), '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});
