#!/usr/bin/env node
// A headless stand-in for the user's browser, used as $BROWSER with
// oidc-server.mjs: `BROWSER="/path/to/node /path/to/oidc-browser.mjs"` (the
// authorization URL is the last argument). It walks oidc-provider's dev
// interactions the way a person would: opens the URL (fetch with manual
// redirects and a cookie jar), signs in on the login form with any name,
// presses Continue on the consent form, and follows redirects until one
// targets 127.0.0.1 (mcpauth's loopback callback), which it GETs. Exit 0
// when the callback answered 200; exit 1 with a message on stderr on anything
// else (an error page, an unexpected form, too many steps, the callback
// refusing the redirect). Before the callback it prints one line on stderr,
// `oidc-browser: redirected to the callback with iss=<iss>` (never the code).
//
// Flags (before the URL): --login NAME (default "tester"),
// --deny (press "Cancel" on the consent page instead of Continue).

const args = process.argv.slice(2);
const target = args.pop();
let login = 'tester';
let deny = false;
for (let i = 0; i < args.length; i++) {
    if (args[i] === '--login' && i + 1 < args.length) login = args[++i];
    else if (args[i] === '--deny') deny = true;
    else fail(`unknown argument ${args[i]}`);
}

function fail(message) {
    process.stderr.write(`oidc-browser: ${message}\n`);
    process.exit(1);
}

if (!target || !/^https?:\/\//.test(target)) fail(`usage: oidc-browser.mjs [--login NAME] [--deny] URL (got ${target})`);

// --- a minimal RFC 6265 cookie jar: host-only cookies, path matching ---
const jar = []; // {name, value, host, path}

function defaultPath(url) {
    const p = url.pathname;
    const slash = p.lastIndexOf('/');
    return slash <= 0 ? '/' : p.slice(0, slash);
}

function pathMatches(requestPath, cookiePath) {
    if (requestPath === cookiePath) return true;
    if (!requestPath.startsWith(cookiePath)) return false;
    return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function storeCookies(url, response) {
    for (const line of response.headers.getSetCookie()) {
        const [pair, ...attributes] = line.split(';');
        const eq = pair.indexOf('=');
        if (eq <= 0) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        let path = defaultPath(url);
        let expired = false;
        for (const attribute of attributes) {
            const [key, ...rest] = attribute.trim().split('=');
            const v = rest.join('=');
            if (key.toLowerCase() === 'path' && v.startsWith('/')) path = v;
            if (key.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
            if (key.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        }
        const index = jar.findIndex(c => c.name === name && c.host === url.host && c.path === path);
        if (index >= 0) jar.splice(index, 1);
        if (!expired) jar.push({ name, value, host: url.host, path });
    }
}

function cookieHeader(url) {
    return jar
        .filter(c => c.host === url.host && pathMatches(url.pathname, c.path))
        .sort((a, b) => b.path.length - a.path.length)
        .map(c => `${c.name}=${c.value}`)
        .join('; ');
}

async function request(url, init = {}) {
    const headers = { ...(init.headers ?? {}), 'User-Agent': 'mcpauth-oidc-browser' };
    const cookies = cookieHeader(url);
    if (cookies) headers.Cookie = cookies;
    let response;
    try {
        response = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(15000) });
    } catch (err) {
        fail(`${init.method ?? 'GET'} ${url.href} failed: ${err.cause?.message ?? err.message}`);
    }
    storeCookies(url, response);
    return response;
}

// --- the dev interaction pages ---
function decodeEntities(s) {
    return s
        .replace(/&quot;/g, '"')
        .replace(/&#x27;|&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&#x2F;/g, '/')
        .replace(/&amp;/g, '&');
}

function attribute(tag, name) {
    const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
    return m ? decodeEntities(m[1]) : undefined;
}

// Returns the page's one form: {action, fields: {name: value}} (hidden inputs
// with their values, other inputs empty).
function parseForm(html, pageUrl) {
    const forms = [...html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)];
    if (forms.length !== 1) return undefined;
    const open = /<form\b[^>]*>/i.exec(forms[0][0])[0];
    const action = attribute(open, 'action');
    const method = (attribute(open, 'method') ?? 'get').toLowerCase();
    if (!action || method !== 'post') return undefined;
    const fields = {};
    for (const [input] of forms[0][1].matchAll(/<input\b[^>]*>/gi)) {
        const name = attribute(input, 'name');
        if (name) fields[name] = attribute(input, 'value') ?? '';
    }
    return { action: new URL(action, pageUrl), fields };
}

// The visible text of a page, for error messages.
function pageText(html) {
    return html
        .replace(/<(style|script|head)\b[\s\S]*?<\/\1>/gi, ' ')
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 300);
}

function isCallback(url) {
    return url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

let url = new URL(target);
let method = 'GET';
let body;
for (let step = 0; step < 20; step++) {
    if (isCallback(url)) {
        // Says which issuer answered (RFC 9207), never the code.
        process.stderr.write(`oidc-browser: redirected to the callback with iss=${url.searchParams.get('iss') ?? '(none)'}${url.searchParams.has('error') ? ` error=${url.searchParams.get('error')}` : ''}\n`);
        const response = await request(url);
        const text = await response.text();
        if (response.status !== 200) fail(`the callback ${url.origin}${url.pathname} answered ${response.status}: ${text.slice(0, 200)}`);
        process.exit(0);
    }
    const response = await request(url, method === 'POST'
        ? { method, body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }
        : {});
    method = 'GET';
    body = undefined;
    if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get('location');
        await response.arrayBuffer();
        if (!location) fail(`${url.href} redirected without a Location`);
        url = new URL(location, url);
        continue;
    }
    const html = await response.text();
    if (response.status !== 200) fail(`${url.origin}${url.pathname} answered ${response.status}: ${pageText(html)}`);
    const form = parseForm(html, url);
    if (!form) fail(`${url.origin}${url.pathname} is not a login or consent page: ${pageText(html)}`);
    const fields = new URLSearchParams(form.fields);
    if (form.fields.prompt === 'login') {
        fields.set('login', login);
        fields.set('password', 'any');
    } else if (form.fields.prompt === 'consent') {
        if (deny) {
            const abort = /<a\b[^>]*href="([^"]*\/abort)"/i.exec(html);
            if (!abort) fail(`${url.href}: the consent page has no abort link`);
            url = new URL(decodeEntities(abort[1]), url);
            continue;
        }
    } else {
        fail(`${url.href}: unexpected form (prompt=${form.fields.prompt})`);
    }
    url = form.action;
    method = 'POST';
    body = fields.toString();
}
fail('more than 20 steps without reaching the loopback callback');
