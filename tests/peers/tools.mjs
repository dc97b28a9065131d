// The tools every SDK-based peer offers, on the SDK's low-level Server class
// (McpServer does not paginate tools/list; here --page-size does).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
    CallToolRequestSchema,
    CreateMessageResultSchema,
    ElicitResultSchema,
    ErrorCode,
    ListRootsResultSchema,
    ListToolsRequestSchema,
    McpError
} from '@modelcontextprotocol/sdk/types.js';
import { log } from './common.mjs';

const MAX_BIG_BYTES = 256 * 1024 * 1024;

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function text(t) {
    return { content: [{ type: 'text', text: t }] };
}

function badParams(message) {
    return new McpError(ErrorCode.InvalidParams, message);
}

function numberArg(args, name, { integer = false, min, max, optional = false, fallback } = {}) {
    const v = args?.[name];
    if (v === undefined && optional) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
        throw badParams(`argument '${name}' must be a${integer ? 'n integer' : ' number'}`);
    }
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
        throw badParams(`argument '${name}' out of range [${min}, ${max}]`);
    }
    return v;
}

const DELAY_MS = {
    type: 'number',
    description: 'milliseconds to wait (optional)'
};

// What ask_client sends for each method, and the schema of the answer.
const CLIENT_REQUESTS = {
    'sampling/createMessage': {
        params: { messages: [{ role: 'user', content: { type: 'text', text: 'say hi' } }], maxTokens: 10 },
        schema: CreateMessageResultSchema
    },
    'elicitation/create': {
        params: {
            message: 'your name?',
            requestedSchema: { type: 'object', properties: { name: { type: 'string' } } }
        },
        schema: ElicitResultSchema
    },
    'roots/list': { params: {}, schema: ListRootsResultSchema }
};

// name -> { description, inputSchema, run(args, extra, server) }
const BASE_TOOLS = {
    echo: {
        description: 'Returns the given text.',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        async run(args) {
            if (typeof args?.text !== 'string') throw badParams("argument 'text' must be a string");
            return text(args.text);
        }
    },
    add: {
        description: 'Returns a + b.',
        inputSchema: {
            type: 'object',
            properties: { a: { type: 'number' }, b: { type: 'number' } },
            required: ['a', 'b']
        },
        async run(args) {
            return text(String(numberArg(args, 'a') + numberArg(args, 'b')));
        }
    },
    big: {
        description: "Returns one text content of exactly `bytes` characters ('x').",
        inputSchema: {
            type: 'object',
            properties: { bytes: { type: 'integer', minimum: 0, maximum: MAX_BIG_BYTES } },
            required: ['bytes']
        },
        async run(args) {
            const n = numberArg(args, 'bytes', { integer: true, min: 0, max: MAX_BIG_BYTES });
            return text('x'.repeat(n));
        }
    },
    progress: {
        description:
            'Sends `steps` notifications/progress (when the request has a progressToken) and `steps` ' +
            "notifications/message on the request's stream, then returns 'done <steps>'.",
        inputSchema: {
            type: 'object',
            properties: {
                steps: { type: 'integer', minimum: 0, maximum: 10000 },
                delay_ms: { ...DELAY_MS, description: 'pause before each step, default 10' },
                cut_after: {
                    type: 'integer',
                    description: "after this step, close the request's SSE stream (the client resumes it)"
                }
            },
            required: ['steps']
        },
        async run(args, extra) {
            const steps = numberArg(args, 'steps', { integer: true, min: 0, max: 10000 });
            const delay = numberArg(args, 'delay_ms', { min: 0, max: 60000, optional: true, fallback: 10 });
            const cutAfter = numberArg(args, 'cut_after', { integer: true, min: 1, max: steps, optional: true });
            if (cutAfter !== undefined && !extra.closeSSEStream) {
                throw badParams('cut_after needs a stateful Streamable HTTP session with an event store');
            }
            const token = extra._meta?.progressToken;
            for (let i = 1; i <= steps; i++) {
                if (delay > 0) await sleep(delay);
                if (extra.signal.aborted) throw new McpError(ErrorCode.RequestTimeout, 'cancelled');
                if (token !== undefined) {
                    await extra.sendNotification({
                        method: 'notifications/progress',
                        params: { progressToken: token, progress: i, total: steps, message: `step ${i}/${steps}` }
                    });
                }
                await extra.sendNotification({
                    method: 'notifications/message',
                    params: { level: 'info', logger: 'progress', data: `step ${i}/${steps}` }
                });
                if (i === cutAfter) {
                    log(`closing the SSE stream of a progress call after step ${i}`);
                    extra.closeSSEStream();
                }
            }
            return text(`done ${steps}`);
        }
    },
    fail: {
        description: 'Always returns a tool result with isError: true.',
        inputSchema: { type: 'object', properties: {} },
        async run() {
            return { ...text('this tool always fails'), isError: true };
        }
    },
    ask_client: {
        description:
            'Sends the client a request on the tool call\'s stream (`method`: sampling/createMessage, ' +
            'elicitation/create or roots/list) and returns its result as JSON text: server-initiated requests.',
        inputSchema: {
            type: 'object',
            properties: { method: { type: 'string', enum: Object.keys(CLIENT_REQUESTS) } },
            required: ['method']
        },
        async run(args, extra) {
            const request = CLIENT_REQUESTS[args?.method];
            if (!request) throw badParams(`argument 'method' must be one of ${Object.keys(CLIENT_REQUESTS)}`);
            const result = await extra.sendRequest({ method: args.method, params: request.params }, request.schema);
            return text(JSON.stringify(result));
        }
    },
    notify_later: {
        description:
            "Returns 'scheduled' at once; `delay_ms` later (default 100) the server sends " +
            'notifications/tools/list_changed, unrelated to any request (standalone GET stream).',
        inputSchema: { type: 'object', properties: { delay_ms: DELAY_MS } },
        async run(args, extra, server) {
            const delay = numberArg(args, 'delay_ms', { min: 0, max: 60000, optional: true, fallback: 100 });
            setTimeout(() => {
                server.sendToolListChanged().then(
                    () => log('sent notifications/tools/list_changed'),
                    err => log('could not send notifications/tools/list_changed:', err.message)
                );
            }, delay);
            return text('scheduled');
        }
    }
};

function buildToolTable(extraTools) {
    const table = { ...BASE_TOOLS };
    for (let i = 1; i <= extraTools; i++) {
        table[`extra_${i}`] = {
            description: `Filler tool ${i} for pagination tests; returns 'extra_${i}'.`,
            inputSchema: { type: 'object', properties: {} },
            async run() {
                return text(`extra_${i}`);
            }
        };
    }
    return table;
}

// Cursors are opaque to clients; here base64url of "offset:<n>".
function encodeCursor(offset) {
    return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeCursor(cursor, total) {
    const m = /^offset:(\d+)$/.exec(Buffer.from(String(cursor), 'base64url').toString('utf8'));
    const offset = m ? Number(m[1]) : NaN;
    if (!Number.isInteger(offset) || offset <= 0 || offset >= total) {
        throw badParams(`invalid cursor: ${cursor}`);
    }
    return offset;
}

// Returns a new low-level Server (one per session / per stateless request).
// options: { pageSize: 0 = no pagination, extraTools: number of filler tools }
export function createMcpServer({ pageSize = 0, extraTools = 0 } = {}) {
    const table = buildToolTable(extraTools);
    const list = Object.entries(table).map(([name, t]) => ({
        name,
        description: t.description,
        inputSchema: t.inputSchema
    }));
    const server = new Server(
        { name: 'mcpauth-test-peer', version: '1.0.0' },
        { capabilities: { tools: { listChanged: true }, logging: {} } }
    );
    server.setRequestHandler(ListToolsRequestSchema, async request => {
        if (!pageSize) return { tools: list };
        const cursor = request.params?.cursor;
        const offset = cursor === undefined ? 0 : decodeCursor(cursor, list.length);
        const end = offset + pageSize;
        const result = { tools: list.slice(offset, end) };
        if (end < list.length) result.nextCursor = encodeCursor(end);
        return result;
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
        const tool = table[request.params.name];
        if (!tool) throw badParams(`Unknown tool: ${request.params.name}`);
        return tool.run(request.params.arguments ?? {}, extra, server);
    });
    server.onerror = err => log('mcp server error:', err.message);
    return server;
}

// Answers one Streamable HTTP POST (its body parsed by express.json()) the
// stateless way: a new server and transport for this request alone, closed
// with the response.
export async function answerStateless(req, res) {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = createMcpServer();
    res.on('close', () => {
        transport.close().catch(() => {});
        server.close().catch(() => {});
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
}
