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
// and removes the server. Screenshots and logs go to tests/e2e/artifacts/dashboard/.
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
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
    CLI, PEERS, STEP_TIMEOUT_MS, consentAtProvider, getJson, launchBrowser, prepare, privateEnv, rawRequest, screenshotter,
    startListening, stopAll, stopGatewayCleanly, writeLogs
} from './harness.mjs';

const SERVER_NAME = 'demo';
const { chromium, artifacts: ARTIFACTS } = await prepare('e2e.dashboard', 'dashboard');

// ---- fixture ---------------------------------------------------------------

const fx = { screenshots: [] };
const screenshot = screenshotter(ARTIFACTS, fx.screenshots);

before(async () => {
    fx.tmp = mkdtempSync(path.join(os.tmpdir(), 'mcpauth-e2e-'));
    fx.config = path.join(fx.tmp, 'gateway-config.json');
    writeFileSync(fx.config, `${JSON.stringify({ mcpServers: {} }, null, 2)}\n`);

    fx.peer = await startListening('oidc-server', process.execPath, [path.join(PEERS, 'oidc-server.mjs')],
        { cwd: PEERS });
    fx.mcpUrl = `http://127.0.0.1:${fx.peer.port}/mcp`;

    const env = fx.env = privateEnv(fx.tmp);
    fx.gateway = await startListening('gateway', CLI, ['gateway', '--config', fx.config, '--listen', '127.0.0.1:0'], { env });
    fx.origin = `http://127.0.0.1:${fx.gateway.port}`;

    ({ browser: fx.browser, context: fx.context, external: fx.external } = await launchBrowser(chromium));
    await fx.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fx.origin });
    // Nothing leaves 127.0.0.1/localhost (oidc-provider's pages @import a
    // web font; the dashboard must not load anything external at all).
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
        writeLogs(ARTIFACTS);
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
    assert.notEqual(asOrigin, fx.origin, 'the authorization page is on the authorization server');
    await consentAtProvider(popup, 'e2e-user', screenshot);

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
    await stopGatewayCleanly(fx.gateway, [fx.code]);
});
