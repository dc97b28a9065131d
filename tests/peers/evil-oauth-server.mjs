#!/usr/bin/env node
// An OAuth-protected MCP server whose authorization server misbehaves on
// purpose, for the client's negative tests. Raw node:http, no SDK.
//
// One process, two listeners on 127.0.0.1 (two origins):
//   - the resource server (RS), whose port is the one printed as
//     `LISTENING <port>`: Protected Resource Metadata, /mcp (a tiny JSON-RPC
//     responder: initialize, ping, tools/list, tools/call echo) guarded by a
//     Bearer token, and GET /__log;
//   - the authorization server (AS): RFC 8414 metadata, /register (DCR),
//     /authorize (approves at once: 302 to redirect_uri), /token (checks the
//     code, redirect_uri and the PKCE S256 verifier).
//
// Every request to either listener except GET /__log is recorded as
// {server: "rs"|"as", method, path, query, authorization} (authorization:
// the Authorization header's value, or null) and GET /__log on the RS port
// answers the list as JSON.
//
// --mode (default `good`, which behaves):
//   wrong-state          the redirect carries another state
//   missing-state        the redirect carries no state
//   wrong-iss            metadata promises iss; the redirect has iss=http://evil.example
//   missing-iss          metadata promises iss; the redirect has none
//   issuer-mismatch      AS metadata names an issuer other than the PRM's authorization server
//   prm-other-origin     the PRM's resource is on another origin
//   no-s256              code_challenge_methods_supported: ["plain"]
//   no-pkce-field        code_challenge_methods_supported absent
//   http-as              the PRM names http://as.example.com (never served)
//   javascript-authorize authorization_endpoint is "javascript:alert(1)"
//   token-error          /token: 400 {"error":"invalid_grant","error_description":"nope"}
//   token-200-error      /token: 200 {"error":"access_denied"}
//   fresh-token-401      tokens are issued, but the RS answers 401 to every one of them
//   token-not-bearer     /token issues token_type "mac"
//   forget-client-once   the first code exchange forgets the client that made it and
//                        answers 401 invalid_client (a registration the AS dropped);
//                        later ones behave
//   token-503-once       the first /token answers 503 with Retry-After: 1 (the code
//                        stays valid); later ones behave
//   token-429-once       the same with 429 Too Many Requests
//   no-registration      the AS metadata has no registration_endpoint (a client id is needed)
//   refresh-needs-scope  tokens come with a refresh token; the first access token is
//                        refused (401 invalid_token) on tools/call; a refresh is refused
//                        (400 invalid_scope) unless it repeats the granted scope
//   refresh-revoked      the first access token is refused on tools/call as above and
//                        every refresh answers 400 invalid_grant (a revoked grant)
//   cimd-only            Client ID Metadata Documents only (no registration_endpoint):
//                        /authorize takes an https client_id whose document (as its
//                        vendor publishes it once) lists the redirect URI
//                        http://127.0.0.1/callback, any port (RFC 8252 §7.3)
//   cimd-fetch           advertises Client ID Metadata Documents next to DCR; /authorize
//                        with a URL client_id (https, or http on 127.0.0.1/localhost for
//                        tests) fetches it (no redirects, 5 KB at most) and approves only
//                        when the document's client_id is that URL, it lists the
//                        redirect_uri, has a client_name and is a public client
//                        (token_endpoint_auth_method none); the log entry of that
//                        /authorize carries `cimd`: {ok, reason}
//   slow-metadata        every metadata document (PRM and AS) is answered after 2.5 s,
//                        as a loaded or distant server does; everything else behaves
//   no-prm               no Protected Resource Metadata (404 at the well-known URLs) and
//                        a challenge without resource_metadata: OAuth metadata nowhere
//
// POST /token entries in the log also carry the form's `grant_type` and
// `scope` (null when absent); POST /register entries the registered
// `redirect_uris`.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { listenAndServe, log, parseFlags, readBody, sendJson } from './common.mjs';

const MODES = [
    'good',
    'slow-metadata',
    'wrong-state',
    'missing-state',
    'wrong-iss',
    'missing-iss',
    'issuer-mismatch',
    'prm-other-origin',
    'no-s256',
    'no-pkce-field',
    'http-as',
    'javascript-authorize',
    'token-error',
    'token-200-error',
    'fresh-token-401',
    'token-not-bearer',
    'forget-client-once',
    'token-503-once',
    'token-429-once',
    'no-registration',
    'refresh-needs-scope',
    'refresh-revoked',
    'cimd-only',
    'cimd-fetch',
    'no-prm'
];
const REFRESH_MODES = ['refresh-needs-scope', 'refresh-revoked'];

const values = parseFlags('evil-oauth-server', { mode: { type: 'string', default: 'good' } });
const mode = values.mode;
let forgotClient = false; // forget-client-once: whether the client was forgotten already
let hiccuped = false; // token-503-once, token-429-once: whether /token failed already
let firstToken = null; // refresh modes: the first access token issued (refused on tools/call)
const refreshTokens = new Set();
if (!MODES.includes(mode)) {
    log(`unknown --mode ${mode}; one of ${MODES.join(', ')}`);
    process.exit(2);
}

const SCOPE = 'mcp:tools';
const requests = [];
const clients = new Map(); // client_id -> redirect_uris
const codes = new Map(); // code -> {client_id, redirect_uri, code_challenge}
const tokens = new Set(); // access tokens the RS accepts

const asHttp = http.createServer();
const rsHttp = http.createServer();
await new Promise(resolve => asHttp.listen(0, values.host, resolve));
const asOrigin = `http://${values.host}:${asHttp.address().port}`;
let rsOrigin = ''; // set once the RS listens

function record(server, req, url) {
    req.logEntry = {
        server,
        method: req.method,
        path: url.pathname,
        query: url.search,
        authorization: req.headers.authorization ?? null
    };
    requests.push(req.logEntry);
}

// The redirect URIs of the published client metadata document: loopback
// redirects match whatever the port (RFC 8252 §7.3).
const CIMD_REDIRECT_URIS = ['http://127.0.0.1/callback'];
function cimdAllows(redirectUri) {
    try {
        const u = new URL(redirectUri);
        if (u.hostname === '127.0.0.1') u.port = '';
        return CIMD_REDIRECT_URIS.includes(u.toString());
    } catch {
        return false;
    }
}

// cimd-fetch: the client's document, fetched as an authorization server
// does (draft-ietf-oauth-client-id-metadata-document): no redirects, a small
// body, and the checks the specification asks for. Returns
// {ok, reason, redirectUris}.
function urlClientId(clientId) {
    try {
        const u = new URL(clientId);
        return u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(u.hostname));
    } catch {
        return false;
    }
}

async function fetchClientMetadata(clientId, redirectUri) {
    let response;
    try {
        response = await fetch(clientId, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
    } catch (err) {
        return { ok: false, reason: `the document could not be fetched: ${err.message}` };
    }
    if (response.status !== 200) return { ok: false, reason: `the document answered ${response.status}` };
    const text = await response.text();
    if (text.length > 5 * 1024) return { ok: false, reason: 'the document is over 5 KB' };
    let doc;
    try {
        doc = JSON.parse(text);
    } catch {
        return { ok: false, reason: 'the document is not JSON' };
    }
    if (doc.client_id !== clientId) return { ok: false, reason: `client_id ${doc.client_id} is not the document URL` };
    if (!Array.isArray(doc.redirect_uris) || !doc.redirect_uris.includes(redirectUri)) {
        return { ok: false, reason: `redirect_uri ${redirectUri} is not in the document` };
    }
    if (typeof doc.client_name !== 'string' || !doc.client_name) return { ok: false, reason: 'no client_name' };
    if (doc.token_endpoint_auth_method !== 'none' || 'client_secret' in doc) {
        return { ok: false, reason: 'not a public client' };
    }
    return { ok: true, reason: null, redirectUris: doc.redirect_uris };
}

function randomId() {
    return randomBytes(24).toString('base64url');
}

// ---------------------------------------------------------------- the AS

function issuerInPrm() {
    return mode === 'http-as' ? 'http://as.example.com' : asOrigin;
}

function asMetadata() {
    const metadata = {
        issuer: mode === 'issuer-mismatch' ? `${asOrigin}/someone-else` : asOrigin,
        authorization_endpoint: mode === 'javascript-authorize' ? 'javascript:alert(1)' : `${asOrigin}/authorize`,
        token_endpoint: `${asOrigin}/token`,
        registration_endpoint: `${asOrigin}/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['none'],
        scopes_supported: [SCOPE],
        code_challenge_methods_supported: mode === 'no-s256' ? ['plain'] : ['S256'],
        authorization_response_iss_parameter_supported: true
    };
    if (mode === 'no-pkce-field') delete metadata.code_challenge_methods_supported;
    if (mode === 'no-registration' || mode === 'cimd-only') delete metadata.registration_endpoint;
    if (mode === 'cimd-only' || mode === 'cimd-fetch') metadata.client_id_metadata_document_supported = true;
    return metadata;
}

// slow-metadata: the answer comes late, without blocking the other requests.
function slowIfAsked() {
    return mode === 'slow-metadata' ? new Promise(resolve => setTimeout(resolve, 2500)) : Promise.resolve();
}

async function handleAs(req, res, url) {
    if (req.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
        await slowIfAsked();
        return sendJson(res, 200, asMetadata());
    }
    if (req.method === 'POST' && url.pathname === '/register') {
        const body = await readBody(req, 64 * 1024);
        let doc;
        try {
            doc = JSON.parse(body.text ?? '');
        } catch {
            return sendJson(res, 400, { error: 'invalid_client_metadata', error_description: 'not JSON' });
        }
        const redirectUris = Array.isArray(doc.redirect_uris) ? doc.redirect_uris : [];
        if (redirectUris.length === 0) {
            return sendJson(res, 400, { error: 'invalid_redirect_uri', error_description: 'no redirect_uris' });
        }
        req.logEntry.redirect_uris = redirectUris;
        const clientId = `evil-client-${clients.size + 1}`;
        clients.set(clientId, redirectUris);
        return sendJson(res, 201, {
            client_id: clientId,
            client_id_issued_at: Math.floor(Date.now() / 1000),
            redirect_uris: redirectUris,
            token_endpoint_auth_method: 'none',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code']
        });
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
        const p = url.searchParams;
        const clientId = p.get('client_id');
        const redirectUri = p.get('redirect_uri');
        if (mode === 'cimd-only' && clientId?.startsWith('https://') && cimdAllows(redirectUri)) {
            clients.set(clientId, [redirectUri]); // as if its document was fetched
        }
        if (mode === 'cimd-fetch' && urlClientId(clientId)) {
            const checked = await fetchClientMetadata(clientId, redirectUri);
            req.logEntry.cimd = { ok: checked.ok, reason: checked.reason };
            if (!checked.ok) {
                log(`cimd-fetch: refused ${clientId}: ${checked.reason}`);
                res.writeHead(400, { 'Content-Type': 'text/plain' });
                return res.end(`bad client metadata document: ${checked.reason}\n`);
            }
            clients.set(clientId, checked.redirectUris);
        }
        // Only a well-formed request from a registered client is approved; anything
        // else is a 400 page (never a redirect to an unregistered URI).
        if (
            p.get('response_type') !== 'code' ||
            !clients.has(clientId) ||
            !clients.get(clientId).includes(redirectUri) ||
            p.get('code_challenge_method') !== 'S256' ||
            !p.get('code_challenge') ||
            !p.get('state')
        ) {
            res.writeHead(400, { 'Content-Type': 'text/plain' });
            return res.end('bad authorization request\n');
        }
        const code = randomId();
        codes.set(code, { clientId, redirectUri, challenge: p.get('code_challenge') });
        const answer = new URLSearchParams({ code });
        if (mode === 'wrong-state') answer.set('state', `${p.get('state')}-evil`);
        else if (mode !== 'missing-state') answer.set('state', p.get('state'));
        if (mode === 'wrong-iss') answer.set('iss', 'http://evil.example');
        else if (mode !== 'missing-iss') answer.set('iss', asOrigin);
        const location = redirectUri + (redirectUri.includes('?') ? '&' : '?') + answer.toString();
        res.writeHead(302, { Location: location, 'Content-Length': 0 });
        return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/token') {
        const body = await readBody(req, 64 * 1024);
        const form = new URLSearchParams(body.text ?? '');
        req.logEntry.grant_type = form.get('grant_type');
        req.logEntry.scope = form.get('scope');
        if ((mode === 'token-503-once' || mode === 'token-429-once') && !hiccuped) {
            hiccuped = true;
            const status = mode === 'token-503-once' ? 503 : 429;
            return sendJson(res, status, { error: 'temporarily_unavailable' }, { 'Retry-After': '1' });
        }
        if (REFRESH_MODES.includes(mode) && form.get('grant_type') === 'refresh_token') {
            if (!refreshTokens.has(form.get('refresh_token'))) {
                return sendJson(res, 400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
            }
            if (mode === 'refresh-revoked') {
                return sendJson(res, 400, { error: 'invalid_grant', error_description: 'the grant was revoked' });
            }
            if (form.get('scope') !== SCOPE) {
                return sendJson(res, 400, { error: 'invalid_scope', error_description: 'repeat the granted scope' });
            }
            const accessToken = randomId();
            tokens.add(accessToken);
            return sendJson(
                res,
                200,
                { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: SCOPE },
                { 'Cache-Control': 'no-store' }
            );
        }
        if (mode === 'token-error') {
            return sendJson(res, 400, { error: 'invalid_grant', error_description: 'nope' }, { 'Cache-Control': 'no-store' });
        }
        if (mode === 'token-200-error') return sendJson(res, 200, { error: 'access_denied' });
        const grant = codes.get(form.get('code'));
        codes.delete(form.get('code')); // single use
        if (mode === 'forget-client-once' && !forgotClient && grant) {
            forgotClient = true;
            clients.delete(grant.clientId);
            return sendJson(res, 401, { error: 'invalid_client', error_description: 'unknown client' });
        }
        const verifier = form.get('code_verifier') ?? '';
        if (
            form.get('grant_type') !== 'authorization_code' ||
            !grant ||
            grant.clientId !== form.get('client_id') ||
            grant.redirectUri !== form.get('redirect_uri') ||
            createHash('sha256').update(verifier).digest('base64url') !== grant.challenge
        ) {
            return sendJson(res, 400, { error: 'invalid_grant', error_description: 'code, client, redirect_uri or verifier do not match' });
        }
        const accessToken = randomId();
        if (mode !== 'fresh-token-401') tokens.add(accessToken);
        const answer = {
            access_token: accessToken,
            token_type: mode === 'token-not-bearer' ? 'mac' : 'Bearer',
            expires_in: 3600,
            scope: SCOPE
        };
        if (REFRESH_MODES.includes(mode)) {
            firstToken ??= accessToken;
            answer.refresh_token = randomId();
            refreshTokens.add(answer.refresh_token);
        }
        return sendJson(res, 200, answer, { 'Cache-Control': 'no-store' });
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
}

// ---------------------------------------------------------------- the RS

const PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];

function prm() {
    return {
        resource: mode === 'prm-other-origin' ? 'http://other.example/mcp' : `${rsOrigin}/mcp`,
        authorization_servers: [issuerInPrm()],
        scopes_supported: [SCOPE],
        bearer_methods_supported: ['header']
    };
}

function rpcResult(id, result) {
    return { jsonrpc: '2.0', id, result };
}

function answerRpc(message) {
    const { id, method, params } = message;
    switch (method) {
        case 'initialize': {
            const asked = params?.protocolVersion;
            return rpcResult(id, {
                protocolVersion: PROTOCOL_VERSIONS.includes(asked) ? asked : '2025-11-25',
                capabilities: { tools: {} },
                serverInfo: { name: 'evil-oauth-server', version: '1.0.0' }
            });
        }
        case 'ping':
            return rpcResult(id, {});
        case 'tools/list':
            return rpcResult(id, {
                tools: [
                    {
                        name: 'echo',
                        description: 'echoes text',
                        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }
                    }
                ]
            });
        case 'tools/call':
            if (params?.name === 'echo' && typeof params?.arguments?.text === 'string') {
                return rpcResult(id, { content: [{ type: 'text', text: params.arguments.text }] });
            }
            return { jsonrpc: '2.0', id, error: { code: -32602, message: 'unknown tool or bad arguments' } };
        default:
            return { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } };
    }
}

function bearerOk(req) {
    const value = req.headers.authorization ?? '';
    return value.startsWith('Bearer ') && tokens.has(value.slice(7));
}

async function handleRs(req, res, url) {
    if (req.method === 'GET' && url.pathname === '/__log') return sendJson(res, 200, requests);
    record('rs', req, url);
    if (
        mode !== 'no-prm' &&
        req.method === 'GET' &&
        (url.pathname === '/.well-known/oauth-protected-resource/mcp' ||
            url.pathname === '/.well-known/oauth-protected-resource')
    ) {
        await slowIfAsked();
        return sendJson(res, 200, prm());
    }
    if (url.pathname !== '/mcp') {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('not found\n');
    }
    if (!bearerOk(req)) {
        const metadataUrl = `${rsOrigin}/.well-known/oauth-protected-resource/mcp`;
        const error = req.headers.authorization ? ', error="invalid_token"' : '';
        const challenge = mode === 'no-prm' ? 'Bearer realm="mcp"' : `Bearer resource_metadata="${metadataUrl}"${error}`;
        return sendJson(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': challenge });
    }
    if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST', 'Content-Length': 0 });
        return res.end();
    }
    const body = await readBody(req, 1024 * 1024);
    let message;
    try {
        message = JSON.parse(body.text ?? '');
    } catch {
        return sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    if (!message || typeof message !== 'object' || Array.isArray(message) || typeof message.method !== 'string') {
        // responses from the client, batches: accepted, nothing to say
        res.writeHead(202, { 'Content-Length': 0 });
        return res.end();
    }
    if (message.id === undefined) {
        res.writeHead(202, { 'Content-Length': 0 });
        return res.end();
    }
    if (REFRESH_MODES.includes(mode) && message.method === 'tools/call' && req.headers.authorization === `Bearer ${firstToken}`) {
        tokens.delete(firstToken); // it expired: the client is to refresh
        const metadataUrl = `${rsOrigin}/.well-known/oauth-protected-resource/mcp`;
        return sendJson(
            res,
            401,
            { error: 'unauthorized' },
            { 'WWW-Authenticate': `Bearer resource_metadata="${metadataUrl}", error="invalid_token"` }
        );
    }
    return sendJson(res, 200, answerRpc(message));
}

function serve(server, name, handler) {
    server.on('request', (req, res) => {
        const url = new URL(req.url, 'http://placeholder');
        if (name === 'as') record('as', req, url);
        handler(req, res, url).catch(err => {
            log(`${name} ${req.method} ${url.pathname}:`, err);
            if (!res.headersSent) res.writeHead(500);
            res.end();
        });
    });
}

serve(asHttp, 'as', handleAs);
serve(rsHttp, 'rs', handleRs);
rsHttp.on('listening', () => {
    rsOrigin = `http://${values.host}:${rsHttp.address().port}`;
    log(`mode ${mode}: resource ${rsOrigin}/mcp, authorization server ${asOrigin}`);
});

listenAndServe(rsHttp, values, async () => asHttp.close());
