// What the two SDK transport peers (sse-server.mjs, streamable-server.mjs)
// share: the flags that shape their MCP server (--page-size, --extra-tools,
// --require-header, --sticky-cookie) and serving their handler with a
// JSON-RPC 500 for anything it throws.
import { createRawServer, headerRequirement, intFlag, jsonRpcError, listenAndServe, log, parseFlags } from './common.mjs';

// parseFlags with the shared flags added to `options`; returns the values,
// the options for createMcpServer and the header every request must carry.
export function parseMcpPeerFlags(name, options) {
    const values = parseFlags(name, {
        ...options,
        'page-size': { type: 'string' },
        'extra-tools': { type: 'string' },
        'require-header': { type: 'string' },
        'sticky-cookie': { type: 'string' }
    });
    const serverOptions = {
        pageSize: intFlag(values, 'page-size', 0),
        extraTools: intFlag(values, 'extra-tools', 0)
    };
    return { values, serverOptions, required: headerRequirement(values['require-header']) };
}

// Listens as common.mjs's listenAndServe does; closeAll runs at shutdown.
export function serveMcpPeer(handle, values, closeAll) {
    const sticky = values['sticky-cookie'];
    const httpServer = createRawServer(sticky ? pinnedBy(sticky, handle) : handle,
        res => jsonRpcError(res, 500, -32603, 'Internal server error'));
    listenAndServe(httpServer, values, closeAll);
}

// --sticky-cookie NAME=VALUE: a load balancer that pins each session to a
// backend with a cookie. Every answer sets it; a request of a session
// (Mcp-Session-Id) without it would have gone to another backend, so it
// gets 400 instead of an answer.
function pinnedBy(cookie, handle) {
    return async (req, res) => {
        res.setHeader('Set-Cookie', `${cookie}; Path=/; HttpOnly`);
        const sent = (req.headers.cookie ?? '').split(/;\s*/);
        if (req.headers['mcp-session-id'] && !sent.includes(cookie)) {
            log(`a session request without the sticky cookie ${cookie}`);
            jsonRpcError(res, 400, -32600, 'Not pinned: this request reached another backend');
            return;
        }
        await handle(req, res);
    };
}

// The session `sid` names, or undefined after answering 404 for an unknown one.
export function knownSession(sessions, sid, res) {
    const entry = sessions.get(sid);
    if (!entry) jsonRpcError(res, 404, -32001, 'Session not found');
    return entry;
}
