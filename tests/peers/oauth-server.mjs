#!/usr/bin/env node
// An OAuth-protected MCP server built from the MCP TypeScript SDK's own
// authorization pieces: an authorization server (mcpAuthRouter with the
// SDK's DemoInMemoryAuthProvider: DCR, PKCE, auto-approving /authorize) on
// one port, and a resource server on another that publishes Protected
// Resource Metadata and guards /mcp (stateless Streamable HTTP) with
// requireBearerAuth. Prints `LISTENING <resource-server-port>`.
//
// Flags: --scope S   scope the resource server requires (default mcp:tools)
//        --sse       the resource server speaks the legacy 2024-11-05 HTTP+SSE
//                    transport instead: GET /sse opens the stream, POST
//                    /messages?sessionId=... carries messages, POST /sse answers
//                    405 (so auto-detection falls back); all behind the bearer
//                    guard. The resource is then .../sse (PRM at
//                    /.well-known/oauth-protected-resource/sse) and a token
//                    issued for another resource is refused.
import http from 'node:http';
import express from 'express';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { mcpAuthRouter, mcpAuthMetadataRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { DemoInMemoryAuthProvider } from '@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js';
import { listenAndServe, log, parseFlags } from './common.mjs';
import { answerStateless, createMcpServer } from './tools.mjs';

const values = parseFlags('oauth-server', {
    scope: { type: 'string', default: 'mcp:tools' },
    sse: { type: 'boolean', default: false }
});
const scope = values.scope;
const sseSessions = new Map(); // session id -> { transport, server } (--sse)

// Both servers listen first, so each knows the other's URL.
const asHttp = http.createServer();
const rsHttp = http.createServer();
await new Promise(resolve => asHttp.listen(0, '127.0.0.1', resolve));
const asUrl = new URL(`http://localhost:${asHttp.address().port}`);

const provider = new DemoInMemoryAuthProvider();
const asApp = express();
asApp.use(mcpAuthRouter({ provider, issuerUrl: asUrl, scopesSupported: [scope] }));
asHttp.on('request', asApp);

rsHttp.on('listening', () => {
    const rsUrl = new URL(`http://127.0.0.1:${rsHttp.address().port}${values.sse ? '/sse' : '/mcp'}`);
    const oauthMetadata = {
        issuer: asUrl.href,
        authorization_endpoint: new URL('/authorize', asUrl).href,
        token_endpoint: new URL('/token', asUrl).href,
        registration_endpoint: new URL('/register', asUrl).href,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        scopes_supported: [scope]
    };
    const rsApp = express();
    rsApp.use(mcpAuthMetadataRouter({ oauthMetadata, resourceServerUrl: rsUrl, scopesSupported: [scope] }));
    // --sse: the token must have been issued for this resource (RFC 8707).
    const verifier = values.sse
        ? {
              async verifyAccessToken(token) {
                  let info;
                  try {
                      info = await provider.verifyAccessToken(token);
                  } catch (err) {
                      throw new InvalidTokenError(err.message); // 401, not the demo's 500
                  }
                  if (info.resource?.href !== rsUrl.href) {
                      throw new InvalidTokenError(`token issued for ${info.resource?.href ?? 'no resource'}, not ${rsUrl.href}`);
                  }
                  return info;
              }
          }
        : provider;
    const guard = requireBearerAuth({
        verifier,
        requiredScopes: [scope],
        resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(rsUrl)
    });
    if (values.sse) {
        rsApp.get('/sse', guard, async (req, res) => {
            const transport = new SSEServerTransport('/messages', res);
            const server = createMcpServer();
            const sid = transport.sessionId;
            sseSessions.set(sid, { transport, server });
            transport.onclose = () => {
                if (sseSessions.delete(sid)) server.close().catch(() => {});
            };
            await server.connect(transport); // writes the endpoint event
            log(`sse session ${sid} opened`);
        });
        rsApp.post('/messages', guard, async (req, res) => {
            const entry = sseSessions.get(String(req.query.sessionId ?? ''));
            if (!entry) {
                res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
                return;
            }
            await entry.transport.handlePostMessage(req, res);
        });
        rsApp.all('/sse', guard, (req, res) => res.status(405).set('Allow', 'GET').end());
    } else {
        rsApp.post('/mcp', guard, express.json(), answerStateless);
        rsApp.all('/mcp', guard, (req, res) => res.status(405).set('Allow', 'POST').end());
    }
    rsHttp.on('request', rsApp);
    log(`authorization server ${asUrl.href}, resource ${rsUrl.href}`);
});

listenAndServe(rsHttp, values, async () => {
    await Promise.allSettled([...sseSessions.values()].map(({ transport }) => transport.close()));
    asHttp.close();
});
