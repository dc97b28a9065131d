// Shared plumbing for the headless users of oidc-server.mjs (oidc-browser.mjs,
// oidc-device.mjs): a minimal cookie jar, fetch with manual redirects, the
// parsing of oidc-provider's one-form pages, the dev login/consent pages, and
// a walk loop that follows redirects and hands every other page to the
// script. Scripts are one process per run, so the jar is module state.
//
// Nothing here prints codes or tokens: messages name URLs by origin and path.

let scriptName = 'browser';

export function setScriptName(name) {
    scriptName = name;
}

export function say(message) {
    process.stderr.write(`${scriptName}: ${message}\n`);
}

export function fail(message) {
    say(message);
    process.exit(1);
}

// Origin and path of a URL, without the query (which may carry a code).
export function where(url) {
    return `${url.origin}${url.pathname}`;
}

// --- a minimal RFC 6265 cookie jar: host-only cookies, path matching ---
const jar = []; // {name, value, host, path}

// Forgets every cookie: the next walk is a new browser (oidc-browser.mjs --batch, one per consent).
export function clearCookies() {
    jar.length = 0;
}

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

// fetch with the jar and without following redirects (each hop is ours to
// look at: the last one carries the authorization response).
export async function request(url, init = {}) {
    const headers = { ...(init.headers ?? {}), 'User-Agent': `mcpauth-${scriptName}` };
    const cookies = cookieHeader(url);
    if (cookies) headers.Cookie = cookies;
    let response;
    try {
        response = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(15000) });
    } catch (err) {
        fail(`${init.method ?? 'GET'} ${where(url)} failed: ${err.cause?.message ?? err.message}`);
    }
    storeCookies(url, response);
    return response;
}

// --- oidc-provider's pages ---
export function decodeEntities(s) {
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
// with their values, other inputs empty), or undefined when the page has no
// form, several, or one that is not a POST.
export function parseForm(html, pageUrl) {
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

// The visible text of a page (or of an HTML fragment), for messages.
export function pageText(html) {
    return html
        .replace(/<(style|script|head)\b[\s\S]*?<\/\1>/gi, ' ')
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 300);
}

// The next step on oidc-provider's dev interaction pages (devInteractions),
// or undefined when `page` is not one: the login form takes any name and
// password; the consent form is submitted (Continue), or with `deny` its
// Cancel link (.../abort) is followed, which ends in error=access_denied.
export function devInteraction(page, { login, deny }) {
    const { form, html, url } = page;
    if (!form) return undefined;
    const fields = new URLSearchParams(form.fields);
    if (form.fields.prompt === 'login') {
        fields.set('login', login);
        fields.set('password', 'any');
        return { post: form.action, fields };
    }
    if (form.fields.prompt === 'consent') {
        if (!deny) return { post: form.action, fields };
        const abort = /<a\b[^>]*href="([^"]*\/abort)"/i.exec(html);
        if (!abort) fail(`${where(url)}: the consent page has no abort link`);
        return { get: new URL(decodeEntities(abort[1]), url) };
    }
    return undefined;
}

// Walks like a browser from `start`: follows 3xx (as GETs) and hands each
// other response to `onPage({url, status, html, form})`, which answers the
// next request, {get: URL} or {post: URL, fields: URLSearchParams}, or
// {done: value} to stop. A redirect to a URL for which `stopAt(url)` is true
// is not fetched: walk returns {stoppedAt: url}. Otherwise walk resolves to
// {done: value}. More than `maxSteps` requests: fail.
export async function walk(start, { onPage, stopAt = () => false, maxSteps = 20 }) {
    let next = { get: start };
    for (let step = 0; step < maxSteps; step++) {
        const url = next.post ?? next.get;
        if (stopAt(url)) return { stoppedAt: url };
        const response = await request(url, next.post
            ? { method: 'POST', body: next.fields.toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }
            : {});
        if (response.status >= 300 && response.status < 400) {
            const location = response.headers.get('location');
            await response.arrayBuffer();
            if (!location) fail(`${where(url)} redirected without a Location`);
            next = { get: new URL(location, url) };
            continue;
        }
        const html = await response.text();
        next = await onPage({ url, status: response.status, html, form: parseForm(html, url) });
        if ('done' in next) return next;
    }
    fail(`more than ${maxSteps} steps`);
}
