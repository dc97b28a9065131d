// The mcpauth gateway dashboard (docs/gateway.md is the contract with the
// service). Plain JS, no build step, no external resources, nothing inline in
// the HTML, so the page runs under `Content-Security-Policy: default-src 'self'`.
//
// Everything the gateway sends (server names, URLs, errors, tool
// descriptions...) is untrusted: it only ever reaches the page through
// textContent or attribute values, never as HTML.
'use strict';

(() => {
    const KEY_STORAGE = 'mcpauth.gateway.apiKey';
    const POLL_MS = 2000;
    const RELATIVE_REFRESH_MS = 30000;

    const STATE_LABELS = {
        authorized: 'authorized',
        needs_authorization: 'needs authorization',
        authorizing: 'waiting for consent',
        refreshing: 'refreshing token',
        error: 'error',
        ready: 'ready'
    };
    const NEEDS_LABELS = {
        none: 'No authorization needed',
        nothing: 'No authorization needed', // the API's earlier word, for a page loaded from an older gateway
        static_token: 'Needs a static token',
        oauth: 'OAuth ready',
        oauth_client_id: 'OAuth, needs a client ID'
    };
    // The row's columns. Each cell holds several of the API's fields as
    // labelled parts (data-field names the field as the API spells it), so
    // that a row fits a 1024 px window with its actions in view.
    const COLUMNS = ['name', 'status', 'authorization', 'tools', 'actions'];
    const AUTHORIZATION_FACTS = [['account', 'Account'], ['auth', 'Auth'], ['client_type', 'Client'],
        ['issuer', 'Issuer'], ['scopes', 'Scopes']];

    const app = {
        csrf: null,
        user: null,               // with users: whose key this is (its rows have actions; an admin's others do not)
        admin: false,             // with users: whether the caller may change the shared servers
        apiKey: readStoredKey(),
        servers: [],
        rows: new Map(),          // row key -> {tr, cells, server, actionsSignature}
        previousStates: new Map(),// row key -> state, to announce transitions
        tools: new Map(),         // server name -> {section, status, list, summary, signature, seq}
        busy: new Set(),          // server names with an action in flight
        reconnects: new Map(),    // server name -> count, so a reconnect refetches the tools
        events: null,
        pollTimer: null,
        loading: null,
        keyWaiters: [],
        pendingAdd: null,         // {name, seen} while an "Add & Authorize" waits for consent
        probedUrl: ''
    };
    let describedByCounter = 0;

    const byId = id => document.getElementById(id);

    // ---- small helpers -------------------------------------------------

    function readStoredKey() {
        try {
            return sessionStorage.getItem(KEY_STORAGE) || null;
        } catch {
            return null;
        }
    }

    function say(text, kind = 'info') {
        const status = byId('status');
        status.dataset.kind = kind;
        status.textContent = text;
    }

    function setConnection(mode, text) {
        const element = byId('connection');
        element.dataset.connection = mode;
        element.textContent = text;
    }

    function element(tag, attributes = {}, text) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
        if (text !== undefined) node.textContent = text;
        return node;
    }

    function setText(node, text) {
        if (node.textContent !== text) node.textContent = text;
    }

    function isHttpUrl(value) {
        try {
            const url = new URL(value);
            return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
        } catch {
            return null;
        }
    }

    function rowKey(server) {
        return `${server.name}\n${server.account ?? ''}`;
    }

    function serverPath(name, suffix = '') {
        return `/api/servers/${encodeURIComponent(name)}${suffix}`;
    }

    // "in 59 min", "in 3 h 5 min", "expired 2 min ago".
    function relative(unixSeconds, now = Date.now()) {
        const seconds = Math.round(unixSeconds - now / 1000);
        const magnitude = Math.abs(seconds);
        let amount;
        if (magnitude < 60) amount = null;
        else if (magnitude < 90 * 60) amount = `${Math.floor(magnitude / 60)} min`;
        else if (magnitude < 48 * 3600) {
            const hours = Math.floor(magnitude / 3600);
            const minutes = Math.floor((magnitude % 3600) / 60);
            amount = minutes ? `${hours} h ${minutes} min` : `${hours} h`;
        } else amount = `${Math.floor(magnitude / 86400)} days`;
        if (seconds >= 0) return amount ? `in ${amount}` : 'in less than a minute';
        return amount ? `expired ${amount} ago` : 'expired just now';
    }

    // ---- the API ---------------------------------------------------------

    class ApiError extends Error {
        constructor(status, code, message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    function describeError(error) {
        if (error instanceof ApiError) {
            const code = error.code && error.code !== 'http' ? ` (${error.code})` : '';
            return `${error.message}${code}`;
        }
        return String(error && error.message ? error.message : error);
    }

    // Resolves once the user gave an API key (after a 401).
    function askForKey(refused) {
        const section = byId('api-key-section');
        const input = byId('api-key');
        if (section.hidden) {
            section.hidden = false;
            input.value = '';
            input.focus();
            say(refused ? 'The gateway refused that API key. Enter it again.' : 'The gateway asks for its API key.', 'error');
        }
        return new Promise(resolve => app.keyWaiters.push(resolve));
    }

    function useKey(key) {
        app.apiKey = key;
        try {
            sessionStorage.setItem(KEY_STORAGE, key);
        } catch {
            // Kept in memory only.
        }
        byId('api-key-section').hidden = true;
        say('Using the API key.');
        // EventSource cannot send Authorization: poll instead.
        startPolling();
        const waiters = app.keyWaiters.splice(0);
        for (const resolve of waiters) resolve();
    }

    function forgetKey() {
        app.apiKey = null;
        try {
            sessionStorage.removeItem(KEY_STORAGE);
        } catch {
            // Nothing stored.
        }
    }

    async function api(method, path, body) {
        let csrfRefreshed = false;
        for (;;) {
            const headers = { Accept: 'application/json' };
            if (body !== undefined) headers['Content-Type'] = 'application/json';
            if (method !== 'GET' && app.csrf) headers['X-CSRF-Token'] = app.csrf;
            if (app.apiKey) headers.Authorization = `Bearer ${app.apiKey}`;
            let response;
            try {
                response = await fetch(path, {
                    method,
                    headers,
                    body: body === undefined ? undefined : JSON.stringify(body),
                    credentials: 'same-origin',
                    cache: 'no-store',
                    redirect: 'error'
                });
            } catch (error) {
                throw new ApiError(0, 'network', `The gateway did not answer: ${error.message}`);
            }
            if (response.status === 401) {
                const refused = app.apiKey !== null;
                forgetKey();
                await askForKey(refused);
                continue;
            }
            if (response.status === 403 && method !== 'GET' && !csrfRefreshed) {
                // The gateway may have restarted with a new CSRF token.
                csrfRefreshed = true;
                await response.arrayBuffer().catch(() => null);
                const fresh = await api('GET', '/api/state');
                if (fresh && typeof fresh.csrf === 'string') {
                    applyState(fresh);
                    continue;
                }
            }
            let data = null;
            const text = await response.text().catch(() => '');
            if (text) {
                try {
                    data = JSON.parse(text);
                } catch {
                    data = null;
                }
            }
            if (!response.ok) {
                const error = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : {};
                const message = typeof error.message === 'string' && error.message
                    ? error.message : `HTTP ${response.status} ${response.statusText}`.trim();
                throw new ApiError(response.status, typeof error.code === 'string' ? error.code : 'http', message);
            }
            return data;
        }
    }

    // A state object of /api/state or /api/events (docs/gateway.md).
    function applyState(data) {
        if (!data || typeof data !== 'object') return;
        if (typeof data.csrf === 'string') app.csrf = data.csrf;
        if (typeof data.user === 'string') app.user = data.user;
        if (typeof data.admin === 'boolean') {
            app.admin = data.admin;
            // What a user who is not an administrator adds is that user's alone (docs/gateway.md).
            byId('add-scope').hidden = data.admin;
        }
        if (typeof data.redirect_uri === 'string') setText(byId('redirect-uri'), data.redirect_uri);
        if (Array.isArray(data.servers)) applyServers(data.servers);
    }

    async function loadState() {
        if (app.loading) return app.loading;
        app.loading = (async () => {
            try {
                const data = await api('GET', '/api/state');
                applyState(data ?? { servers: [] });
                return data;
            } finally {
                app.loading = null;
            }
        })();
        return app.loading;
    }

    function startPolling() {
        if (app.events) {
            app.events.close();
            app.events = null;
        }
        if (app.pollTimer !== null) return;
        setConnection('polling', 'Polling every 2 s');
        app.pollTimer = setInterval(() => {
            loadState().then(
                () => setConnection('polling', 'Polling every 2 s'),
                error => setConnection('offline', `Gateway unreachable: ${describeError(error)}`));
        }, POLL_MS);
    }

    function connectEvents() {
        if (app.apiKey || typeof EventSource !== 'function') {
            startPolling();
            return;
        }
        const events = new EventSource('/api/events');
        app.events = events;
        events.addEventListener('open', () => {
            setConnection('live', 'Live');
            // Whatever changed before the stream opened.
            loadState().catch(error => say(describeError(error), 'error'));
        });
        events.addEventListener('state', event => {
            let data;
            try {
                data = JSON.parse(event.data);
            } catch {
                return;
            }
            applyState(data);
        });
        events.addEventListener('error', () => {
            if (events.readyState === EventSource.CLOSED) {
                // Refused (e.g. 401 behind an API key) or not an event
                // stream: poll /api/state instead.
                startPolling();
            } else {
                setConnection('reconnecting', 'Reconnecting…');
            }
        });
    }

    // ---- the server table ----------------------------------------------

    function stateText(server) {
        return STATE_LABELS[server.state] ?? String(server.state ?? 'unknown');
    }

    // Where a host reaches this server through the gateway (docs/gateway.md, "Local MCP endpoints").
    function endpointUrl(name) {
        return `${location.origin}/servers/${encodeURIComponent(name)}/mcp`;
    }

    function expiresText(server) {
        if (typeof server.expires_at !== 'number') return '—';
        if (server.state !== 'authorized' && server.state !== 'refreshing' && server.state !== 'error') return '—';
        return relative(server.expires_at);
    }

    function authText(server) {
        return { none: 'none', static: 'static token', oauth: 'OAuth' }[server.auth] ?? String(server.auth ?? '—');
    }

    function isConnected(server) {
        return server.state === 'authorized' || server.state === 'ready' || server.state === 'refreshing';
    }

    function hasGrant(server) {
        return server.state === 'authorized' || server.state === 'refreshing' ||
            (server.state === 'error' && typeof server.expires_at === 'number');
    }

    // What the actions cell holds, in order.
    function actionsFor(server) {
        const actions = [];
        // An administrator sees every user's rows; the actions act for the caller only.
        if (typeof server.user === 'string' && server.user !== app.user) return actions;
        if (server.auth === 'oauth') {
            if (server.state === 'authorizing' && isHttpUrl(server.authorization_url)) {
                actions.push({ kind: 'link', label: 'Open authorization page', href: isHttpUrl(server.authorization_url).href });
            }
            if (hasGrant(server)) {
                actions.push({ kind: 'button', action: 'reauthorize', label: 'Re-authorize' });
                actions.push({ kind: 'button', action: 'logout', label: 'Log out' });
            } else {
                actions.push({ kind: 'button', action: 'authorize', label: 'Authorize' });
            }
        }
        actions.push({ kind: 'button', action: 'reconnect', label: 'Reconnect' });
        // A shared server (the config file's) is an administrator's to remove; one's own server is one's own.
        if (server.scope !== 'shared' || app.admin) actions.push({ kind: 'button', action: 'remove', label: 'Remove' });
        return actions;
    }

    function createRow() {
        const tr = document.createElement('tr');
        const cells = {};
        const columns = {};
        for (const column of COLUMNS) {
            const cell = document.createElement(column === 'name' ? 'th' : 'td');
            cell.dataset.field = column;
            columns[column] = cell;
            tr.append(cell);
        }
        const name = columns.name;
        name.setAttribute('scope', 'row');
        name.id = `server-name-${++describedByCounter}`;
        cells.name = name;
        cells.url = element('span', { class: 'server-url', 'data-field': 'url' });
        cells.transport = element('span', { class: 'server-transport', 'data-field': 'transport' });
        cells.endpoint = element('code', { class: 'endpoint-url', 'data-field': 'endpoint' });
        const copy = element('button', { type: 'button', class: 'copy', 'data-copy': '', 'aria-describedby': name.id },
            'Copy');
        const endpoint = element('span', { class: 'endpoint' }, 'Local endpoint ');
        endpoint.append(cells.endpoint, copy);
        cells.scope = element('span', { class: 'server-scope', 'data-field': 'scope' });
        name.append(element('span', { class: 'server-name', 'data-field': 'server-name' }), cells.scope, cells.url,
            cells.transport, endpoint);

        cells.state = element('span', { 'data-field': 'state' });
        cells.expires = element('span', { 'data-field': 'expires' });
        cells.expiry = element('span', { class: 'expiry' }, 'expires ');
        cells.expiry.append(cells.expires);
        cells.last_error = element('span', { class: 'last-error', 'data-field': 'last_error' });
        columns.status.append(cells.state, cells.expiry, cells.last_error);

        const facts = element('dl', { class: 'facts' });
        for (const [field, label] of AUTHORIZATION_FACTS) {
            cells[field] = element('dd', { 'data-field': field });
            facts.append(element('dt', {}, label), cells[field]);
        }
        columns.authorization.append(facts);
        cells.tools = columns.tools;
        cells.actions = columns.actions;
        return { tr, cells, server: null, actionsSignature: '', pendingFocus: null };
    }

    function renderActions(row, server) {
        const busy = app.busy.has(server.name);
        const actions = actionsFor(server);
        const signature = JSON.stringify([actions, busy]);
        if (signature === row.actionsSignature) return;
        row.actionsSignature = signature;
        const cell = row.cells.actions;
        // Keep the keyboard focus in the row across re-renders: on the
        // control with the same label, else (e.g. "Log out" is gone) on the
        // first one; while the row is busy (disabled), until it is not.
        const active = document.activeElement;
        const focused = cell.contains(active) ? active.textContent
            : row.pendingFocus !== null && (!active || active === document.body) ? row.pendingFocus : null;
        row.pendingFocus = null;
        const container = element('div', { class: 'actions' });
        for (const action of actions) {
            let control;
            if (action.kind === 'link') {
                control = element('a', { href: action.href, target: '_blank', rel: 'noopener noreferrer' }, action.label);
            } else {
                control = element('button', { type: 'button', 'data-action': action.action }, action.label);
                if (action.action === 'remove') control.classList.add('danger');
                control.disabled = busy;
            }
            control.setAttribute('aria-describedby', row.cells.name.id);
            container.append(control);
        }
        cell.replaceChildren(container);
        if (focused !== null) {
            const controls = [...container.children];
            const target = busy ? null
                : controls.find(control => control.textContent === focused) ?? controls.find(control => !control.disabled);
            if (target) target.focus();
            else row.pendingFocus = focused;
        }
    }

    function renderRow(row, server) {
        row.server = server;
        const { tr, cells } = row;
        tr.dataset.server = server.name;
        tr.dataset.account = server.account ?? '';
        if (typeof server.user === 'string') tr.dataset.user = server.user;
        tr.dataset.state = server.state ?? '';
        setText(cells.name.querySelector('.server-name'), server.name);
        // With users: "yours" marks a server the caller added for itself, "shared" the config file's.
        setText(cells.scope, server.scope === 'own' ? 'yours' : server.scope === 'shared' ? 'shared' : '');
        cells.scope.hidden = !server.scope;
        setText(cells.url, server.url ?? '');
        setText(cells.endpoint, endpointUrl(server.name));
        setText(cells.account, server.account ? server.account : 'default');
        setText(cells.transport, server.transport ?? '—');
        setText(cells.auth, authText(server));
        setText(cells.state, stateText(server));
        cells.state.dataset.state = server.state ?? '';
        cells.state.className = `state state-${String(server.state ?? 'unknown').replace(/[^a-z_]/g, '')}`;
        setText(cells.expires, expiresText(server));
        cells.expiry.hidden = cells.expires.textContent === '—';
        if (typeof server.expires_at === 'number') cells.expires.title = new Date(server.expires_at * 1000).toLocaleString();
        else cells.expires.removeAttribute('title');
        setText(cells.issuer, server.issuer ?? '—');
        setText(cells.scopes, server.scopes ?? '—');
        setText(cells.client_type, server.client_type ?? '—');
        // The gateway keeps the last tool list after a log out; a count is
        // only meaningful while the server is reachable with its credentials.
        setText(cells.tools, typeof server.tools === 'number' && isConnected(server) ? String(server.tools) : '—');
        setText(cells.last_error, server.last_error ?? '');
        cells.last_error.hidden = !server.last_error;
        renderActions(row, server);
    }

    function announceTransitions(servers) {
        const seen = new Set();
        for (const server of servers) {
            const key = rowKey(server);
            seen.add(key);
            const before = app.previousStates.get(key);
            if (before === 'authorizing' && server.state === 'authorized') say(`${server.name} is authorized.`);
            if (before === 'authorizing' && server.state === 'error') say(`Authorizing ${server.name} failed: ${server.last_error ?? 'unknown error'}`, 'error');
            app.previousStates.set(key, server.state);
        }
        for (const key of [...app.previousStates.keys()]) if (!seen.has(key)) app.previousStates.delete(key);

        const pending = app.pendingAdd;
        if (pending) {
            const rows = servers.filter(server => server.name === pending.name);
            if (rows.length) {
                pending.seen = true;
                if (rows.some(server => server.state === 'authorized')) app.pendingAdd = null;
            } else if (pending.seen) {
                say(`The authorization of ${pending.name} did not complete, so it was not added.`, 'error');
                app.pendingAdd = null;
            }
        }
    }

    function applyServers(servers) {
        if (!Array.isArray(servers)) return;
        servers = servers.filter(server => server && typeof server.name === 'string');
        app.servers = servers;
        announceTransitions(servers);
        const body = byId('server-rows');
        const keep = new Set();
        let previous = null;
        for (const server of servers) {
            const key = rowKey(server);
            keep.add(key);
            let row = app.rows.get(key);
            if (!row) {
                row = createRow();
                app.rows.set(key, row);
            }
            renderRow(row, server);
            // Keep the gateway's order without moving rows that are in place
            // (moving a row would drop the focus of its buttons).
            const expected = previous ? previous.nextSibling : body.firstChild;
            if (expected !== row.tr) body.insertBefore(row.tr, expected);
            previous = row.tr;
        }
        for (const [key, row] of app.rows) {
            if (!keep.has(key)) {
                row.tr.remove();
                app.rows.delete(key);
            }
        }
        byId('no-servers').hidden = servers.length > 0;
        updateTools(servers);
    }

    function refreshRelativeTimes() {
        for (const row of app.rows.values()) {
            if (row.server) {
                setText(row.cells.expires, expiresText(row.server));
                row.cells.expiry.hidden = row.cells.expires.textContent === '—';
            }
        }
    }

    // ---- actions ---------------------------------------------------------

    function openAuthorization(name, url) {
        const target = isHttpUrl(url);
        if (!target) {
            say(`The gateway answered an authorization URL for ${name} that is not http(s); not opening it.`, 'error');
            return;
        }
        window.open(target.href, '_blank', 'noopener');
        say(`Complete the authorization of ${name} in the new tab; this page updates by itself. ` +
            'If no tab opened, use "Open authorization page" in its row.');
    }

    function handleAuthorizeAnswer(name, answer) {
        if (answer && answer.authorized === true) say(`${name} is authorized.`);
        else if (answer && typeof answer.authorization_url === 'string') openAuthorization(name, answer.authorization_url);
        else say(`${name}: the gateway answered neither an authorization URL nor an authorization.`, 'error');
    }

    async function runAction(server, action) {
        const name = server.name;
        if (action === 'remove' && !window.confirm(server.scope === 'own'
            ? `Remove your server ${name}? This revokes your authorization there and deletes the server.`
            : `Remove ${name}? This revokes its authorization and deletes everything stored for it, ` +
              'including its entry in the config file.')) return;
        app.busy.add(name);
        rerenderActions(name);
        try {
            switch (action) {
            case 'authorize':
            case 'reauthorize':
                say(`Starting the authorization of ${name}…`);
                handleAuthorizeAnswer(name, await api('POST',
                    serverPath(name, `/authorize${action === 'reauthorize' ? '?reauthorize=1' : ''}`)));
                break;
            case 'logout':
                say(`Logging out of ${name}…`);
                await api('POST', serverPath(name, '/logout'));
                say(`Logged out of ${name}: its grant was revoked and deleted.`);
                break;
            case 'reconnect':
                say(`Reconnecting ${name}…`);
                await api('POST', serverPath(name, '/reconnect'));
                app.reconnects.set(name, (app.reconnects.get(name) ?? 0) + 1);
                say(`${name} reconnected.`);
                break;
            case 'remove':
                say(`Removing ${name}…`);
                await api('DELETE', serverPath(name));
                say(`${name} removed.`);
                break;
            default:
                return;
            }
        } catch (error) {
            say(`${name}: ${describeError(error)}`, 'error');
        } finally {
            app.busy.delete(name);
            rerenderActions(name);
        }
        // The event stream updates the row too; this covers polling and a
        // stream that is reconnecting.
        loadState().catch(() => {});
    }

    function rerenderActions(name) {
        for (const row of app.rows.values()) {
            if (row.server && row.server.name === name) renderActions(row, row.server);
        }
    }

    function onTableClick(event) {
        const copy = event.target.closest('button[data-copy]');
        if (copy) {
            copyEndpoint(copy.parentElement.querySelector('[data-field="endpoint"]'));
            return;
        }
        const button = event.target.closest('button[data-action]');
        if (!button || button.disabled) return;
        const tr = button.closest('tr');
        const row = tr && [...app.rows.values()].find(candidate => candidate.tr === tr);
        if (row && row.server) runAction(row.server, button.dataset.action);
    }

    // The clipboard needs a secure context (127.0.0.1 and localhost are);
    // elsewhere the address is selected for the user to copy.
    async function copyEndpoint(code) {
        const url = code.textContent;
        try {
            await navigator.clipboard.writeText(url);
            say(`Copied ${url}`);
        } catch {
            const range = document.createRange();
            range.selectNodeContents(code);
            const selection = getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            say('The browser did not allow copying: the address is selected, copy it yourself.', 'error');
        }
    }

    // ---- tools ---------------------------------------------------------

    function createToolSection(name) {
        const section = element('details', { class: 'tool-server', open: '' });
        section.dataset.toolsFor = name;
        const summary = element('summary');
        const status = element('p', { class: 'tools-status', 'data-field': 'tools-status' });
        const list = element('dl', { class: 'tool-list' });
        section.append(summary, status, list);
        return { section, summary, status, list, signature: null, seq: 0 };
    }

    function updateTools(servers) {
        const container = byId('tools');
        const byName = new Map();
        for (const server of servers) {
            const entry = byName.get(server.name) ?? { connected: false, tools: null, state: server.state };
            if (isConnected(server)) {
                entry.connected = true;
                if (typeof server.tools === 'number') entry.tools = server.tools;
            }
            byName.set(server.name, entry);
        }
        let previous = null;
        for (const [name, entry] of byName) {
            let tools = app.tools.get(name);
            if (!tools) {
                tools = createToolSection(name);
                app.tools.set(name, tools);
            }
            const expected = previous ? previous.nextSibling : container.firstChild;
            if (expected !== tools.section) container.insertBefore(tools.section, expected);
            previous = tools.section;
            const signature = entry.connected ? `on|${entry.tools}|${app.reconnects.get(name) ?? 0}` : 'off';
            if (signature === tools.signature) continue;
            tools.signature = signature;
            if (entry.connected) {
                fetchTools(name, tools);
            } else {
                tools.seq++;
                setText(tools.summary, name);
                tools.list.replaceChildren();
                tools.section.dataset.loaded = 'false';
                setText(tools.status, entry.state === 'error'
                    ? 'Not connected (error).'
                    : 'Not connected: authorize it to list its tools.');
            }
        }
        for (const [name, tools] of app.tools) {
            if (!byName.has(name)) {
                tools.section.remove();
                app.tools.delete(name);
            }
        }
        byId('no-tools').hidden = byName.size > 0;
    }

    async function fetchTools(name, tools) {
        const seq = ++tools.seq;
        setText(tools.status, 'Loading the tool list…');
        try {
            const data = await api('GET', serverPath(name, '/tools'));
            if (seq !== tools.seq) return;
            const list = data && Array.isArray(data.tools) ? data.tools : [];
            const items = [];
            for (const tool of list) {
                if (!tool || typeof tool.name !== 'string') continue;
                const term = element('dt');
                term.dataset.tool = tool.name;
                term.append(element('code', {}, tool.name));
                const description = typeof tool.description === 'string' && tool.description ? tool.description : '(no description)';
                const definition = element('dd', {}, description);
                definition.dataset.toolDescription = tool.name;
                items.push(term, definition);
            }
            tools.list.replaceChildren(...items);
            const count = items.length / 2;
            setText(tools.summary, `${name} (${count} tool${count === 1 ? '' : 's'})`);
            setText(tools.status, count ? '' : 'This server has no tools.');
            tools.section.dataset.loaded = 'true';
        } catch (error) {
            if (seq !== tools.seq) return;
            tools.list.replaceChildren();
            tools.section.dataset.loaded = 'false';
            setText(tools.summary, name);
            setText(tools.status, `Could not list the tools: ${describeError(error)}`);
            // Try again on the next change.
            tools.signature = null;
        }
    }

    // ---- adding a server -------------------------------------------------

    function suggestName(url) {
        const host = url.hostname.replace(/^\[|\]$/g, '');
        let base = host;
        if (!/^[0-9.:]+$/.test(host)) {
            const labels = host.split('.').filter(label => !['www', 'mcp', 'api'].includes(label));
            base = labels.length > 1 ? labels.slice(0, -1).join('-') : labels[0] || host;
        }
        let name = url.port ? `${base}-${url.port}` : base;
        name = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56) || 'server';
        const taken = new Set(app.servers.map(server => server.name));
        let candidate = name;
        for (let i = 2; taken.has(candidate); i++) candidate = `${name}-${i}`;
        return candidate;
    }

    function resetAddForm() {
        const form = byId('add-form');
        form.hidden = true;
        form.reset();
        byId('probe-result').dataset.needs = '';
        byId('probe-details').replaceChildren();
        app.probedUrl = '';
    }

    const PROBE_LABELS = {
        status: 'HTTP status',
        transport: 'transport',
        reason: 'reason',
        issuer: 'authorization server',
        scope: 'scope',
        registration: 'client registration',
        device_grant: 'device code grant',
        pkce_s256: 'PKCE S256'
    };

    // The probe's other fields (docs/gateway.md: "...probe fields"), as text.
    function showProbeDetails(answer) {
        const details = byId('probe-details');
        const items = [];
        for (const [key, value] of Object.entries(answer)) {
            if (key === 'needs' || key === 'message') continue;
            let text;
            if (typeof value === 'boolean') text = value ? 'yes' : 'no';
            else if (typeof value === 'string' || typeof value === 'number') text = String(value);
            else if (Array.isArray(value) && value.every(item => typeof item === 'string' || typeof item === 'number')) text = value.join(', ');
            else continue;
            if (!text) continue;
            items.push(element('dt', {}, PROBE_LABELS[key] ?? key.replace(/_/g, ' ')), element('dd', {}, text));
        }
        details.replaceChildren(...items);
    }

    async function onProbe(event) {
        event.preventDefault();
        const input = byId('add-url');
        const url = isHttpUrl(input.value.trim());
        if (!url) {
            say('Enter the http(s) URL of an MCP server.', 'error');
            input.focus();
            return;
        }
        const button = byId('probe-button');
        button.disabled = true;
        resetAddForm();
        say(`Probing ${url.href}…`);
        try {
            const answer = await api('POST', '/api/probe', { url: url.href });
            const needs = answer && typeof answer.needs === 'string' ? answer.needs : 'unknown';
            const message = answer && typeof answer.message === 'string' ? answer.message : '';
            const result = byId('probe-result');
            result.dataset.needs = needs;
            result.textContent = `${NEEDS_LABELS[needs] ?? `Needs: ${needs}`}${message ? ` — ${message}` : ''}`;
            showProbeDetails(answer ?? {});
            const oauth = needs === 'oauth' || needs === 'oauth_client_id';
            byId('static-fields').hidden = needs !== 'static_token';
            byId('add-header-value').required = needs === 'static_token';
            byId('add-header-name').required = needs === 'static_token';
            byId('client-id-fields').hidden = needs !== 'oauth_client_id';
            byId('add-client-id').required = needs === 'oauth_client_id';
            const add = byId('add-button');
            add.textContent = oauth ? 'Add & Authorize' : 'Add';
            add.dataset.authorize = String(oauth);
            const name = byId('add-name');
            name.value = suggestName(url);
            app.probedUrl = url.href;
            byId('add-form').hidden = false;
            say(`Probed ${url.href}: ${result.textContent}`);
            (needs === 'static_token' ? byId('add-header-value')
                : needs === 'oauth_client_id' ? byId('add-client-id') : name).focus();
        } catch (error) {
            say(`Probing ${url.href} failed: ${describeError(error)}`, 'error');
        } finally {
            button.disabled = false;
        }
    }

    async function onAdd(event) {
        event.preventDefault();
        const form = byId('add-form');
        if (!form.reportValidity()) return;
        const url = isHttpUrl(byId('add-url').value.trim());
        if (!url || url.href !== app.probedUrl) {
            say('The URL changed since the probe: probe it again.', 'error');
            return;
        }
        const name = byId('add-name').value.trim();
        const authorize = byId('add-button').dataset.authorize === 'true';
        const body = { name, url: url.href };
        if (!byId('static-fields').hidden) {
            const headerName = byId('add-header-name').value.trim();
            const headerValue = byId('add-header-value').value;
            if (headerName && headerValue) body.headers = { [headerName]: headerValue };
        }
        if (!byId('client-id-fields').hidden) body.client_id = byId('add-client-id').value.trim();
        if (authorize) body.authorize = true;
        const add = byId('add-button');
        add.disabled = true;
        say(`Adding ${name}…`);
        try {
            const answer = await api('POST', '/api/servers', body);
            resetAddForm();
            byId('add-url').value = '';
            byId('add-url').focus();
            if (authorize) {
                // The gateway answered, so the server is in its list now
                // (a state that no longer has it means the flow failed).
                app.pendingAdd = { name, seen: true };
                handleAuthorizeAnswer(name, answer);
            } else {
                say(`${name} added.`);
            }
            loadState().catch(() => {});
        } catch (error) {
            say(`Adding ${name} failed: ${describeError(error)}`, 'error');
        } finally {
            add.disabled = false;
            // Never keep a secret in the form longer than needed.
            byId('add-header-value').value = '';
        }
    }

    // ---- start -----------------------------------------------------------

    function init() {
        byId('server-rows').addEventListener('click', onTableClick);
        byId('probe-form').addEventListener('submit', onProbe);
        byId('add-form').addEventListener('submit', onAdd);
        byId('add-cancel').addEventListener('click', () => {
            resetAddForm();
            say('');
            byId('add-url').focus();
        });
        byId('add-url').addEventListener('input', () => {
            if (!byId('add-form').hidden) resetAddForm();
        });
        byId('api-key-form').addEventListener('submit', event => {
            event.preventDefault();
            const key = byId('api-key').value;
            byId('api-key').value = '';
            if (key) useKey(key);
        });
        setInterval(refreshRelativeTimes, RELATIVE_REFRESH_MS);
        loadState().then(
            () => connectEvents(),
            error => {
                say(describeError(error), 'error');
                setConnection('offline', 'Gateway unreachable');
                connectEvents();
            });
    }

    init();
})();
