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
//   --machine-client ID:SECRET
//                     a pre-registered confidential client (client_secret_basic)
//                     that may only use the client_credentials grant, which is
//                     then on
//   --dpop            leave oidc-provider's DPoP (RFC 9449) on, as it is by
//                     default: a client that sends a DPoP proof to the token
//                     endpoint gets a DPoP-bound token (cnf.jkt), which the
//                     resource server then only takes as `Authorization: DPoP`
//                     with a valid proof (typ, signature by the embedded key,
//                     jkt, htm, htu, iat, ath, jti not replayed); the resource
//                     server says it takes DPoP (a DPoP challenge beside the
//                     Bearer one, dpop_signing_alg_values_supported in its
//                     metadata). Without the flag DPoP is off and every token
//                     is a Bearer token.
//   --no-client-scope-check
//                     do not declare the scope as a provider scope, so a DCR
//                     request carrying `scope` is refused the way oidc-provider
//                     refuses unknown client scopes (invalid_client_metadata)
//   --access-ttl SECONDS
//                     access token lifetime (default 3600): the token
//                     response's expires_in and the JWT's exp; the resource
//                     server refuses an expired token with 401 invalid_token
//   --device-interval SECONDS
//                     put `interval` in the device authorization response
//                     (oidc-provider itself sends none, so RFC 8628's default
//                     of 5 s applies; tests use 1)
//   --device-code-ttl SECONDS
//                     device code lifetime (default 600): the device
//                     authorization response's expires_in; a later poll gets
//                     expired_token
//   --slow-down N     answer slow_down instead of authorization_pending to the
//                     first N device-code polls that would get
//                     authorization_pending (oidc-provider never sends
//                     slow_down itself, however fast a client polls)
//
// A refresh token comes only with offline_access (at the authorization
// endpoint also only with prompt=consent; the device flow has no prompt).
// Refresh tokens rotate on every use; presenting a rotated (consumed) one
// again is reuse: oidc-provider answers invalid_grant and revokes the whole
// grant, so the refresh token that replaced it stops working too. Token
// revocation (RFC 7009) is on for refresh tokens; the access tokens are JWTs,
// which oidc-provider refuses to revoke (400 unsupported_token_type). The
// device authorization grant (RFC 8628) is on: DCR clients may register
// urn:ietf:params:oauth:grant-type:device_code; oidc-device.mjs is the user.
//
// Test endpoints on the resource-server port (no auth). None ever holds a
// token, code or secret value.
//   GET /test/as-requests  the requests the authorization server saw, in
//                          order: [{method, path, status}]; requests to the
//                          token, revocation and device authorization
//                          endpoints also have `error` (the JSON answer's, or
//                          null) and `ms` (arrival, milliseconds since the
//                          peer started), token requests `grant_type` and
//                          revocation requests `token_type_hint` (the form's
//                          values, or null)
//   GET /test/as-events    notable provider events, in order:
//                          [{event, ms, route, grant_type, error, error_detail}]
//                          (route: oidc-provider's name for the endpoint, e.g.
//                          "token", "revocation"; grant_type: on the token
//                          route; error, error_detail: of *.error events;
//                          null otherwise). The events are listed at
//                          makeEventLog; the peer adds revocation.success
//                          (plus token_type_hint, token_kind, grant_revoked)
//                          and slow_down.
//   POST /test/access-ttl?seconds=N
//                     access tokens issued from now on live N seconds
//   POST /test/reject-issued
//                     the resource server refuses (401 invalid_token) every
//                     access token issued so far, as if the user had revoked
//                     the grant: the client's next request needs a new consent
//   POST /test/hold-token  the next POST to the token endpoint is held
//                     before the provider sees it (a test kills the
//                     client that sent it: the provider must never act on it)
//   GET /test/held    answers {held: true} once a token request is held
//   POST /test/release-held
//                     answers the held request 503 temporarily_unavailable
//                     (if its client is still there); the provider never
//                     sees it
//   GET /test/rs-requests  the MCP requests the resource server saw:
//                          [{method, scheme ("Bearer", "DPoP" or ""), status,
//                          rpc, sub, token, echo}]; rpc, the JSON-RPC method
//                          ("batch" for an array), only on requests that were
//                          authorized; sub, the subject of a verified access
//                          token; token, the first 16 characters of its
//                          SHA-256 (base64url: tells tokens apart, never one
//                          itself); echo, the `text` argument of a tools/call
//                          (whose request it was: the gateway's isolation test)
import http from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import express from 'express';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import { EmbeddedJWK, calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { intFlag, listenAndServe, log, parseFlags, sendJson } from './common.mjs';
import { answerStateless } from './tools.mjs';

const values = parseFlags('oidc-server', {
    scope: { type: 'string', default: 'mcp:tools' },
    rfc8414: { type: 'boolean', default: false },
    dpop: { type: 'boolean', default: false },
    'no-client-scope-check': { type: 'boolean', default: false },
    'access-ttl': { type: 'string' },
    'device-interval': { type: 'string' },
    'device-code-ttl': { type: 'string' },
    'slow-down': { type: 'string' },
    // ID:SECRET of a pre-registered confidential client for the client_credentials grant
    'machine-client': { type: 'string' }
});
const scope = values.scope;
// `let`: POST /test/access-ttl changes it for the tokens issued from then on.
let accessTtl = intFlag(values, 'access-ttl', 3600);
// POST /test/reject-issued: tokens issued at or before this (seconds) are refused.
let rejectIssuedUpTo;
// POST /test/hold-token arms the hold; the held request's {req, res}; GET /test/held answers waiting.
let holdNextToken = false;
let heldToken;
const heldWaiters = [];
const deviceInterval = intFlag(values, 'device-interval', undefined);
const deviceCodeTtl = intFlag(values, 'device-code-ttl', 600);
let slowDownsLeft = intFlag(values, 'slow-down', 0);
const MOUNT = '/oidc';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

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

const asRequests = []; // {method, path, status[, grant_type, token_type_hint, error, ms]}, in order of arrival
const asEvents = []; // {event, ms, ...}: see makeEventLog
const rsRequests = []; // {method, scheme, status}

const sinceStart = () => Math.round(performance.now());

// The --machine-client (client_credentials only), as oidc-provider's static client list.
function machineClients() {
    if (!values['machine-client']) return [];
    const [client_id, client_secret] = values['machine-client'].split(':');
    return [{ client_id, client_secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic', scope: scope }];
}

function makeProvider(resource) {
    return new Provider(issuer, {
        clients: machineClients(),
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
        // Every refresh rotates, also for DPoP-bound refresh tokens (the
        // default rotates only those of public clients that are not
        // sender-constrained), so reuse detection always applies.
        rotateRefreshToken: () => true,
        ttl: {
            AccessToken: () => accessTtl,
            AuthorizationCode: 60,
            DeviceCode: deviceCodeTtl,
            Grant: 3600,
            Interaction: 600,
            RefreshToken: 86400,
            Session: 3600
        },
        features: {
            devInteractions: { enabled: true },
            clientCredentials: { enabled: Boolean(values['machine-client']) },
            deviceFlow: { enabled: true },
            dPoP: { enabled: values.dpop },
            registration: { enabled: true, initialAccessToken: false },
            revocation: { enabled: true },
            resourceIndicators: {
                enabled: true,
                // A request without `resource` still gets a token for the MCP resource.
                defaultResource: async (_ctx, _client, oneOf) => oneOf ?? resource,
                useGrantedResource: async () => true,
                getResourceServerInfo: async (_ctx, indicator) => {
                    if (indicator !== resource) throw new oidcErrors.InvalidTarget(`unknown resource ${indicator}`);
                    return { scope, audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: accessTtl };
                }
            }
        }
    });
}

// A form field's value as parsed by oidc-provider, or null (absent or repeated).
function formValue(value) {
    return typeof value === 'string' ? value : null;
}

// One /test/as-events entry. `ctx` is the provider's request context (model
// events get none: the request's comes from Provider.ctx). Only names, routes,
// grant types and error codes: never a token, code or secret.
function eventEntry(event, ctx, err) {
    const oidc = (ctx ?? Provider.ctx)?.oidc;
    return {
        event,
        ms: sinceStart(),
        route: oidc?.route ?? null,
        grant_type: oidc?.route === 'token' ? formValue(oidc.body?.grant_type) : null,
        error: err ? (err.error ?? 'server_error') : null,
        error_detail: err ? (err.error_detail ?? null) : null
    };
}

// The provider events a test asserts on ("the reuse was refused and the grant
// revoked", "no grant was revoked", "a revocation happened"), in asEvents.
// Handlers with an error get (ctx, err); the others (ctx, ...) or, for model
// events, the model instance, which is not looked at.
const CONTEXT_EVENTS = [
    'registration_create.success', 'authorization.success', 'device_authorization.success',
    'grant.success', 'grant.revoked', 'end_session.success'
];
const ERROR_EVENTS = [
    'registration_create.error', 'authorization.error', 'device_authorization.error', 'code_verification.error',
    'device_resume.error', 'grant.error', 'revocation.error', 'server_error'
];
const MODEL_EVENTS = ['refresh_token.consumed', 'refresh_token.destroyed', 'device_code.consumed'];

// Request contexts in which the provider revoked a grant (for recordRevocation).
const revokingRequests = new WeakSet();

function makeEventLog(provider) {
    for (const event of [...CONTEXT_EVENTS, ...MODEL_EVENTS]) {
        provider.on(event, ctx => asEvents.push(eventEntry(event, MODEL_EVENTS.includes(event) ? undefined : ctx)));
    }
    provider.on('grant.revoked', ctx => revokingRequests.add(ctx));
    for (const event of ERROR_EVENTS) {
        provider.on(event, (ctx, err) => {
            asEvents.push(eventEntry(event, ctx, err));
            if (event === 'server_error') log('provider server_error:', err);
            else log(`provider ${event}: ${err.message} ${err.error_detail ?? ''}`);
        });
    }
}

// oidc-provider emits nothing for a successful revocation, and RFC 7009
// answers 200 also when nothing was revoked, so the peer records what
// happened: token_kind is the kind of token the provider found
// ("RefreshToken"; null: an unknown token), grant_revoked whether it revoked
// it with its grant (false also for another client's token, which a public
// client may not revoke: oidc-provider then quietly does nothing).
function recordRevocation(ctx) {
    const entities = ctx.oidc.entities;
    asEvents.push({
        ...eventEntry('revocation.success', ctx),
        token_type_hint: formValue(ctx.oidc.body?.token_type_hint),
        token_kind: ['RefreshToken', 'AccessToken', 'ClientCredentials'].find(kind => entities[kind]) ?? null,
        grant_revoked: revokingRequests.has(ctx)
    });
}

// RFC 8628 §3.2: oidc-provider sends no `interval` (clients then wait 5 s).
function addInterval(ctx) {
    if (deviceInterval !== undefined && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
        ctx.body.interval = deviceInterval;
    }
}

// RFC 8628 §3.5: oidc-provider never answers slow_down, so --slow-down turns
// the first N authorization_pending answers into slow_down. Pending polls
// change nothing at the provider, so the swap is invisible to it.
function maybeSlowDown(ctx) {
    if (slowDownsLeft <= 0 || ctx.status !== 400 || ctx.body?.error !== 'authorization_pending') return;
    slowDownsLeft--;
    ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly and should back off at a reasonable rate' };
    asEvents.push(eventEntry('slow_down', ctx));
}

// The /test/as-requests entries of the client's back-channel requests get
// what a test asserts on: the form's grant_type (token endpoint) or
// token_type_hint (revocation endpoint), the JSON answer's `error`, and when
// the request arrived. Other entries keep exactly {method, path, status}
// (tests compare those whole).
function describeBackChannelRequest(ctx, route, form) {
    const { entry, ms } = ctx.req.asLog ?? {};
    if (!entry) return;
    if (route === 'token') entry.grant_type = formValue(form.grant_type);
    if (route === 'revocation') entry.token_type_hint = formValue(form.token_type_hint);
    entry.error = ctx.status >= 400 && ctx.body && typeof ctx.body === 'object' ? formValue(ctx.body.error) : null;
    entry.ms = ms;
}

const BACK_CHANNEL_ROUTES = new Set(['token', 'revocation', 'device_authorization']);

// Koa middleware around every provider request, run after the provider
// answered: oidc-provider has parsed the form by then (ctx.oidc.body), so the
// peer reads no body itself. Adds the device-flow answers the provider has
// no option for and completes the request log.
function makeProviderHooks(provider) {
    provider.use(async (ctx, next) => {
        await next();
        const route = ctx.oidc?.route; // ctx.oidc exists only when a provider route matched
        if (!BACK_CHANNEL_ROUTES.has(route)) return;
        const form = ctx.oidc.body ?? {};
        if (route === 'device_authorization') addInterval(ctx);
        if (route === 'token' && form.grant_type === DEVICE_CODE_GRANT) maybeSlowDown(ctx);
        if (route === 'revocation' && ctx.status === 200) recordRevocation(ctx);
        describeBackChannelRequest(ctx, route, form);
    });
}

rsHttp.on('listening', () => {
    const rsOrigin = `http://127.0.0.1:${rsHttp.address().port}`;
    const resource = `${rsOrigin}/mcp`;
    const prmUrl = `${rsOrigin}/.well-known/oauth-protected-resource/mcp`;

    // --- authorization server ---
    const provider = makeProvider(resource);
    makeEventLog(provider);
    makeProviderHooks(provider);
    const callback = provider.callback();
    const asApp = express();
    asApp.use((req, res, next) => {
        const entry = { method: req.method, path: req.originalUrl.split('?')[0], status: 0 };
        req.asLog = { entry, ms: sinceStart() }; // for describeBackChannelRequest
        asRequests.push(entry);
        res.on('finish', () => {
            entry.status = res.statusCode;
        });
        next();
    });
    asApp.post(`${MOUNT}/token`, (req, res, next) => {
        if (!holdNextToken) return next();
        holdNextToken = false;
        heldToken = { req, res };
        log('a token request is held');
        for (const waiter of heldWaiters.splice(0)) sendJson(waiter, 200, { held: true });
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
    // With --dpop the resource server says it takes DPoP-bound tokens (a DPoP
    // challenge beside the Bearer one, and its metadata lists the algorithms).
    const dpopChallenge = values.dpop ? `DPoP algs="ES256 EdDSA", ` : '';
    const challenge = extra =>
        dpopChallenge + `Bearer resource_metadata="${prmUrl}", scope="${scope}"` + (extra ? `, ${extra}` : '');

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
        req.rsEntry = entry;
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
        entry.sub = payload.sub; // whose grant this request used (the gateway's per-user tests)
        entry.token = createHash('sha256').update(token).digest('base64url').slice(0, 16);
        if (rejectIssuedUpTo !== undefined && payload.iat <= rejectIssuedUpTo) {
            return refuse(res, 401, scheme, 'invalid_token', 'the grant was revoked');
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
            resource_name: 'mcpauth oidc-provider test peer',
            ...(values.dpop ? { dpop_signing_alg_values_supported: ['ES256', 'EdDSA'] } : {})
        });
    });
    rsApp.get('/test/as-requests', (_req, res) => sendJson(res, 200, asRequests));
    rsApp.get('/test/as-events', (_req, res) => sendJson(res, 200, asEvents));
    rsApp.get('/test/rs-requests', (_req, res) => sendJson(res, 200, rsRequests));
    // A test that needs one expiry (not one every few seconds) logs in with a
    // short --access-ttl, lets it pass, then lengthens the lifetime here.
    rsApp.post('/test/reject-issued', (_req, res) => {
        rejectIssuedUpTo = Math.floor(Date.now() / 1000);
        log('access tokens issued so far are refused from now on');
        sendJson(res, 200, { rejected_up_to: rejectIssuedUpTo });
    });
    rsApp.post('/test/hold-token', (_req, res) => {
        holdNextToken = true;
        sendJson(res, 200, { armed: true });
    });
    rsApp.get('/test/held', (_req, res) => {
        if (heldToken) sendJson(res, 200, { held: true });
        else heldWaiters.push(res);
    });
    rsApp.post('/test/release-held', (_req, res) => {
        const held = heldToken;
        heldToken = undefined;
        const clientGone = !held || held.req.socket.destroyed;
        if (held && !clientGone) {
            sendJson(held.res, 503, { error: 'temporarily_unavailable', error_description: 'held by the test' });
        }
        sendJson(res, 200, { released: Boolean(held), client_gone: clientGone });
    });
    rsApp.post('/test/access-ttl', (req, res) => {
        const seconds = Number(req.query.seconds);
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86400) {
            sendJson(res, 400, { error: 'seconds must be an integer in [1, 86400]' });
            return;
        }
        accessTtl = seconds;
        log(`access tokens issued from now on live ${seconds} s`);
        sendJson(res, 200, { access_ttl: seconds });
    });
    rsApp.post('/mcp', async (req, res, next) => {
        try {
            if (!(await authenticate(req, res))) return;
            next();
        } catch (err) {
            next(err);
        }
    }, express.json(), async (req, res) => {
        req.rsEntry.rpc = Array.isArray(req.body) ? 'batch' : req.body?.method;
        const text = req.body?.method === 'tools/call' ? req.body?.params?.arguments?.text : undefined;
        if (typeof text === 'string') req.rsEntry.echo = text.slice(0, 200);
        await answerStateless(req, res);
    });
    rsApp.all('/mcp', async (req, res) => {
        if (!(await authenticate(req, res))) return;
        res.status(405).set('Allow', 'POST').end();
    });
    rsHttp.on('request', rsApp);
    log(`authorization server ${issuer}, resource ${resource}`);
});

listenAndServe(rsHttp, values, async () => asHttp.close());
