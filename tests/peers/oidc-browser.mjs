#!/usr/bin/env node
// A headless stand-in for the user's browser, used as $BROWSER with
// oidc-server.mjs: `BROWSER="/path/to/node /path/to/oidc-browser.mjs"` (the
// authorization URL is the last argument). It walks oidc-provider's dev
// interactions the way a person would: opens the URL (fetch with manual
// redirects and a cookie jar, browser-kit.mjs), signs in on the login form
// with any name, presses Continue on the consent form, and follows redirects
// until one leaves the provider's origin: that is the redirect to the
// client's redirect URI (mcpauth's loopback callback), which it GETs. Exit 0
// when the callback answered 200; exit 1 with a message on stderr on anything
// else (an error page, an unexpected form, too many steps, the callback
// refusing the redirect). Before the callback it prints one line on stderr,
// `oidc-browser: redirected to the callback with iss=<iss>` (never the code).
//
// Flags (before the URL):
//   --login NAME       the name to sign in with (default "tester")
//   --deny             press "Cancel" on the consent page instead of Continue
//   --print-redirect   do not GET the redirect: print its URL as one line on
//                      stdout and exit 0, as a user who copies the address
//                      bar for a paste login (nothing listens there). That
//                      line CONTAINS THE AUTHORIZATION CODE (and state, iss):
//                      for tests only.
//   --redirect-file PATH
//                      like --print-redirect, but write the line to PATH
//                      (created with mode 0600) instead of stdout, for a test
//                      whose $BROWSER is started by mcpauth itself
//
// `oidc-browser.mjs --batch FILE`: many consents in one process (a test
// with hundreds of users pays for one Node start, not hundreds). Each line
// of FILE is `LOGIN URL`; the consents are walked one after another, each as
// a new browser (no cookie of the one before), and each callback must
// answer 200. Exit 1 at the first that does not.
import { readFileSync, writeFileSync } from 'node:fs';
import { clearCookies, devInteraction, fail, pageText, request, say, setScriptName, walk, where } from './browser-kit.mjs';

setScriptName('oidc-browser');

function parseArguments(argv) {
    const args = argv.slice();
    const options = { target: args.pop(), login: 'tester', deny: false, printRedirect: false, redirectFile: undefined };
    for (let i = 0; i < args.length; i++) {
        if (args[i] === '--login' && i + 1 < args.length) options.login = args[++i];
        else if (args[i] === '--deny') options.deny = true;
        else if (args[i] === '--print-redirect') options.printRedirect = true;
        else if (args[i] === '--redirect-file' && i + 1 < args.length) options.redirectFile = args[++i];
        else fail(`unknown argument ${args[i]}`);
    }
    if (!options.target || !/^https?:\/\//.test(options.target)) {
        fail(`usage: oidc-browser.mjs [--login NAME] [--deny] [--print-redirect | --redirect-file PATH] URL (got ${options.target})`);
    }
    return options;
}

// Signs in as `login` at the authorization URL `start` and consents: the authorization response's URL.
async function consent(start, options) {
    const { stoppedAt } = await walk(start, {
    // Every page of the provider is on the authorization URL's origin; the
    // first redirect elsewhere is the authorization response.
    stopAt: url => url.origin !== start.origin,
    onPage(page) {
        if (page.status !== 200) fail(`${where(page.url)} answered ${page.status}: ${pageText(page.html)}`);
        const next = devInteraction(page, options);
        if (next) return next;
        if (!page.form) fail(`${where(page.url)} is not a login or consent page: ${pageText(page.html)}`);
        fail(`${page.url.href}: unexpected form (prompt=${page.form.fields.prompt})`);
    }
    });
    return stoppedAt;
}

if (process.argv[2] === '--batch') {
    const lines = readFileSync(process.argv[3], 'utf8').split('\n').filter(line => line.trim() !== '');
    for (const line of lines) {
        const space = line.indexOf(' ');
        const login = line.slice(0, space);
        const start = new URL(line.slice(space + 1));
        clearCookies();
        const callback = await consent(start, { login, deny: false });
        const response = await request(callback);
        const text = await response.text();
        if (response.status !== 200) fail(`the callback ${where(callback)} for ${login} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    say(`${lines.length} consents given`);
    process.exit(0);
}

const options = parseArguments(process.argv.slice(2));
const start = new URL(options.target);
const callback = await consent(start, options);

// Says which issuer answered (RFC 9207), never the code.
const error = callback.searchParams.get('error');
say(`redirected to the callback with iss=${callback.searchParams.get('iss') ?? '(none)'}${error !== null ? ` error=${error}` : ''}`);

if (options.redirectFile !== undefined) {
    writeFileSync(options.redirectFile, `${callback.href}\n`, { mode: 0o600 });
    process.exit(0);
}
if (options.printRedirect) {
    process.stdout.write(`${callback.href}\n`);
    process.exit(0);
}
const response = await request(callback);
const text = await response.text();
if (response.status !== 200) fail(`the callback ${where(callback)} answered ${response.status}: ${text.slice(0, 200)}`);
process.exit(0);
