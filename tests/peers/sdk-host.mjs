#!/usr/bin/env node
// A host of the handshake era built on the 1.x TypeScript SDK's Client
// (2025-11-25: initialize, server requests), for mcpauth's tests of the
// bridge between eras. It talks to the modern peer (modern/modern-server.mjs)
// through mcpauth and prints one JSON object on stdout with what it saw.
//
//   node sdk-host.mjs --stdio <command> [args...]   (e.g. mcpauth proxy <url>: spawned as a stdio server)
//   node sdk-host.mjs --http <url>                  (e.g. the gateway's local endpoint)
//
// It declares sampling, elicitation and roots, answers them, and runs:
// tools/list, a tool that samples, one that elicits and lists roots, one
// with progress notifications, a cancelled call (its AbortSignal aborted at
// its first progress notification), and a tool list change announced over
// notifications/tools/list_changed. Every wait is bounded (--timeout-ms,
// 20 s by default); a step that fails is reported under "errors" and the
// exit code is 1. Diagnostics go to stderr.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
    CreateMessageRequestSchema,
    ElicitRequestSchema,
    ListRootsRequestSchema,
    ToolListChangedNotificationSchema
} from '@modelcontextprotocol/sdk/types.js';

const log = msg => process.stderr.write(`[sdk-host] ${msg}\n`);

const argv = process.argv.slice(2);
let timeoutMs = 20000;
if (argv[0] === '--timeout-ms') {
    timeoutMs = Number(argv[1]);
    argv.splice(0, 2);
}
const mode = argv.shift();
if (!['--stdio', '--http'].includes(mode) || argv.length === 0 || !(timeoutMs > 0)) {
    log('usage: sdk-host.mjs [--timeout-ms N] --stdio <command> [args...] | --http <url>');
    process.exit(2);
}

// `promise`, or a rejection naming `what` once the bound passes.
function bounded(promise, what) {
    let timer;
    const expiry = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

const report = { errors: [] };
const asked = [];

const client = new Client(
    { name: 'mcpauth-sdk-host', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } }
);
client.setRequestHandler(CreateMessageRequestSchema, request => {
    asked.push('sampling/createMessage');
    const prompt = request.params.messages[0]?.content?.text ?? '';
    return { role: 'assistant', content: { type: 'text', text: `model says ${prompt}` }, model: 'test-model' };
});
client.setRequestHandler(ElicitRequestSchema, () => {
    asked.push('elicitation/create');
    return { action: 'accept', content: { name: 'Ada' } };
});
client.setRequestHandler(ListRootsRequestSchema, () => {
    asked.push('roots/list');
    return { roots: [{ uri: 'file:///work', name: 'work' }] };
});
let toolsChanged;
const toolsChangedOnce = new Promise(resolve => {
    toolsChanged = resolve;
});
client.setNotificationHandler(ToolListChangedNotificationSchema, () => toolsChanged(true));

const text = result => result.content?.find(c => c.type === 'text')?.text;

async function step(name, run) {
    try {
        report[name] = await bounded(run(), name);
    } catch (e) {
        report.errors.push(`${name}: ${e.message}`);
    }
}

const transport =
    mode === '--stdio'
        ? new StdioClientTransport({ command: argv[0], args: argv.slice(1), env: process.env, stderr: 'inherit' })
        : new StreamableHTTPClientTransport(new URL(argv[0]));

try {
    await bounded(client.connect(transport), 'connect');
    report.server = client.getServerVersion()?.name;
    report.protocolVersion = transport.protocolVersion ?? null;
    report.toolsListChanged = client.getServerCapabilities()?.tools?.listChanged === true;

    await step('tools', async () => (await client.listTools()).tools.map(t => t.name).sort());
    await step('sample', async () => text(await client.callTool({ name: 'sample', arguments: { prompt: 'hi' } })));
    await step('greet', async () => text(await client.callTool({ name: 'greet', arguments: {} })));
    await step('progress', async () => {
        const seen = [];
        const result = await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, {
            onprogress: p => seen.push(p.progress)
        });
        return { text: text(result), seen };
    });
    await step('cancel', async () => {
        const abort = new AbortController();
        const call = client.callTool({ name: 'wait', arguments: { ms: 60000 } }, undefined, {
            signal: abort.signal,
            onprogress: () => abort.abort('the host gave up')
        });
        let outcome;
        try {
            outcome = `answered: ${text(await call)}`;
        } catch (e) {
            outcome = abort.signal.aborted ? 'aborted' : `failed: ${e.message}`;
        }
        // The server's side: its wait saw the request cancelled.
        const waits = text(await client.callTool({ name: 'cancelled-waits', arguments: { atLeast: 1 } }));
        return { outcome, waits };
    });
    await step('listChanged', async () => {
        await client.callTool({ name: 'touch-tools', arguments: {} });
        return await toolsChangedOnce;
    });
    report.asked = asked;
} catch (e) {
    report.errors.push(`connect: ${e.message}`);
}

try {
    await bounded(client.close(), 'close');
} catch (e) {
    report.errors.push(`close: ${e.message}`);
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.errors.length === 0 ? 0 : 1);
