#!/usr/bin/env node
// A real MCP server on the SDK's legacy (2024-11-05) HTTP+SSE transport:
// GET /sse (or /mcp) opens the stream and gets an `endpoint` event; POST
// /messages?sessionId=... carries client messages. POST /sse and POST /mcp get
// --fallback-status (default 405) so a client's auto-detection falls back here.
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { intFlag, jsonRpcError, log, rejectUnlessHeader } from './common.mjs';
import { knownSession, parseMcpPeerFlags, serveMcpPeer } from './mcp-peer.mjs';
import { createMcpServer } from './tools.mjs';

const { values, serverOptions, required } = parseMcpPeerFlags('sse-server', {
    'endpoint-origin': { type: 'string' },
    'fallback-status': { type: 'string' }
});
const fallbackStatus = intFlag(values, 'fallback-status', 405);
const endpointOrigin = values['endpoint-origin']?.replace(/\/+$/, '');

// The SDK always sends a relative endpoint (it strips any origin). With
// --endpoint-origin we announce an absolute URL on another origin instead, to
// test the client's same-origin check.
class ForeignEndpointSSETransport extends SSEServerTransport {
    async start() {
        if (this._sseResponse) throw new Error('SSEServerTransport already started');
        this.res.writeHead(200, {
            'Content-Type': 'text/event-stream',
            'Cache-Control': 'no-cache, no-transform',
            Connection: 'keep-alive'
        });
        this.res.write(`event: endpoint\ndata: ${endpointOrigin}/messages?sessionId=${this.sessionId}\n\n`);
        this._sseResponse = this.res;
        this.res.on('close', () => {
            this._sseResponse = undefined;
            this.onclose?.();
        });
    }
}

const sessions = new Map(); // session id -> { transport, server }

async function openStream(req, res) {
    const Transport = endpointOrigin ? ForeignEndpointSSETransport : SSEServerTransport;
    const transport = new Transport('/messages', res);
    const server = createMcpServer(serverOptions);
    const sid = transport.sessionId;
    sessions.set(sid, { transport, server });
    transport.onclose = () => {
        if (sessions.delete(sid)) {
            log(`session ${sid} closed`);
            server.close().catch(() => {});
        }
    };
    await server.connect(transport); // start() writes the endpoint event
    log(`session ${sid} opened`);
}

async function handle(req, res) {
    if (rejectUnlessHeader(required, req, res)) return;
    const url = new URL(req.url, 'http://localhost');
    const path = url.pathname;

    if (path === '/sse' || path === '/mcp') {
        if (req.method === 'GET') return openStream(req, res);
        jsonRpcError(res, req.method === 'POST' ? fallbackStatus : 405, -32000, 'Method Not Allowed', null, {
            Allow: 'GET'
        });
        return;
    }
    if (path === '/messages') {
        if (req.method !== 'POST') {
            jsonRpcError(res, 405, -32000, 'Method Not Allowed', null, { Allow: 'POST' });
            return;
        }
        const sid = url.searchParams.get('sessionId');
        if (!sid) {
            jsonRpcError(res, 400, -32000, 'Bad Request: sessionId query parameter is required');
            return;
        }
        const entry = knownSession(sessions, sid, res);
        return entry?.transport.handlePostMessage(req, res);
    }
    jsonRpcError(res, 404, -32000, `Not Found: ${path}`);
}

serveMcpPeer(handle, values, async () => {
    await Promise.allSettled([...sessions.values()].map(({ transport }) => transport.close()));
});
