#!/usr/bin/env node
// The user on another device in oidc-server.mjs's device authorization grant
// (RFC 8628): once a client has printed its verification URI and user code,
//
//   node oidc-device.mjs [--login NAME] [--deny] VERIFICATION_URI USER_CODE
//   node oidc-device.mjs [--login NAME] [--deny] VERIFICATION_URI_COMPLETE
//
// opens the verification page (a cookie jar and manual redirects,
// browser-kit.mjs), types the user code into the form (or, with
// verification_uri_complete, submits the page the provider pre-fills),
// presses Continue on the "Confirm Device" page, signs in on the dev login
// form with any name, presses Continue on the consent form, and exits 0 once
// the provider shows its "Sign-in Success" page; the client's next poll of
// the token endpoint then gets its tokens.
//
//   --login NAME   the name to sign in with (default "tester")
//   --deny         press [ Abort ] on the "Confirm Device" page instead; exit
//                  0 once the provider says the request was interrupted (the
//                  client's next poll gets access_denied)
//
// Exit 1 with `oidc-device: <what>` on stderr for anything else: a code the
// provider does not know, has expired or was already used, an error page, an
// unexpected form, more than 20 steps.
import { devInteraction, fail, pageText, say, setScriptName, walk, where } from './browser-kit.mjs';

setScriptName('oidc-device');

const USAGE = 'usage: oidc-device.mjs [--login NAME] [--deny] (VERIFICATION_URI USER_CODE | VERIFICATION_URI_COMPLETE)';

function parseArguments(argv) {
    const options = { login: 'tester', deny: false };
    const positionals = [];
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--login' && i + 1 < argv.length) options.login = argv[++i];
        else if (argv[i] === '--deny') options.deny = true;
        else if (argv[i].startsWith('--')) fail(`unknown argument ${argv[i]}; ${USAGE}`);
        else positionals.push(argv[i]);
    }
    if (positionals.length < 1 || positionals.length > 2 || !/^https?:\/\//.test(positionals[0])) fail(USAGE);
    options.start = new URL(positionals[0]);
    options.userCode = positionals[1] ?? options.start.searchParams.get('user_code') ?? undefined;
    if (!options.userCode) fail(`no user code: ${USAGE}`);
    return options;
}

// The red line oidc-provider puts above the code form after a failed step
// ("The code you entered is incorrect", "The Sign-in request was interrupted").
function providerMessage(html) {
    const m = /<p class="red">([\s\S]*?)<\/p>/i.exec(html);
    return m ? pageText(m[1]) : undefined;
}

// The device flow's own pages: the code form (xsrf + user_code), the
// auto-submitting copy of it behind verification_uri_complete, and the
// "Confirm Device" form (xsrf + user_code + confirm=yes).
function devicePage(page, options) {
    const { form, html } = page;
    if (!form || !('xsrf' in form.fields) || !('user_code' in form.fields)) return undefined;
    const message = providerMessage(html);
    if (message) {
        if (options.deny && /interrupted/i.test(message)) return { done: 'denied' };
        fail(`the provider refused the code: ${message}`);
    }
    const fields = new URLSearchParams(form.fields);
    if (form.fields.confirm === 'yes') {
        if (options.deny) {
            // The Abort button submits the same form with abort=yes instead of confirm.
            fields.delete('confirm');
            fields.set('abort', 'yes');
        }
        return { post: form.action, fields };
    }
    if (!fields.get('user_code')) fields.set('user_code', options.userCode);
    return { post: form.action, fields };
}

const options = parseArguments(process.argv.slice(2));

const { done } = await walk(options.start, {
    onPage(page) {
        if (page.status !== 200) fail(`${where(page.url)} answered ${page.status}: ${pageText(page.html)}`);
        if (/<title>Sign-in Success<\/title>/i.test(page.html)) return { done: 'approved' };
        const next = devicePage(page, options) ?? devInteraction(page, { login: options.login, deny: false });
        if (next) return next;
        fail(`${where(page.url)} is not a device, login or consent page: ${pageText(page.html)}`);
    }
});

say(done === 'approved'
    ? `signed in as ${options.login}; the provider shows its success page`
    : 'aborted; the provider says the sign-in request was interrupted');
process.exit(0);
