#!/usr/bin/env node
// A real MCP server on the SDK's StreamableHTTPServerTransport at /mcp.
// See README.md for flags; prints `LISTENING <port>` on stdout once ready.
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { intFlag, jsonRpcError, log, readBody, rejectUnlessHeader } from './common.mjs';
import { knownSession, parseMcpPeerFlags, serveMcpPeer } from './mcp-peer.mjs';
import { createMcpServer } from './tools.mjs';
import { InMemoryEventStore } from './event-store.mjs';

const { values, serverOptions, required } = parseMcpPeerFlags('streamable-server', {
    stateless: { type: 'boolean', default: false },
    'json-response': { type: 'boolean', default: false },
    'keepalive-ms': { type: 'string' },
    'retry-ms': { type: 'string' }
});

const stateless = values.stateless;
const transportOptions = {
    enableJsonResponse: values['json-response'],
    keepAliveMs: intFlag(values, 'keepalive-ms', 15000), // 0 disables ': keepalive' comments
    retryInterval: intFlag(values, 'retry-ms', undefined)
};

const sessions = new Map(); // session id -> { transport, server }
const live = new Set(); // every open { transport, server }, for shutdown

function isInitialize(body) {
    return Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body);
}

async function startSession(req, res, body) {
    const entry = {};
    const transport = new StreamableHTTPServerTransport({
        ...transportOptions,
        sessionIdGenerator: () => randomUUID(),
        eventStore: new InMemoryEventStore(),
        onsessioninitialized: sid => {
            sessions.set(sid, entry);
            log(`session ${sid} initialized`);
        },
        onsessionclosed: sid => log(`session ${sid} deleted by client`)
    });
    const server = createMcpServer(serverOptions);
    entry.transport = transport;
    entry.server = server;
    live.add(entry);
    transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
        live.delete(entry);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (!transport.sessionId) {
        // initialize was refused (bad headers, batch...): no session was made
        live.delete(entry);
        await server.close();
    }
}

async function statelessPost(req, res, body) {
    const transport = new StreamableHTTPServerTransport({ ...transportOptions, sessionIdGenerator: undefined });
    const server = createMcpServer(serverOptions);
    const entry = { transport, server };
    live.add(entry);
    res.on('close', () => {
        live.delete(entry);
        transport.close().catch(() => {});
        server.close().catch(() => {});
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
}

async function handle(req, res) {
    if (rejectUnlessHeader(required, req, res)) return;
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname !== '/mcp') {
        jsonRpcError(res, 404, -32000, `Not Found: ${url.pathname}`);
        return;
    }
    const sid = req.headers['mcp-session-id'];

    if (req.method === 'POST') {
        const read = await readBody(req);
        if (read.tooLarge) {
            jsonRpcError(res, 413, -32000, 'Payload Too Large');
            return;
        }
        let body;
        try {
            body = JSON.parse(read.text);
        } catch {
            jsonRpcError(res, 400, -32700, 'Parse error: Invalid JSON');
            return;
        }
        if (stateless) return statelessPost(req, res, body);
        if (sid !== undefined) {
            const entry = knownSession(sessions, sid, res);
            return entry?.transport.handleRequest(req, res, body);
        }
        if (isInitialize(body)) return startSession(req, res, body);
        jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
        return;
    }

    if (req.method === 'GET' || req.method === 'DELETE') {
        if (stateless) {
            // Stateless: no standalone stream and no session to delete.
            jsonRpcError(res, 405, -32000, 'Method Not Allowed', null, { Allow: 'POST' });
            return;
        }
        if (sid === undefined) {
            jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
            return;
        }
        const entry = knownSession(sessions, sid, res);
        return entry?.transport.handleRequest(req, res);
    }

    jsonRpcError(res, 405, -32000, 'Method Not Allowed', null, {
        Allow: stateless ? 'POST' : 'GET, POST, DELETE'
    });
}

log(
    `mode: ${stateless ? 'stateless' : 'stateful'}, ${values['json-response'] ? 'JSON' : 'SSE'} responses, ` +
        `page size ${serverOptions.pageSize || 'unlimited'}`
);
serveMcpPeer(handle, values, async () => {
    await Promise.allSettled([...live].map(({ transport }) => transport.close()));
});
