#!/usr/bin/env python3
"""Validates deploy/ against the built mcpauth.

  check_deploy.py systemd MCPAUTH   deploy/mcpauth-gateway@.service
  check_deploy.py compose MCPAUTH   deploy/compose.yaml, Caddyfile, entrypoint

Every `mcpauth` flag the files pass must be one `mcpauth gateway --help` of
the built binary lists, and the command as written must pass the gateway's
own argument checks (a dry run against a PostgreSQL URL nothing answers);
each check is also run on a copy with a misspelled flag, which it must
reject (so a check that cannot fail fails).
Exit status 0 when everything holds; otherwise each problem on stderr.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

DEPLOY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy")
UNIT = os.path.join(DEPLOY, "mcpauth-gateway@.service")
COMPOSE = os.path.join(DEPLOY, "compose.yaml")
CADDYFILE = os.path.join(DEPLOY, "Caddyfile")
ENTRYPOINT = os.path.join(DEPLOY, "gateway-entrypoint.sh")
SECRET_VARIABLES = ("MCPAUTH_KEY", "MCPAUTH_KEY_PREVIOUS", "PGPASSWORD", "MCPAUTH_GATEWAY_KEY")


class Problems(list):
    def check(self, condition, message):
        if not condition:
            self.append(message)


def gateway_flags(mcpauth):
    """The long options `mcpauth gateway --help` lists."""
    out = subprocess.run([mcpauth, "gateway", "--help"], capture_output=True, text=True, check=True).stdout
    flags = set(re.findall(r"^\s+(?:-\w,)?(--[a-z][a-z0-9-]*)", out, re.M))
    if "--listen" not in flags or "--store" not in flags:
        raise SystemExit("check_deploy: `mcpauth gateway --help` lists no --listen/--store: " + out[:200])
    return flags


def check_argv(problems, where, argv, flags):
    """argv: the words from `mcpauth` on. Returns {flag: value or None}."""
    problems.check(argv[:2] == ["mcpauth", "gateway"], f"{where}: does not run `mcpauth gateway`: {argv[:2]}")
    given = {}
    words = argv[2:]
    for i, word in enumerate(words):
        if not word.startswith("-"):
            continue
        name = word.split("=", 1)[0]
        problems.check(name in flags, f"{where}: `mcpauth gateway` has no option {name}")
        value = word.split("=", 1)[1] if "=" in word else (words[i + 1] if i + 1 < len(words) else None)
        if value is not None and value.startswith("-"):
            value = None
        given[name] = value
    return given


def dry_run(problems, where, argv, mcpauth):
    """Runs the command as written, but on a free loopback port, a scratch
    config, and a PostgreSQL URL nothing answers: every option is then parsed
    and checked by the gateway itself, which must get as far as the store
    (exit 7, the store cannot be used), never stop at its arguments (exit 2)."""
    words = list(argv[2:])
    with tempfile.TemporaryDirectory() as scratch:
        config = os.path.join(scratch, "config.json")
        with open(config, "w") as out:
            out.write('{"mcpServers": {}}')
        stand_in = {"--listen": "127.0.0.1:0", "--config": config,
                    "--store": "postgresql://nobody@127.0.0.1:1/none?connect_timeout=5",
                    "--public-url": "https://mcp.example.com"}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch,
               "XDG_DATA_HOME": scratch, "XDG_CONFIG_HOME": scratch,
               "MCPAUTH_KEY": "A" * 43}  # a well-formed dummy key (32 zero bytes)
        for i, word in enumerate(words[:-1]):
            if word in stand_in:
                words[i + 1] = stand_in[word]
            elif word in ("--api-key-env", "--host-key-env"):
                env[words[i + 1]] = "dummy-key-for-the-dry-run-0123456789"
        run = subprocess.run([mcpauth, "gateway"] + words, env=env, capture_output=True, text=True, timeout=30)
    problems.check(run.returncode == 7, f"{where}: the gateway stopped before its store (exit {run.returncode}): "
                   + run.stderr.strip()[:300])


# --- systemd -----------------------------------------------------------------


def parse_unit(text):
    sections, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def check_unit(text, flags, mcpauth, verify):
    problems = Problems()
    service = parse_unit(text).get("Service", {})
    one = lambda key: (service.get(key) or [None])[-1]
    required = {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "SystemCallFilter": "@system-service",
        "MemoryDenyWriteExecute": "yes",
        "Restart": "on-failure",
        "DynamicUser": "yes",
    }
    for key, value in required.items():
        problems.check(one(key) == value, f"unit: {key}={value} expected, found {one(key)!r}")
    families = set((one("RestrictAddressFamilies") or "").split())
    problems.check({"AF_INET", "AF_INET6", "AF_UNIX"} <= families, f"unit: RestrictAddressFamilies {families}")
    # Two descriptors per session, 10,000 sessions, 256 in reserve (docs/gateway.md).
    nofile = one("LimitNOFILE") or "0"
    problems.check(nofile.isdigit() and int(nofile) >= 2 * 10000 + 256, f"unit: LimitNOFILE={nofile} too low")
    stop = re.fullmatch(r"(\d+)s?", one("TimeoutStopSec") or "")
    problems.check(stop is not None and 5 <= int(stop.group(1)) <= 90, "unit: TimeoutStopSec between 5 s and 90 s")
    problems.check(one("EnvironmentFile") == "/etc/mcpauth/%i.env", "unit: EnvironmentFile=/etc/mcpauth/%i.env")
    # No secret in the unit: no key, password or key value in Environment=.
    for assignment in service.get("Environment", []):
        name = assignment.split("=", 1)[0]
        problems.check(name not in SECRET_VARIABLES, f"unit: {name} set in the unit itself")
    exec_start = one("ExecStart") or ""
    argv = exec_start.split()
    problems.check(bool(argv) and argv[0] == "/usr/bin/mcpauth", f"unit: ExecStart runs {argv[:1]}")
    given = check_argv(problems, "unit ExecStart", ["mcpauth"] + argv[1:], flags)
    dry_run(problems, "unit ExecStart", ["mcpauth"] + argv[1:], mcpauth)
    problems.check(given.get("--store") == "${MCPAUTH_STORE_URL}", "unit: --store ${MCPAUTH_STORE_URL} expected")
    problems.check(
        (given.get("--listen") or "").startswith("127.0.0.1:"), "unit: behind a proxy on this host, listen on loopback"
    )
    if verify:
        problems.extend(systemd_analyze(text, mcpauth))
    return problems


def systemd_analyze(text, mcpauth):
    """`systemd-analyze verify` on an instance; any message is a problem (it exits 0 on unknown keys)."""
    tool = shutil.which("systemd-analyze")
    if not tool:
        return ["systemd-analyze not found (Debian package systemd; scripts/install-deps.sh installs it)"]
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "mcpauth-gateway@8931.service")
        with open(path, "w") as out:
            out.write(text.replace("/usr/bin/mcpauth", os.path.abspath(mcpauth)))
        run = subprocess.run([tool, "verify", "--man=no", path], capture_output=True, text=True)
    messages = (run.stdout + run.stderr).strip()
    return [f"systemd-analyze verify: {messages or 'exit ' + str(run.returncode)}"] if run.returncode or messages else []


# --- compose -----------------------------------------------------------------


def check_compose(text, caddyfile, flags, mcpauth):
    import yaml  # python3-yaml

    problems = Problems()
    doc = yaml.safe_load(text)
    services = doc.get("services", {})
    top_secrets = doc.get("secrets", {})
    postgres = [s for s in services.values() if str(s.get("image", "")).startswith("postgres:")]
    problems.check(len(postgres) == 1, "compose: one postgres service")
    if postgres:
        problems.check(re.match(r"postgres:15(\b|-)", postgres[0]["image"]) is not None, "compose: PostgreSQL 15 image")
        data = [str(v).split(":")[0] for v in postgres[0].get("volumes", []) if ":/var/lib/postgresql/data" in str(v)]
        problems.check(len(data) == 1 and data[0] in (doc.get("volumes") or {}), "compose: a named volume for PGDATA")
        problems.check("healthcheck" in postgres[0], "compose: postgres has a health check")
    gateways = {n: s for n, s in services.items() if (s.get("command") or [None])[:2] == ["mcpauth", "gateway"]}
    problems.check(len(gateways) == 2, f"compose: two gateway services, found {sorted(gateways)}")
    stores, ports = set(), {}
    for name, service in gateways.items():
        given = check_argv(problems, f"compose {name}", service["command"], flags)
        dry_run(problems, f"compose {name}", service["command"], mcpauth)
        stores.add(given.get("--store"))
        ports[name] = (given.get("--listen") or "").rsplit(":", 1)[-1]
        problems.check("healthcheck" in service, f"compose: {name} has a health check")
        secrets = service.get("secrets", [])
        problems.check("mcpauth_store_key" in secrets, f"compose: {name} gets the store key as a secret")
        for variable, value in (service.get("environment") or {}).items():
            problems.check(variable not in SECRET_VARIABLES, f"compose: {name} sets {variable} in its environment")
            if variable.endswith("_SECRET"):
                secret = str(value).removeprefix("/run/secrets/")
                problems.check(secret in secrets, f"compose: {name}'s {variable} is not one of its secrets")
        problems.check(not any("KEY=" in str(word) for word in service["command"]), f"compose: {name} key in argv")
    problems.check(len(stores) == 1 and all(s and s.startswith("postgresql://") for s in stores),
                   f"compose: both gateways on one PostgreSQL store URL, found {stores}")
    for name, secret in top_secrets.items():
        problems.check(set(secret) == {"file"}, f"compose: secret {name} is a file")
    upstreams = []
    for line in caddyfile.splitlines():
        words = line.split()
        if words[:1] == ["reverse_proxy"]:
            upstreams += [w for w in words[1:] if w != "{"]
    expected = sorted(f"{name}:{port}" for name, port in ports.items())
    problems.check(sorted(upstreams) == expected, f"Caddyfile: reverse_proxy {upstreams}, expected {expected}")
    problems.check(re.search(r"^\s*header_up Host \{upstream_hostport\}", caddyfile, re.M) is not None,
                   "Caddyfile: the gateway needs its own host:port as Host")
    proxy = [s for s in services.values() if str(s.get("image", "")).startswith(("caddy:", "nginx:"))]
    problems.check(len(proxy) == 1, "compose: one reverse proxy (caddy)")
    return problems


def check_entrypoint():
    """gateway-entrypoint.sh moves a secret file's content into its variable, and drops the _SECRET name."""
    problems = Problems()
    with tempfile.TemporaryDirectory() as scratch:
        secret = os.path.join(scratch, "s")
        with open(secret, "w") as out:
            out.write("not-a-real-key-0123456789")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MCPAUTH_GATEWAY_KEY_SECRET": secret}
        probe = 'test "$MCPAUTH_GATEWAY_KEY" = not-a-real-key-0123456789 && test -z "${MCPAUTH_GATEWAY_KEY_SECRET+x}"'
        run = subprocess.run(["sh", ENTRYPOINT, "sh", "-c", probe], env=env, capture_output=True)
    problems.check(run.returncode == 0, "gateway-entrypoint.sh: MCPAUTH_GATEWAY_KEY_SECRET not moved into its variable")
    return problems


def report(problems, label):
    for p in problems:
        print(f"check_deploy: {p}", file=sys.stderr)
    print(f"{label}: {'ok' if not problems else str(len(problems)) + ' problem(s)'}")
    return not problems


def main():
    kind, mcpauth = sys.argv[1], sys.argv[2]
    flags = gateway_flags(mcpauth)
    if kind == "systemd":
        text = open(UNIT).read()
        good = report(check_unit(text, flags, mcpauth, verify=True), "systemd unit")
        mutant = check_unit(text.replace("--listen", "--lisen"), flags, mcpauth, verify=False)
        good &= report(Problems() if mutant else Problems(["a misspelled flag in ExecStart passed"]), "self-check")
    elif kind == "compose":
        text, caddyfile = open(COMPOSE).read(), open(CADDYFILE).read()
        good = report(check_compose(text, caddyfile, flags, mcpauth), "compose file")
        good &= report(check_entrypoint(), "entrypoint")
        mutant = check_compose(text.replace("- --store", "- --stor", 1), caddyfile, flags, mcpauth)
        good &= report(Problems() if mutant else Problems(["a misspelled flag in a gateway command passed"]), "self-check")
    else:
        raise SystemExit(f"check_deploy: unknown kind {kind}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
