// What the two SDK transport peers (sse-server.mjs, streamable-server.mjs)
// share: the flags that shape their MCP server (--page-size, --extra-tools,
// --require-header) and serving their handler with a JSON-RPC 500 for
// anything it throws.
import { createRawServer, headerRequirement, intFlag, jsonRpcError, listenAndServe, parseFlags } from './common.mjs';

// parseFlags with the shared flags added to `options`; returns the values,
// the options for createMcpServer and the header every request must carry.
export function parseMcpPeerFlags(name, options) {
    const values = parseFlags(name, {
        ...options,
        'page-size': { type: 'string' },
        'extra-tools': { type: 'string' },
        'require-header': { type: 'string' }
    });
    const serverOptions = {
        pageSize: intFlag(values, 'page-size', 0),
        extraTools: intFlag(values, 'extra-tools', 0)
    };
    return { values, serverOptions, required: headerRequirement(values['require-header']) };
}

// Listens as common.mjs's listenAndServe does; closeAll runs at shutdown.
export function serveMcpPeer(handle, values, closeAll) {
    const httpServer = createRawServer(handle, res => jsonRpcError(res, 500, -32603, 'Internal server error'));
    listenAndServe(httpServer, values, closeAll);
}

// The session `sid` names, or undefined after answering 404 for an unknown one.
export function knownSession(sessions, sid, res) {
    const entry = sessions.get(sid);
    if (!entry) jsonRpcError(res, 404, -32001, 'Session not found');
    return entry;
}
