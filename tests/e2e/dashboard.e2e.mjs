#!/usr/bin/env node
// End-to-end test of the `mcpauth gateway` dashboard in headless Chromium
// (playwright-core, pinned in package-lock.json; the browser is Debian's
// /usr/bin/chromium). It starts tests/peers/oidc-server.mjs (an MCP server
// behind oidc-provider) and the real `mcpauth gateway` ($MCPAUTH_CLI_PATH)
// with a private HOME/XDG dirs and config file, then, as a user would:
// probes the MCP URL in the add-server form, clicks "Add & Authorize", signs
// in and consents on the provider's own pages in the tab that opens, and
// checks that the dashboard row turns "authorized" by itself (no reload) with
// the tool list, then logs out, checks the refusals of bad Origin/Host/CSRF,
// and removes the server. Screenshots and logs go to tests/e2e/artifacts/.
//
//   MCPAUTH_CLI_PATH=build/mcpauth node tests/e2e/dashboard.e2e.mjs
//
// Environment: MCPAUTH_CLI_PATH (required), MCPAUTH_E2E_CHROMIUM (default
// /usr/bin/chromium), MCPAUTH_E2E_ARTIFACTS (default tests/e2e/artifacts),
// MCPAUTH_E2E_HEADED=1 (show the browser, for debugging).
//
// Synchronisation is by events only: the peers' LISTENING lines and
// Playwright's auto-waiting locators / waitForFunction; no sleeps.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PEERS = path.resolve(HERE, '../peers');
const ARTIFACTS = path.resolve(process.env.MCPAUTH_E2E_ARTIFACTS ?? path.join(HERE, 'artifacts'));
const CHROMIUM = process.env.MCPAUTH_E2E_CHROMIUM ?? '/usr/bin/chromium';
const CLI = process.env.MCPAUTH_CLI_PATH;
const SERVER_NAME = 'demo';
const STEP_TIMEOUT_MS = 30_000;

// ---- preconditions: fail loudly, never skip -----------------------------

function precondition(ok, message) {
    if (!ok) {
        process.stderr.write(`e2e.dashboard: ${message}\n`);
        process.exit(1);
    }
}

precondition(CLI, 'MCPAUTH_CLI_PATH is not set: give the path of the mcpauth binary (ctest sets it)');
precondition(existsSync(CLI), `MCPAUTH_CLI_PATH=${CLI} does not exist: build the mcpauth_cli target first`);
let chromiumOk = false;
try {
    accessSync(CHROMIUM, constants.X_OK);
    chromiumOk = true;
} catch {
    chromiumOk = false;
}
precondition(chromiumOk, `${CHROMIUM} is missing or not executable: install Debian's chromium ` +
    '(scripts/install-deps.sh does: apt-get install chromium chromium-driver), or set MCPAUTH_E2E_CHROMIUM');
precondition(existsSync(path.join(PEERS, 'node_modules', 'oidc-provider')),
    'tests/peers/node_modules is missing: run scripts/install-deps.sh (npm ci in tests/peers)');
let chromium;
try {
    ({ chromium } = await import('playwright-core'));
} catch (error) {
    precondition(false, `playwright-core is not installed (${error.message}): run scripts/install-deps.sh (npm ci in tests/e2e)`);
}

// ---- processes -------------------------------------------------------------

const children = [];

// Starts a process that prints `LISTENING <port>` on stdout once ready; its
// stdin stays an open pipe (the peers exit when it closes). Resolves to
// {child, port, log()}. Rejects if the process exits first.
function startListening(name, command, args, options = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
        const entry = { name, child, stderr: '', stdout: '' };
        children.push(entry);
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', chunk => {
            entry.stderr += chunk;
        });
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', chunk => {
            entry.stdout += chunk;
            const match = /^LISTENING (\d+)$/m.exec(entry.stdout);
            if (match && !entry.port) {
                entry.port = Number(match[1]);
                resolve(entry);
            }
        });
        child.on('error', reject);
        child.on('exit', (code, signal) => {
            entry.exited = { code, signal };
            if (!entry.port) reject(new Error(`${name} exited (${code ?? signal}) before LISTENING:\n${entry.stderr}`));
        });
    });
}

function stopAll() {
    for (const { child } of children) {
        if (child.exitCode === null && child.signalCode === null) {
            child.stdin.end();
            child.kill('SIGTERM');
        }
    }
}

function writeLogs() {
    for (const { name, stderr } of children) writeFileSync(path.join(ARTIFACTS, `${name}.log`), stderr);
}

// Raw HTTP, for headers a page cannot set (Host, Origin).
function rawRequest(port, { method = 'GET', pathname, headers = {}, body }) {
    return new Promise((resolve, reject) => {
        const request = http.request({ host: '127.0.0.1', port, method, path: pathname, headers }, response => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', chunk => {
                text += chunk;
            });
            response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, text }));
        });
        request.on('error', reject);
        request.end(body);
    });
}

async function getJson(port, pathname) {
    const response = await rawRequest(port, { pathname });
    assert.equal(response.status, 200, `GET ${pathname}: ${response.text}`);
    return JSON.parse(response.text);
}

// ---- fixture ---------------------------------------------------------------

const fx = {};
let shot = 0;

async function screenshot(page, name) {
    shot += 1;
    const file = path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    fx.screenshots.push(path.relative(process.cwd(), file));
}

before(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    fx.screenshots = [];
    fx.tmp = mkdtempSync(path.join(os.tmpdir(), 'mcpauth-e2e-'));
    for (const dir of ['home', 'data', 'config']) mkdirSync(path.join(fx.tmp, dir));
    fx.config = path.join(fx.tmp, 'gateway-config.json');
    writeFileSync(fx.config, `${JSON.stringify({ mcpServers: {} }, null, 2)}\n`);

    fx.peer = await startListening('oidc-server', process.execPath, [path.join(PEERS, 'oidc-server.mjs')],
        { cwd: PEERS });
    fx.mcpUrl = `http://127.0.0.1:${fx.peer.port}/mcp`;

    const env = fx.env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: path.join(fx.tmp, 'home'),
        XDG_DATA_HOME: path.join(fx.tmp, 'data'),
        XDG_CONFIG_HOME: path.join(fx.tmp, 'config'),
        MCPAUTH_KEYRING: 'off',
        // The gateway never opens a browser; make sure nothing could.
        BROWSER: '/bin/false'
    };
    for (const name of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TMPDIR']) {
        if (process.env[name] !== undefined) env[name] = process.env[name];
    }
    fx.gateway = await startListening('gateway', CLI, ['gateway', '--config', fx.config, '--listen', '127.0.0.1:0'], { env });
    fx.origin = `http://127.0.0.1:${fx.gateway.port}`;

    fx.browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: process.env.MCPAUTH_E2E_HEADED !== '1',
        args: ['--no-sandbox']
    });
    // 1024 px: the narrowest window the dashboard must fit without hiding its actions.
    fx.context = await fx.browser.newContext({ viewport: { width: 1024, height: 800 } });
    await fx.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fx.origin });
    fx.context.setDefaultTimeout(STEP_TIMEOUT_MS);
    // Nothing leaves 127.0.0.1/localhost (oidc-provider's pages @import a
    // web font; the dashboard must not load anything external at all).
    fx.external = [];
    await fx.context.route(url => !['127.0.0.1', 'localhost'].includes(url.hostname), route => {
        fx.external.push({ url: route.request().url(), from: route.request().frame()?.url() ?? '' });
        return route.abort();
    });
    fx.page = await fx.context.newPage();
    fx.consoleErrors = [];
    fx.page.on('console', message => {
        if (message.type() === 'error') fx.consoleErrors.push(message.text());
    });
    fx.page.on('pageerror', error => fx.consoleErrors.push(String(error)));
});

after(async () => {
    try {
        if (fx.browser) await fx.browser.close();
    } finally {
        stopAll();
        writeLogs();
        if (fx.tmp) rmSync(fx.tmp, { recursive: true, force: true });
        if (fx.screenshots?.length) process.stderr.write(`e2e.dashboard: screenshots:\n  ${fx.screenshots.join('\n  ')}\n`);
    }
});

const row = () => fx.page.locator(`tr[data-server="${SERVER_NAME}"]`);
const cell = field => row().locator(`[data-field="${field}"]`);

// ---- tests -----------------------------------------------------------------

test('add & authorize through the real consent pages, live row, tools, log out', async () => {
    const { page, context } = fx;
    const response = await page.goto(`${fx.origin}/`);
    assert.equal(response.status(), 200);
    // Live updates come from the event stream, not from polling.
    await page.locator('#connection[data-connection="live"]').waitFor();
    await page.evaluate(() => {
        window.e2eNotReloaded = true;
    });
    await screenshot(page, 'dashboard-empty');

    // Probe the URL: OAuth.
    await page.getByLabel('MCP server URL').fill(fx.mcpUrl);
    await page.getByRole('button', { name: 'Probe', exact: true }).click();
    await page.locator('#probe-result[data-needs="oauth"]').waitFor();
    assert.match(await page.locator('#probe-result').textContent(), /OAuth/);
    await page.getByLabel('Name', { exact: true }).fill(SERVER_NAME);
    await screenshot(page, 'probed-oauth');

    // Add & Authorize: the provider opens in a new tab.
    const popupPromise = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Add & Authorize', exact: true }).click();
    const popup = await popupPromise;
    popup.setDefaultTimeout(STEP_TIMEOUT_MS);
    await page.locator(`tr[data-server="${SERVER_NAME}"][data-state="authorizing"]`).waitFor();
    await screenshot(page, 'dashboard-waiting-for-consent');

    // oidc-provider's dev login form (any name, any password)...
    await popup.waitForURL(/^https?:/);
    const asOrigin = new URL(popup.url()).origin;
    const login = popup.locator('input[name="login"]');
    await login.waitFor();
    assert.notEqual(asOrigin, fx.origin, 'the authorization page is on the authorization server');
    await login.fill('e2e-user');
    await popup.locator('input[name="password"]').fill('any password');
    await screenshot(popup, 'provider-login');
    await popup.getByRole('button', { name: 'Sign-in' }).click();

    // ... then its consent form.
    const consent = popup.getByRole('button', { name: 'Continue' });
    await consent.waitFor();
    await screenshot(popup, 'provider-consent');
    await consent.click();

    // The tab ends on the gateway's callback page.
    await popup.waitForURL(url => url.origin === fx.origin && url.pathname === '/oauth/callback');
    await popup.waitForLoadState('load');
    const callbackText = await popup.locator('body').innerText();
    assert.match(callbackText, /Authorized/);
    const code = new URL(popup.url()).searchParams.get('code');
    fx.code = code;
    assert.ok(code, 'the callback got a code');
    assert.ok(!callbackText.includes(code), 'the callback page does not show the code');
    await screenshot(popup, 'callback-page');

    // The dashboard row turned "authorized" by itself, with the tools.
    await page.locator(`tr[data-server="${SERVER_NAME}"][data-state="authorized"]`).waitFor();
    assert.equal(await page.evaluate(() => window.e2eNotReloaded), true, 'the dashboard was not reloaded');
    assert.equal((await cell('state').textContent()).trim(), 'authorized');
    assert.match(await cell('expires').textContent(), /^in \d+ min$/);
    assert.equal(await cell('issuer').textContent(), `${asOrigin}/oidc`);
    assert.match(await cell('scopes').textContent(), /mcp:tools/);
    assert.notEqual(await cell('client_type').textContent(), '—');
    const tools = page.locator(`[data-tools-for="${SERVER_NAME}"]`);
    await tools.locator('dt[data-tool="echo"]').waitFor();
    await tools.locator('dt[data-tool="add"]').waitFor();
    assert.equal(await tools.locator('dd[data-tool-description="echo"]').textContent(), 'Returns the given text.');
    assert.equal(await tools.locator('dd[data-tool-description="add"]').textContent(), 'Returns a + b.');
    const listed = await tools.locator('dt[data-tool]').count();
    await page.waitForFunction(([selector, count]) => document.querySelector(selector)?.textContent === String(count),
        [`tr[data-server="${SERVER_NAME}"] [data-field="tools"]`, listed]);
    await screenshot(page, 'dashboard-authorized');

    // At 1024 px the whole row is in view: no horizontal scrolling, every action inside the window.
    const fit = await page.evaluate(name => {
        const wrap = document.querySelector('.table-wrap');
        const buttons = [...document.querySelectorAll(`tr[data-server="${name}"] [data-field="actions"] button`)];
        return {
            overflow: wrap.scrollWidth - wrap.clientWidth,
            page: document.documentElement.scrollWidth - window.innerWidth,
            outside: buttons.filter(b => b.getBoundingClientRect().right > window.innerWidth).map(b => b.textContent),
            buttons: buttons.length
        };
    }, SERVER_NAME);
    assert.deepEqual(fit, { overflow: 0, page: 0, outside: [], buttons: 4 }, JSON.stringify(fit));

    // The local endpoint a host uses, and its Copy button.
    const endpoint = `${fx.origin}/servers/${SERVER_NAME}/mcp`;
    assert.equal(await cell('endpoint').textContent(), endpoint);
    await row().getByRole('button', { name: 'Copy', exact: true }).click();
    await page.locator('#status', { hasText: `Copied ${endpoint}` }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), endpoint);
    // The redirect URI to register for a pre-registered client is the full one.
    assert.equal(await page.locator('#redirect-uri').textContent(), `${fx.origin}/oauth/callback`);

    // Nothing secret on the page.
    const html = await page.content();
    assert.ok(!html.includes(code), 'the dashboard does not contain the code');

    // Log out: revoked at the provider, the row needs authorization again.
    await row().getByRole('button', { name: 'Log out', exact: true }).click();
    await page.locator(`tr[data-server="${SERVER_NAME}"][data-state="needs_authorization"]`).waitFor();
    assert.equal((await cell('state').textContent()).trim(), 'needs authorization');
    await row().getByRole('button', { name: 'Authorize', exact: true }).waitFor();
    // The keyboard focus stays in the row ("Log out" is gone: on its first button).
    await page.waitForFunction(name => document.activeElement?.closest('tr')?.dataset.server === name, SERVER_NAME);
    assert.equal(await cell('tools').textContent(), '—', 'no tool count without a grant');
    await tools.locator('dt[data-tool]').first().waitFor({ state: 'detached' });
    await screenshot(page, 'dashboard-logged-out');
    const events = await getJson(fx.peer.port, '/test/as-events');
    assert.ok(events.some(event => event.event === 'revocation.success' && event.grant_revoked === true),
        `the provider revoked the grant: ${JSON.stringify(events.map(event => event.event))}`);

    assert.deepEqual(fx.external.filter(request => request.from.startsWith(fx.origin)), [],
        'the dashboard loads nothing from outside');
    assert.deepEqual(fx.consoleErrors, [], 'no errors (CSP violations included) in the dashboard console');
    await popup.close();
});

test('bad Origin, bad Host and missing or wrong CSRF token are refused', async () => {
    const { page } = fx;
    const reconnect = `/api/servers/${SERVER_NAME}/reconnect`;
    const statuses = await page.evaluate(async pathname => {
        const post = headers => fetch(pathname, { method: 'POST', headers }).then(response => response.status);
        const state = await fetch('/api/state').then(response => response.json());
        return {
            noToken: await post({}),
            wrongToken: await post({ 'X-CSRF-Token': 'not-the-token' }),
            rightToken: await post({ 'X-CSRF-Token': state.csrf }),
            csrf: state.csrf
        };
    }, reconnect);
    assert.equal(statuses.noToken, 403, 'POST without X-CSRF-Token');
    assert.equal(statuses.wrongToken, 403, 'POST with a wrong X-CSRF-Token');
    assert.notEqual(statuses.rightToken, 403, 'POST with the right X-CSRF-Token is not refused');

    // Headers a page cannot forge: from here.
    const port = fx.gateway.port;
    const foreignOrigin = await rawRequest(port, {
        method: 'POST', pathname: reconnect,
        headers: { Origin: 'http://evil.example', 'X-CSRF-Token': statuses.csrf }
    });
    assert.equal(foreignOrigin.status, 403, `POST with Origin http://evil.example: ${foreignOrigin.text}`);
    const foreignOriginGet = await rawRequest(port, { pathname: '/api/state', headers: { Origin: `http://127.0.0.1:${fx.peer.port}` } });
    assert.equal(foreignOriginGet.status, 403, 'GET /api/state with another local origin');
    const rebinding = await rawRequest(port, { pathname: '/api/state', headers: { Host: `evil.example:${port}` } });
    assert.equal(rebinding.status, 421, 'a foreign Host (DNS rebinding)');
    const ownOrigin = await rawRequest(port, { pathname: '/api/state', headers: { Origin: fx.origin } });
    assert.equal(ownOrigin.status, 200, 'GET /api/state with the own Origin');

    // A page on another origin (the MCP peer) cannot read the API.
    const other = await fx.context.newPage();
    await other.goto(`http://127.0.0.1:${fx.peer.port}/test/rs-requests`);
    const crossOrigin = await other.evaluate(async url => {
        try {
            const response = await fetch(url);
            return `read ${response.status}`;
        } catch {
            return 'blocked';
        }
    }, `${fx.origin}/api/state`);
    assert.equal(crossOrigin, 'blocked');
    await other.close();
});

test('Remove asks first, revokes and deletes the server from the config file', async () => {
    const { page } = fx;
    let dialogs = 0;
    page.once('dialog', dialog => {
        dialogs += 1;
        assert.equal(dialog.type(), 'confirm');
        assert.match(dialog.message(), new RegExp(`Remove ${SERVER_NAME}\\?`));
        return dialog.accept();
    });
    await row().getByRole('button', { name: 'Remove', exact: true }).click();
    await row().waitFor({ state: 'detached' });
    assert.equal(dialogs, 1);
    await page.locator(`[data-tools-for="${SERVER_NAME}"]`).waitFor({ state: 'detached' });
    await screenshot(page, 'dashboard-removed');
    const config = JSON.parse(readFileSync(fx.config, 'utf8'));
    assert.equal(config.mcpServers?.[SERVER_NAME], undefined, `the config file still names ${SERVER_NAME}: ${JSON.stringify(config)}`);
});

test('an abandoned Add & Authorize leaves nothing configured', async () => {
    const { page, context } = fx;
    const name = 'abandoned';
    await page.getByLabel('MCP server URL').fill(fx.mcpUrl);
    await page.getByRole('button', { name: 'Probe', exact: true }).click();
    await page.locator('#probe-result[data-needs="oauth"]').waitFor();
    await page.getByLabel('Name', { exact: true }).fill(name);
    const popupPromise = context.waitForEvent('page');
    await page.getByRole('button', { name: 'Add & Authorize', exact: true }).click();
    const popup = await popupPromise;
    popup.setDefaultTimeout(STEP_TIMEOUT_MS);
    // The user gives up on the provider's page: [ Cancel ] (access_denied).
    await popup.getByRole('link', { name: '[ Cancel ]' }).click();
    await popup.waitForURL(url => url.origin === fx.origin && url.pathname === '/oauth/callback');
    assert.equal(new URL(popup.url()).searchParams.get('error'), 'access_denied');
    await popup.waitForLoadState('load');
    fx.deniedCallbackText = await popup.locator('body').innerText();
    await screenshot(popup, 'callback-page-denied');
    await page.locator('#status[data-kind="error"]', { hasText: `authorization of ${name} did not complete` }).waitFor();
    assert.equal(await page.locator(`tr[data-server="${name}"]`).count(), 0);
    await screenshot(page, 'dashboard-abandoned');
    const config = JSON.parse(readFileSync(fx.config, 'utf8'));
    assert.equal(config.mcpServers?.[name], undefined, `the config file still names ${name}: ${JSON.stringify(config)}`);
    await popup.close();
});

test('the callback page of a denied authorization does not say "Authorized"', () => {
    assert.ok(fx.deniedCallbackText, 'the abandoned flow reached the callback');
    assert.match(fx.deniedCallbackText, /Not authorized/);
    assert.doesNotMatch(fx.deniedCallbackText, /\bAuthorized\b/);
});

test('behind an API key: the dashboard asks for it once, then polls /api/state', async () => {
    const key = 'e2e-api-key-0123456789abcdef';
    const keyed = await startListening('gateway-api-key', CLI,
        ['gateway', '--config', path.join(fx.tmp, 'keyed-config.json'), '--listen', '127.0.0.1:0', '--api-key-env', 'MCPAUTH_E2E_GATEWAY_KEY'],
        { env: { ...fx.env, MCPAUTH_E2E_GATEWAY_KEY: key } });
    const page = await fx.context.newPage();
    try {
        await page.goto(`http://127.0.0.1:${keyed.port}/`);
        const input = page.getByRole('textbox', { name: 'API key' });
        await input.fill('not-the-key-0123456789');
        await page.getByRole('button', { name: 'Use key', exact: true }).click();
        await page.locator('#status[data-kind="error"]', { hasText: 'refused that API key' }).waitFor();
        await input.fill(key);
        await page.getByRole('button', { name: 'Use key', exact: true }).click();
        // EventSource cannot send the key: polling instead.
        await page.locator('#connection[data-connection="polling"]').waitFor();
        await page.locator('#api-key-section').waitFor({ state: 'hidden' });
        // A POST with both the CSRF token and the key goes through.
        await page.getByLabel('MCP server URL').fill(fx.mcpUrl);
        await page.getByRole('button', { name: 'Probe', exact: true }).click();
        await page.locator('#probe-result[data-needs="oauth"]').waitFor();
        await screenshot(page, 'api-key-polling');
        // Kept for the tab only, not asked again after a reload.
        await page.reload();
        await page.locator('#connection[data-connection="polling"]').waitFor();
        assert.equal(await page.locator('#api-key-section').isHidden(), true);
    } finally {
        await page.close();
    }
});

test('the gateway stops cleanly on SIGTERM, its log free of sanitizer reports and secrets', async () => {
    const { child } = fx.gateway;
    const exited = fx.gateway.exited
        ? Promise.resolve(fx.gateway.exited)
        : new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.ok(code === 0 || signal === 'SIGTERM', `the gateway exited with ${code ?? signal}:\n${fx.gateway.stderr.slice(-4000)}`);
    assert.doesNotMatch(fx.gateway.stderr, /AddressSanitizer|LeakSanitizer|runtime error:/);
    assert.ok(!fx.code || !fx.gateway.stderr.includes(fx.code), 'the gateway log does not contain the code');
});
