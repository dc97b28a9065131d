#!/usr/bin/env node
// End-to-end test of a host that embeds "Add & Authorize" in its own
// settings page through the gateway's API (docs/gateway.md: POST
// /api/servers/NAME/authorize with return_to, GET .../status), in headless
// Chromium against the real `mcpauth gateway` with users in its store and
// tests/peers/oidc-server.mjs (an MCP server behind oidc-provider).
//
// The host is a small web app started here: its page shows the server's
// state as a chip and has an Authorize button; its backend holds the user's
// gateway API key (never the page) and calls the gateway. The browser goes
// from the host's page to the provider's real login and consent pages, through
// the gateway's /oauth/callback, and back to the host's page (303 to
// return_to), whose chip then reads "authorized". Then: the other user's
// state is untouched, each user's dashboard at 1024 px shows only their own
// row, and the gateway's log holds no code or key.
//
//   MCPAUTH_CLI_PATH=build/mcpauth node tests/e2e/host_embed.e2e.mjs
//
// Synchronisation is by events only (LISTENING lines, Playwright's
// auto-waiting locators); no sleeps.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import {
    CLI, PEERS, consentAtProvider, getJson, launchBrowser, prepare, privateEnv, rawRequest, run, screenshotter,
    startListening, stopAll, stopGatewayCleanly, writeLogs
} from './harness.mjs';

const SERVER_NAME = 'demo';
const RETURN_PATH = '/settings/connected-apps';
const { chromium, artifacts } = await prepare('e2e.host-embed', 'host-embed');

const fx = { screenshots: [], hostCalls: [] };
const screenshot = screenshotter(artifacts, fx.screenshots);

async function addUser(name) {
    const added = await run(CLI, ['users', 'add', name], { env: fx.env });
    assert.equal(added.code, 0, `users add ${name}: ${added.stderr}`);
    const key = added.stdout.trim();
    assert.match(key, /^mcpa_\S{20,}$/, 'users add prints the key alone');
    return key;
}

// The gateway API as the host's backend calls it, with the user's key.
async function gatewayApi(user, method, pathname, body) {
    const headers = { Authorization: `Bearer ${fx.keys[user]}` };
    if (method !== 'GET') {
        // State-changing requests carry the CSRF token /api/state gives.
        headers['X-CSRF-Token'] = (await getJson(fx.gateway.port, '/api/state', headers)).csrf;
        headers['Content-Type'] = 'application/json';
    }
    const response = await rawRequest(fx.gateway.port, { method, pathname, headers, body: body && JSON.stringify(body) });
    fx.hostCalls.push(`${method} ${pathname} -> ${response.status}`);
    return response;
}

// The host's page: the chip and the button. The key stays in the backend.
const HOST_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example host: connected apps</title></head>
<body><h1>Connected apps</h1>
<p>${SERVER_NAME}: <span id="chip" data-state="">loading</span></p>
<button id="authorize" type="button">Add &amp; Authorize</button>
<p id="problem"></p>
<script>
const chip = document.getElementById('chip');
async function refresh() {
  const status = await (await fetch('/host-api/status')).json();
  chip.textContent = status.state;
  chip.dataset.state = status.state;
}
document.getElementById('authorize').addEventListener('click', async () => {
  const answer = await (await fetch('/host-api/authorize', { method: 'POST' })).json();
  if (answer.authorization_url) location.assign(answer.authorization_url);
  else document.getElementById('problem').textContent = JSON.stringify(answer);
});
refresh();
</script></body></html>
`;

function startHost() {
    const server = http.createServer(async (req, res) => {
        try {
            const url = new URL(req.url, 'http://host.invalid');
            if (req.method === 'GET' && url.pathname === RETURN_PATH) {
                fx.hostPageVisits.push(url.search);
                res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
                res.end(HOST_PAGE);
            } else if (req.method === 'GET' && url.pathname === '/host-api/status') {
                const status = await gatewayApi('alice', 'GET', `/api/servers/${SERVER_NAME}/status`);
                res.writeHead(status.status, { 'Content-Type': 'application/json' });
                res.end(status.text);
            } else if (req.method === 'POST' && url.pathname === '/host-api/authorize') {
                const started = await gatewayApi('alice', 'POST', `/api/servers/${SERVER_NAME}/authorize`,
                    { return_to: `${fx.hostOrigin}${RETURN_PATH}` });
                res.writeHead(started.status, { 'Content-Type': 'application/json' });
                res.end(started.text);
            } else {
                res.writeHead(404).end();
            }
        } catch (error) {
            res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error));
        }
    });
    return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
    fx.tmp = mkdtempSync(path.join(os.tmpdir(), 'mcpauth-e2e-host-'));
    fx.env = privateEnv(fx.tmp);
    fx.hostPageVisits = [];
    fx.peer = await startListening('oidc-server', process.execPath, [path.join(PEERS, 'oidc-server.mjs')], { cwd: PEERS });
    fx.keys = { alice: await addUser('alice'), bob: await addUser('bob') };

    fx.host = await startHost();
    fx.hostOrigin = `http://127.0.0.1:${fx.host.address().port}`;
    fx.config = path.join(fx.tmp, 'gateway-config.json');
    writeFileSync(fx.config, `${JSON.stringify({ mcpServers: { [SERVER_NAME]: { url: `http://127.0.0.1:${fx.peer.port}/mcp` } } }, null, 2)}\n`);
    fx.gateway = await startListening('gateway', CLI, [
        'gateway', '--config', fx.config, '--listen', '127.0.0.1:0',
        '--allowed-return-url', `${fx.hostOrigin}/settings/`
    ], { env: fx.env });
    fx.origin = `http://127.0.0.1:${fx.gateway.port}`;

    ({ browser: fx.browser, context: fx.context, external: fx.external } = await launchBrowser(chromium));
    fx.page = await fx.context.newPage();
    fx.consoleErrors = [];
    // The host's page and the gateway's own must log no error; the provider's
    // pages (in the same tab for a while) load a web font that is refused here.
    const ours = () => [fx.hostOrigin, fx.origin].includes(new URL(fx.page.url()).origin);
    fx.page.on('console', message => {
        if (message.type() === 'error' && ours()) fx.consoleErrors.push(`${fx.page.url()}: ${message.text()}`);
    });
    fx.page.on('pageerror', error => {
        if (ours()) fx.consoleErrors.push(String(error));
    });
});

after(async () => {
    try {
        if (fx.browser) await fx.browser.close();
    } finally {
        fx.host?.close();
        stopAll();
        writeLogs(artifacts);
        writeFileSync(path.join(artifacts, 'host-calls.log'), `${fx.hostCalls.join('\n')}\n`);
        if (fx.tmp) rmSync(fx.tmp, { recursive: true, force: true });
        if (fx.screenshots.length) process.stderr.write(`e2e.host-embed: screenshots:\n  ${fx.screenshots.join('\n  ')}\n`);
    }
});

test('a host page authorizes through the API and gets its user back with return_to', async () => {
    const { page } = fx;
    const chip = page.locator('#chip');
    await page.goto(`${fx.hostOrigin}${RETURN_PATH}`);
    await page.locator('#chip[data-state="needs_authorization"]').waitFor();
    await screenshot(page, 'host-needs-authorization');

    // Where the browser goes: the provider, the gateway's callback, the host.
    // Every hop of the tab's navigations, redirects included (each is a request of its own).
    const visited = [];
    page.on('request', request => {
        if (request.isNavigationRequest() && request.frame() === page.mainFrame()) visited.push(request.url());
    });
    await page.getByRole('button', { name: 'Add & Authorize' }).click();
    await page.waitForURL(url => url.origin !== fx.hostOrigin);
    const asOrigin = new URL(page.url()).origin;
    assert.notEqual(asOrigin, fx.origin, 'the consent page is on the authorization server');
    await consentAtProvider(page, 'alice-at-provider', screenshot);

    // Back on the host's page, whose chip reads "authorized".
    await page.waitForURL(url => url.origin === fx.hostOrigin && url.pathname === RETURN_PATH);
    await page.locator('#chip[data-state="authorized"]').waitFor();
    assert.equal(await chip.textContent(), 'authorized');
    await screenshot(page, 'host-authorized');
    const callback = visited.map(url => new URL(url)).find(url => url.origin === fx.origin);
    assert.ok(callback, `the browser passed through the gateway: ${visited.join(' ')}`);
    assert.equal(callback.pathname, '/oauth/callback');
    fx.code = callback.searchParams.get('code');
    assert.ok(fx.code, 'the callback carried a code');
    assert.equal(new URL(page.url()).search, '', 'the host gets no code, state or token in its URL');
    assert.ok(!(await page.content()).includes(fx.code), 'the host page shows no code');

    // The status the host shows: alice's grant, with expiry and scopes.
    const alice = JSON.parse((await gatewayApi('alice', 'GET', `/api/servers/${SERVER_NAME}/status`)).text);
    assert.equal(alice.state, 'authorized');
    assert.equal(alice.user, 'alice');
    assert.ok(alice.expires_at, 'an expiry is reported');
    assert.match(JSON.stringify(alice.scopes), /mcp:tools/);
    // bob's is untouched: one user's consent is never another's grant.
    const bob = JSON.parse((await gatewayApi('bob', 'GET', `/api/servers/${SERVER_NAME}/status`)).text);
    assert.equal(bob.state, 'needs_authorization');
    assert.equal(bob.user, 'bob');

    // alice's key reaches the server's tools through her own endpoint.
    const mcp = (body, session) => rawRequest(fx.gateway.port, {
        method: 'POST',
        pathname: `/servers/${SERVER_NAME}/mcp`,
        headers: {
            Authorization: `Bearer ${fx.keys.alice}`,
            'Content-Type': 'application/json',
            Accept: 'application/json, text/event-stream',
            ...(session ? { 'Mcp-Session-Id': session, 'Mcp-Protocol-Version': '2025-06-18' } : {})
        },
        body: JSON.stringify(body)
    });
    const initialized = await mcp({
        jsonrpc: '2.0', id: 1, method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e-host', version: '1' } }
    });
    assert.equal(initialized.status, 200, initialized.text);
    const session = initialized.headers['mcp-session-id'];
    assert.ok(session, 'the gateway gave a session');
    assert.equal((await mcp({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status, 202);
    const tools = await mcp({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, session);
    assert.equal(tools.status, 200, tools.text);
    assert.match(tools.text, /"echo"/);
});

test('a return_to outside the allowed prefixes is refused and starts nothing', async () => {
    const refused = await gatewayApi('bob', 'POST', `/api/servers/${SERVER_NAME}/authorize`,
        { return_to: `${fx.hostOrigin}/elsewhere` });
    assert.equal(refused.status, 400, refused.text);
    assert.match(JSON.parse(refused.text).error.message, /allowed return URLs/);
    const bob = JSON.parse((await gatewayApi('bob', 'GET', `/api/servers/${SERVER_NAME}/status`)).text);
    assert.equal(bob.state, 'needs_authorization', 'nothing started for bob');
});

test("each user's dashboard at 1024 px shows their own row only, its actions inside the window", async () => {
    for (const [user, state] of [['alice', 'authorized'], ['bob', 'needs_authorization']]) {
        const context = await fx.browser.newContext({ viewport: { width: 1024, height: 800 } });
        const page = await context.newPage();
        try {
            await page.goto(`${fx.origin}/`);
            await page.getByRole('textbox', { name: 'API key' }).fill(fx.keys[user]);
            await page.getByRole('button', { name: 'Use key', exact: true }).click();
            await page.locator(`tr[data-server="${SERVER_NAME}"][data-state="${state}"]`).waitFor();
            await screenshot(page, `dashboard-${user}`);
            const seen = await page.evaluate(name => {
                const rows = [...document.querySelectorAll('tr[data-server]')];
                const wrap = document.querySelector('.table-wrap');
                const buttons = [...document.querySelectorAll(`tr[data-server="${name}"] [data-field="actions"] button`)];
                return {
                    rows: rows.length,
                    overflow: wrap.scrollWidth - wrap.clientWidth,
                    page: document.documentElement.scrollWidth - window.innerWidth,
                    outside: buttons.filter(b => b.getBoundingClientRect().right > window.innerWidth).map(b => b.textContent)
                };
            }, SERVER_NAME);
            assert.deepEqual(seen, { rows: 1, overflow: 0, page: 0, outside: [] }, `${user}: ${JSON.stringify(seen)}`);
            const html = await page.content();
            assert.ok(!html.includes(fx.keys.alice) && !html.includes(fx.keys.bob), 'no API key in the page');
            assert.ok(!fx.code || !html.includes(fx.code), 'no code in the page');
        } finally {
            await context.close();
        }
    }
});

test('nothing left 127.0.0.1, no console errors, and the gateway stops cleanly with a clean log', async () => {
    assert.deepEqual(fx.external.filter(request => request.from.startsWith(fx.origin) || request.from.startsWith(fx.hostOrigin)), [],
        'neither page loads anything from outside');
    assert.deepEqual(fx.consoleErrors, [], 'no errors in the host page console');
    await stopGatewayCleanly(fx.gateway, [fx.code, fx.keys.alice, fx.keys.bob]);
});
