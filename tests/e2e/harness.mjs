// What the e2e tests of tests/e2e share: their preconditions (the binary,
// Chromium, the npm peers; a missing one fails the test, never skips it),
// the processes they start (each prints `LISTENING <port>` once ready),
// raw HTTP for what a page cannot send, the private environment a gateway
// runs in, the browser (1024 px, nothing reachable but 127.0.0.1/localhost)
// and numbered screenshots.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PEERS = path.resolve(HERE, '../peers');
export const CHROMIUM = process.env.MCPAUTH_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const CLI = process.env.MCPAUTH_CLI_PATH;
export const STEP_TIMEOUT_MS = 30_000;

// The e2e test `name` (its ctest name): checks what it needs and loads
// playwright-core. Resolves to { chromium, artifacts }.
export async function prepare(name, artifactsDir) {
    const fail = message => {
        process.stderr.write(`${name}: ${message}\n`);
        process.exit(1);
    };
    if (!CLI) fail('MCPAUTH_CLI_PATH is not set: give the path of the mcpauth binary (ctest sets it)');
    if (!existsSync(CLI)) fail(`MCPAUTH_CLI_PATH=${CLI} does not exist: build the mcpauth_cli target first`);
    try {
        accessSync(CHROMIUM, constants.X_OK);
    } catch {
        fail(`${CHROMIUM} is missing or not executable: install Debian's chromium ` +
            '(scripts/install-deps.sh does: apt-get install chromium chromium-driver), or set MCPAUTH_E2E_CHROMIUM');
    }
    if (!existsSync(path.join(PEERS, 'node_modules', 'oidc-provider'))) {
        fail('tests/peers/node_modules is missing: run scripts/install-deps.sh (npm ci in tests/peers)');
    }
    let chromium;
    try {
        ({ chromium } = await import('playwright-core'));
    } catch (error) {
        fail(`playwright-core is not installed (${error.message}): run scripts/install-deps.sh (npm ci in tests/e2e)`);
    }
    const artifacts = path.resolve(process.env.MCPAUTH_E2E_ARTIFACTS ?? path.join(HERE, 'artifacts'), artifactsDir);
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    return { chromium, artifacts };
}

// ---- processes -------------------------------------------------------------

const children = [];

// Starts a process that prints `LISTENING <port>` on stdout once ready; its
// stdin stays an open pipe (the peers exit when it closes). Resolves to
// {child, port, stderr, stdout, exited}. Rejects if the process exits first.
export function startListening(name, command, args, options = {}) {
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

// Runs a command to its end; resolves to {code, stdout, stderr}.
export function run(command, args, options = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', chunk => {
            stdout += chunk;
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', chunk => {
            stderr += chunk;
        });
        child.on('error', reject);
        child.on('close', code => resolve({ code, stdout, stderr }));
    });
}

export function stopAll() {
    for (const { child } of children) {
        if (child.exitCode === null && child.signalCode === null) {
            child.stdin.end();
            child.kill('SIGTERM');
        }
    }
}

export function writeLogs(artifacts) {
    for (const { name, stderr } of children) writeFileSync(path.join(artifacts, `${name}.log`), stderr);
}

// Stops a gateway with SIGTERM and checks it exits cleanly, its log free of
// sanitizer reports and of every string in `secrets`.
export async function stopGatewayCleanly(gateway, secrets) {
    const { child } = gateway;
    const exited = gateway.exited
        ? Promise.resolve(gateway.exited)
        : new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.ok(code === 0 || signal === 'SIGTERM', `the gateway exited with ${code ?? signal}:\n${gateway.stderr.slice(-4000)}`);
    assert.doesNotMatch(gateway.stderr, /AddressSanitizer|LeakSanitizer|runtime error:/);
    for (const secret of secrets.filter(Boolean)) {
        assert.ok(!gateway.stderr.includes(secret), 'the gateway log holds no code, key or token');
    }
}

// The environment of an mcpauth process with its own HOME and XDG dirs under
// `tmp`, no keyring, and no browser it could open.
export function privateEnv(tmp) {
    const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: path.join(tmp, 'home'),
        XDG_DATA_HOME: path.join(tmp, 'data'),
        XDG_CONFIG_HOME: path.join(tmp, 'config'),
        MCPAUTH_KEYRING: 'off',
        BROWSER: '/bin/false'
    };
    for (const dir of ['home', 'data', 'config']) mkdirSync(path.join(tmp, dir), { recursive: true });
    for (const name of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'TMPDIR']) {
        if (process.env[name] !== undefined) env[name] = process.env[name];
    }
    return env;
}

// ---- HTTP ------------------------------------------------------------------

// Raw HTTP, for headers a page cannot set (Host, Origin, Authorization).
export function rawRequest(port, { method = 'GET', pathname, headers = {}, body }) {
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

export async function getJson(port, pathname, headers = {}) {
    const response = await rawRequest(port, { pathname, headers });
    assert.equal(response.status, 200, `GET ${pathname}: ${response.text}`);
    return JSON.parse(response.text);
}

// ---- browser ---------------------------------------------------------------

// Headless Chromium with a 1024 px context (the narrowest window the
// dashboard must fit) that can reach 127.0.0.1 and localhost only; requests
// elsewhere are aborted and recorded in `external`.
export async function launchBrowser(chromium) {
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: process.env.MCPAUTH_E2E_HEADED !== '1',
        args: ['--no-sandbox']
    });
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const external = [];
    await context.route(url => !['127.0.0.1', 'localhost'].includes(url.hostname), route => {
        external.push({ url: route.request().url(), from: route.request().frame()?.url() ?? '' });
        return route.abort();
    });
    return { browser, context, external };
}

// Signs in on oidc-provider's dev login form (any name, any password) and
// presses Continue on its consent form: the real pages, clicked.
export async function consentAtProvider(page, login, shoot = async () => {}) {
    const field = page.locator('input[name="login"]');
    await field.waitFor();
    await field.fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await shoot(page, 'provider-login');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    const consent = page.getByRole('button', { name: 'Continue' });
    await consent.waitFor();
    await shoot(page, 'provider-consent');
    await consent.click();
}

// Numbered full-page screenshots in `artifacts`; `list` collects their paths.
export function screenshotter(artifacts, list) {
    let shot = 0;
    return async (page, name) => {
        shot += 1;
        const file = path.join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        list.push(path.relative(process.cwd(), file));
    };
}
