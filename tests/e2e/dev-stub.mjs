#!/usr/bin/env node
// A development stand-in for `mcpauth gateway`: serves the dashboard assets
// from src/gateway/assets (re-read on every request, so edits show on reload)
// and a fake JSON API following docs/gateway.md, with the same security
// checks (Host, Origin, X-CSRF-Token, optional API key) and a fake
// authorization server on the same port (/fake-as/consent: Approve or Deny).
// No real MCP traffic, no tokens. For working on the dashboard only; the e2e
// test runs against the real binary.
//
//   node dev-stub.mjs [--port N] [--api-key KEY]
//
// Prints `LISTENING <port>` on stdout. Probe URLs decide the answer by their
// text: containing "static" → static_token, "client" → oauth_client_id,
// "open" → nothing, anything else → oauth.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, 'api-key': { type: 'string' } } });
const ASSETS = new URL('../../src/gateway/assets/', import.meta.url);
const csrf = randomBytes(16).toString('hex');
const TOOLS = [
    { name: 'echo', description: 'Echoes its text back' },
    { name: 'add', description: 'Adds two numbers' },
    { name: 'fail', description: '<img src=x onerror=alert(1)> always fails (untrusted text)' }
];
let port = 0;
const servers = new Map([
    ['open-demo', row('open-demo', 'http://127.0.0.1:1/mcp', { auth: 'none', state: 'ready', tools: TOOLS.length })],
    ['<b>weird</b>', row('<b>weird</b>', 'http://127.0.0.1:2/mcp', { state: 'error', last_error: '<script>alert(1)</script> connection refused' })]
]);
const flows = new Map(); // state -> {name, added}
const listeners = new Set();

function row(name, url, extra = {}) {
    return {
        name, url, account: null, transport: 'streamable-http', auth: 'oauth', state: 'needs_authorization',
        expires_at: null, issuer: null, scopes: null, client_type: null, tools: null, last_error: null,
        authorization_url: null, ...extra
    };
}

function snapshot() {
    return { servers: [...servers.values()] };
}

function changed() {
    const data = `event: state\ndata: ${JSON.stringify(snapshot())}\n\n`;
    for (const response of listeners) response.write(data);
}

function send(response, status, body, headers = {}) {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    response.end(JSON.stringify(body));
}

function fail(response, status, code, message) {
    send(response, status, { error: { code, message } });
}

function authorizeStart(name, added) {
    const state = randomBytes(12).toString('hex');
    flows.set(state, { name, added });
    const server = servers.get(name);
    server.state = 'authorizing';
    server.authorization_url = `http://127.0.0.1:${port}/fake-as/consent?state=${state}`;
    changed();
    return { authorization_url: server.authorization_url };
}

function grant(server) {
    Object.assign(server, {
        state: 'authorized', expires_at: Math.floor(Date.now() / 1000) + 3600, issuer: `http://127.0.0.1:${port}/fake-as`,
        scopes: 'mcp:tools', client_type: 'dynamic', tools: TOOLS.length, last_error: null, authorization_url: null
    });
}

function revoke(server) {
    Object.assign(server, { state: 'needs_authorization', expires_at: null, scopes: null, tools: null, authorization_url: null });
}

async function readJson(request) {
    let text = '';
    for await (const chunk of request) text += chunk;
    return text ? JSON.parse(text) : {};
}

const page = (title, body) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, `http://127.0.0.1:${port}`);
    const own = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!own.includes(request.headers.host)) return fail(response, 421, 'misdirected', 'bad Host');
    if (request.headers.origin !== undefined && !own.map(h => `http://${h}`).includes(request.headers.origin)) {
        return fail(response, 403, 'forbidden', 'bad Origin');
    }
    // Like src/gateway/embed_assets.cmake: dashboard.html at "/", every other file at "/<name>".
    const asset = url.pathname === '/' ? 'dashboard.html' : url.pathname.slice(1);
    if (request.method === 'GET' && /^[a-z0-9-]+\.(html|js|css|svg|ico)$/.test(asset) && existsSync(new URL(asset, ASSETS))) {
        const type = { html: 'text/html', js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml', ico: 'image/x-icon' }[asset.split('.').pop()];
        response.writeHead(200, {
            'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store',
            'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'", 'X-Content-Type-Options': 'nosniff'
        });
        return response.end(readFileSync(new URL(asset, ASSETS)));
    }
    if (url.pathname === '/fake-as/consent') {
        const flow = flows.get(url.searchParams.get('state'));
        if (!flow) return fail(response, 400, 'invalid_request', 'unknown state');
        response.writeHead(200, { 'Content-Type': 'text/html' });
        const state = url.searchParams.get('state');
        return response.end(page('Fake consent', `<h1>Allow the gateway to use ${flow.name.replace(/[<&>"]/g, '')}?</h1>
<a href="/oauth/callback?code=x&state=${state}">Approve</a> <a href="/oauth/callback?error=access_denied&state=${state}">Deny</a>`));
    }
    if (url.pathname === '/oauth/callback') {
        const state = url.searchParams.get('state');
        const flow = flows.get(state);
        flows.delete(state);
        if (!flow || !servers.has(flow.name)) return fail(response, 400, 'invalid_request', 'unknown or used state');
        const target = servers.get(flow.name);
        if (url.searchParams.get('error')) {
            if (flow.added) servers.delete(flow.name);
            else Object.assign(target, { state: 'error', last_error: 'access_denied', authorization_url: null });
        } else grant(target);
        changed();
        response.writeHead(200, { 'Content-Type': 'text/html' });
        return response.end(page('mcpauth', url.searchParams.get('error') ? 'Authorization refused.' : 'Authorized — you can close this tab'));
    }
    if (!url.pathname.startsWith('/api/')) return fail(response, 404, 'not_found', 'no such path');
    if (values['api-key'] !== undefined && request.headers.authorization !== `Bearer ${values['api-key']}`) {
        return fail(response, 401, 'unauthorized', 'API key required');
    }
    if (request.method !== 'GET' && request.headers['x-csrf-token'] !== csrf) return fail(response, 403, 'forbidden', 'bad CSRF token');
    try {
        if (request.method === 'GET' && url.pathname === '/api/state') return send(response, 200, { csrf, ...snapshot() });
        if (request.method === 'GET' && url.pathname === '/api/events') {
            response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
            response.write(`event: state\ndata: ${JSON.stringify(snapshot())}\n\n`);
            listeners.add(response);
            request.on('close', () => listeners.delete(response));
            return undefined;
        }
        if (request.method === 'POST' && url.pathname === '/api/probe') {
            const { url: target } = await readJson(request);
            const needs = /static/.test(target) ? 'static_token' : /client/.test(target) ? 'oauth_client_id'
                : /open/.test(target) ? 'none' : 'oauth';
            return send(response, 200, {
                needs, message: `stub: ${needs}`, transport: 'streamable-http',
                ...(needs.startsWith('oauth') ? { issuer: 'http://127.0.0.1/fake-as', scopes: 'mcp:tools' } : {})
            });
        }
        if (request.method === 'POST' && url.pathname === '/api/servers') {
            const body = await readJson(request);
            if (!body.name || !body.url) return fail(response, 400, 'usage', 'name and url are required');
            if (servers.has(body.name)) return fail(response, 409, 'usage', `a server named ${body.name} exists`);
            const auth = body.headers ? 'static' : /open/.test(body.url) ? 'none' : 'oauth';
            servers.set(body.name, row(body.name, body.url, auth === 'oauth' ? {} : { auth, state: 'ready', tools: TOOLS.length }));
            changed();
            if (body.authorize) return send(response, 200, authorizeStart(body.name, true));
            return send(response, 200, {});
        }
        const match = /^\/api\/servers\/([^/]+)(\/[a-z]+)?$/.exec(url.pathname);
        const target = match && servers.get(decodeURIComponent(match[1]));
        if (!target) return fail(response, 404, 'usage', 'no such server');
        const action = `${request.method} ${match[2] ?? ''}`;
        if (action === 'GET /tools') {
            if (target.state !== 'authorized' && target.state !== 'ready') return fail(response, 409, 'authorization_required', 'authorize it first');
            return send(response, 200, { tools: TOOLS });
        }
        if (action === 'POST /authorize') {
            if (url.searchParams.get('reauthorize') === '1') revoke(target);
            else if (target.state === 'authorized') return send(response, 200, { authorized: true });
            return send(response, 200, authorizeStart(target.name, false));
        }
        if (action === 'POST /logout') {
            revoke(target);
            changed();
            return send(response, 200, {});
        }
        if (action === 'POST /reconnect') return send(response, 200, {});
        if (action === 'DELETE ') {
            servers.delete(target.name);
            changed();
            return send(response, 200, {});
        }
        return fail(response, 405, 'usage', 'no such action');
    } catch (error) {
        return fail(response, 400, 'usage', String(error.message));
    }
});

server.listen(Number(values.port), '127.0.0.1', () => {
    port = server.address().port;
    process.stdout.write(`LISTENING ${port}\n`);
});
