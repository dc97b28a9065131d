#!/usr/bin/env node
// An OAuth-protected MCP server whose authorization server is a certified
// OpenID provider (panva's oidc-provider) with a path in its issuer:
// http://localhost:<as-port>/oidc. The provider has dev interactions (a login
// form that takes any name, then a consent form), open Dynamic Client
// Registration, resource indicators (RFC 8707: the MCP resource gets a JWT
// access token with aud = the resource URL), PKCE S256 required, and sends
// RFC 9207 `iss` in every authorization response.
//
// The resource server on another port serves stateless Streamable HTTP at
// /mcp (tools.mjs), publishes Protected Resource Metadata at
// /.well-known/oauth-protected-resource/mcp naming the issuer with its path,
// and verifies Bearer JWTs against the provider's JWKS (iss, aud, exp, typ
// at+jwt, scope; DPoP proofs with --dpop). Prints `LISTENING <resource-server-port>`.
//
// The provider itself serves its metadata only at the OpenID "path appended"
// location, /oidc/.well-known/openid-configuration.
//   --rfc8414         also serve it at the RFC 8414 "path inserted" location,
//                     /.well-known/oauth-authorization-server/oidc
//   --scope S         the scope the resource server requires (default mcp:tools)
//   --dpop            leave oidc-provider's DPoP (RFC 9449) on, as it is by
//                     default: a client that sends a DPoP proof to the token
//                     endpoint gets a DPoP-bound token (cnf.jkt), which the
//                     resource server then only takes as `Authorization: DPoP`
//                     with a valid proof (typ, signature by the embedded key,
//                     jkt, htm, htu, iat, ath, jti not replayed). Without the
//                     flag DPoP is off and every token is a Bearer token.
//   --no-client-scope-check
//                     do not declare the scope as a provider scope, so a DCR
//                     request carrying `scope` is refused the way oidc-provider
//                     refuses unknown client scopes (invalid_client_metadata)
//
// Test endpoints on the resource-server port (no auth):
//   GET /test/as-requests  the requests the authorization server saw, in
//                          order: [{method, path, status}]
//   GET /test/rs-requests  the MCP requests the resource server saw:
//                          [{method, scheme ("Bearer", "DPoP" or ""), status}]
import http from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import express from 'express';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import { EmbeddedJWK, calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { listenAndServe, log, parseFlags, sendJson } from './common.mjs';
import { createMcpServer } from './tools.mjs';

const values = parseFlags('oidc-server', {
    scope: { type: 'string', default: 'mcp:tools' },
    rfc8414: { type: 'boolean', default: false },
    dpop: { type: 'boolean', default: false },
    'no-client-scope-check': { type: 'boolean', default: false }
});
const scope = values.scope;
const MOUNT = '/oidc';

// Signing keys made before anything listens (RS256: oidc-provider's default
// for ID tokens and clients; the JWT access tokens use it too).
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };

// Both servers listen first, so each knows the other's URL.
const asHttp = http.createServer();
const rsHttp = http.createServer();
await new Promise(resolve => asHttp.listen(0, '127.0.0.1', resolve));
asHttp.requestTimeout = 0;
asHttp.headersTimeout = 0;
const asOrigin = `http://localhost:${asHttp.address().port}`;
const issuer = `${asOrigin}${MOUNT}`;

const asRequests = []; // {method, path, status}, in order of arrival
const rsRequests = []; // {method, scheme, status}

function makeProvider(resource) {
    return new Provider(issuer, {
        jwks: { keys: [signingJwk] },
        cookies: { keys: [randomBytes(32).toString('base64url')] },
        // Any login name is an account.
        async findAccount(_ctx, sub) {
            return { accountId: sub, async claims() { return { sub }; } };
        },
        // `scope` in a registration request must list provider scopes.
        scopes: values['no-client-scope-check'] ? ['openid', 'offline_access'] : ['openid', 'offline_access', scope],
        clientDefaults: {
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none'
        },
        pkce: { required: () => true },
        ttl: { AccessToken: 3600, AuthorizationCode: 60, Grant: 3600, Interaction: 600, RefreshToken: 86400, Session: 3600 },
        features: {
            devInteractions: { enabled: true },
            dPoP: { enabled: values.dpop },
            registration: { enabled: true, initialAccessToken: false },
            resourceIndicators: {
                enabled: true,
                // A request without `resource` still gets a token for the MCP resource.
                defaultResource: async (_ctx, _client, oneOf) => oneOf ?? resource,
                useGrantedResource: async () => true,
                getResourceServerInfo: async (_ctx, indicator) => {
                    if (indicator !== resource) throw new oidcErrors.InvalidTarget(`unknown resource ${indicator}`);
                    return { scope, audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 3600 };
                }
            }
        }
    });
}

rsHttp.on('listening', () => {
    const rsOrigin = `http://127.0.0.1:${rsHttp.address().port}`;
    const resource = `${rsOrigin}/mcp`;
    const prmUrl = `${rsOrigin}/.well-known/oauth-protected-resource/mcp`;

    // --- authorization server ---
    const provider = makeProvider(resource);
    provider.on('server_error', (_ctx, err) => log('provider server_error:', err));
    for (const event of ['registration_create.error', 'authorization.error', 'grant.error']) {
        provider.on(event, (_ctx, err) => log(`provider ${event}: ${err.message} ${err.error_description ?? ''}`));
    }
    const callback = provider.callback();
    const asApp = express();
    asApp.use((req, res, next) => {
        const entry = { method: req.method, path: req.originalUrl.split('?')[0], status: 0 };
        asRequests.push(entry);
        res.on('finish', () => {
            entry.status = res.statusCode;
        });
        next();
    });
    if (values.rfc8414) {
        asApp.get(`/.well-known/oauth-authorization-server${MOUNT}`, (req, res) => {
            req.originalUrl = `${MOUNT}/.well-known/openid-configuration`;
            req.url = '/.well-known/openid-configuration';
            callback(req, res);
        });
    }
    asApp.use(MOUNT, callback);
    asHttp.on('request', asApp);

    // --- resource server ---
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const challenge = extra =>
        `Bearer resource_metadata="${prmUrl}", scope="${scope}"` + (extra ? `, ${extra}` : '');

    const seenProofs = new Set(); // jti of accepted DPoP proofs (RFC 9449 §11.1)

    function refuse(res, status, scheme, error, description) {
        const header = scheme === 'DPoP'
            ? `DPoP error="${error}", error_description="${description}", algs="ES256 EdDSA"`
            : challenge(error ? `error="${error}", error_description="${description}"` : '');
        sendJson(res, status, { error: error || 'invalid_token', error_description: description }, { 'WWW-Authenticate': header });
        return false;
    }

    // RFC 9449 §4.3 and §7.1: the proof that accompanies a DPoP-bound token.
    async function checkProof(req, token, jkt) {
        const proofs = req.headersDistinct?.dpop ?? [];
        if (proofs.length !== 1) throw new Error(`${proofs.length} DPoP headers`);
        const { payload, protectedHeader } = await jwtVerify(proofs[0], EmbeddedJWK, {
            typ: 'dpop+jwt',
            algorithms: ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
            maxTokenAge: '60s',
            clockTolerance: 5,
            requiredClaims: ['jti', 'htm', 'htu', 'iat']
        });
        if ((await calculateJwkThumbprint(protectedHeader.jwk)) !== jkt) throw new Error('proof key is not the token\'s cnf.jkt');
        if (payload.htm !== req.method) throw new Error(`htm ${payload.htm} is not ${req.method}`);
        const htu = new URL(payload.htu);
        htu.search = '';
        htu.hash = '';
        const expected = new URL(req.originalUrl, rsOrigin);
        expected.search = '';
        if (htu.href !== expected.href) throw new Error(`htu ${payload.htu} is not ${expected.href}`);
        if (payload.ath !== createHash('sha256').update(token).digest('base64url')) throw new Error('ath does not match the token');
        if (seenProofs.has(payload.jti)) throw new Error('proof replayed');
        seenProofs.add(payload.jti);
    }

    async function authenticate(req, res) {
        const entry = { method: req.method, scheme: '', status: 0 };
        rsRequests.push(entry);
        res.on('finish', () => {
            entry.status = res.statusCode;
        });
        const header = req.headers.authorization ?? '';
        const match = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/.exec(header);
        if (!match) return refuse(res, 401, 'Bearer', '', 'missing bearer token');
        const [, scheme, token] = match;
        entry.scheme = scheme;
        let payload;
        try {
            ({ payload } = await jwtVerify(token, jwks, {
                issuer,
                audience: resource,
                typ: 'at+jwt',
                requiredClaims: ['exp', 'sub']
            }));
        } catch (err) {
            log(`rejected token: ${err.code ?? ''} ${err.message}`);
            return refuse(res, 401, scheme, 'invalid_token', err.code ?? 'invalid');
        }
        const jkt = payload.cnf?.jkt;
        if (jkt && scheme !== 'DPoP') return refuse(res, 401, 'DPoP', 'invalid_token', 'a DPoP-bound token needs the DPoP scheme');
        if (!jkt && scheme !== 'Bearer') return refuse(res, 401, 'Bearer', 'invalid_token', 'not a DPoP-bound token');
        if (jkt) {
            try {
                await checkProof(req, token, jkt);
            } catch (err) {
                log(`rejected DPoP proof: ${err.message}`);
                return refuse(res, 401, 'DPoP', 'invalid_dpop_proof', err.message.replace(/"/g, "'"));
            }
        }
        const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
        if (!granted.includes(scope)) return refuse(res, 403, scheme, 'insufficient_scope', `needs ${scope}`);
        return true;
    }

    const rsApp = express();
    rsApp.get('/.well-known/oauth-protected-resource/mcp', (_req, res) => {
        sendJson(res, 200, {
            resource,
            authorization_servers: [issuer],
            scopes_supported: [scope],
            bearer_methods_supported: ['header'],
            resource_name: 'mcpauth oidc-provider test peer'
        });
    });
    rsApp.get('/test/as-requests', (_req, res) => sendJson(res, 200, asRequests));
    rsApp.get('/test/rs-requests', (_req, res) => sendJson(res, 200, rsRequests));
    rsApp.post('/mcp', async (req, res, next) => {
        try {
            if (!(await authenticate(req, res))) return;
            next();
        } catch (err) {
            next(err);
        }
    }, express.json(), async (req, res) => {
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        const server = createMcpServer();
        res.on('close', () => {
            transport.close().catch(() => {});
            server.close().catch(() => {});
        });
        await server.connect(transport);
        await transport.handleRequest(req, res, req.body);
    });
    rsApp.all('/mcp', async (req, res) => {
        if (!(await authenticate(req, res))) return;
        res.status(405).set('Allow', 'POST').end();
    });
    rsHttp.on('request', rsApp);
    log(`authorization server ${issuer}, resource ${resource}`);
});

listenAndServe(rsHttp, values, async () => asHttp.close());
