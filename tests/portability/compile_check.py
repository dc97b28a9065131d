#!/usr/bin/env python3
"""Compiles the project's sources again, syntax only, with another toolchain.

Usage: compile_check.py libcxx|mingw BUILD_DIR [TARGET...]

Reads BUILD_DIR/compile_commands.json (the main build's, so the flags,
include dirs and defines are the ones the real build uses) and re-runs each
entry with another compiler and -fsyntax-only, two at a time (the machine's
two cores are shared with the rest of the test run). Fails when a file does
not compile, naming each such file with its first error.

  libcxx  clang++-14 -stdlib=libc++ (macOS's standard library) over every
          project file of the build.
  mingw   x86_64-w64-mingw32-g++-posix (Windows headers, no POSIX) over the
          files of the given CMake targets (default: mcpauth_core). Only the
          third-party headers the layer needs are visible, through a private
          include dir of links, never /usr/include itself (glibc's headers
          would hide a POSIX include).
"""
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import tempfile

# Flags of the main build that mean nothing for a syntax check, or that
# another compiler does not take. -Werror goes too: the point is portability,
# and clang's or MinGW's warnings are not the CI build's warnings.
DROPPED_FLAGS = {"-c", "-Werror", "-fPIC"}
DROPPED_PREFIXES = ("-fsanitize", "-fno-sanitize", "-fno-omit-frame-pointer")

# What MinGW may see from /usr/include: header-only or platform-neutral
# libraries (CLI11, "CLI", for the command's src/app). (OpenSSL's
# configuration.h is Debian's x86_64 one: good enough for a syntax check, not
# for a Windows build, which uses vcpkg's.)
MINGW_THIRD_PARTY = ["nlohmann", "curl", "openssl", "boost", "sqlite3.h", "CLI"]
MULTIARCH = "x86_64-linux-gnu"

# Files CMake builds for POSIX systems or Linux only (their Windows
# counterparts are other files): src/platform's <concern>_posix.cpp and
# _linux.cpp, and the libsecret keyring (a Linux desktop library; Windows
# gets keyring_none.cpp, later a Credential Manager one). Not compiled for
# Windows, whatever target they are in.
NOT_FOR_WINDOWS = ("_posix.cpp", "_linux.cpp", "/keyring_libsecret.cpp")

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEBT_FILE = os.path.join(SOURCE_DIR, "tests/portability/system-header-debt.txt")


def header_debt():
    """The files that still include a POSIX header (system_headers.sh keeps the list true)."""
    with open(DEBT_FILE, encoding="utf-8") as f:
        return {line.split("#")[0].strip() for line in f} - {""}


def project_entries(build_dir, targets):
    with open(os.path.join(build_dir, "compile_commands.json"), encoding="utf-8") as f:
        entries = json.load(f)
    chosen = []
    for entry in entries:
        args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
        path = os.path.abspath(os.path.join(entry["directory"], entry["file"]))
        # The project's files and the build's generated ones, nothing else.
        if not path.startswith((SOURCE_DIR + os.sep, os.path.abspath(build_dir) + os.sep)):
            continue
        if targets and not any(f"CMakeFiles/{t}.dir/" in a for a in args for t in targets):
            continue
        chosen.append((entry["directory"], path, args))
    return chosen


# Include dirs that hold the C library's own headers: for MinGW they would
# turn a POSIX include into a Linux one that compiles.
SYSTEM_ROOTS = {"/usr/include", "/usr/local/include", f"/usr/include/{MULTIARCH}"}


def rewrite(args, compiler, extra):
    out = [compiler]
    skip_next = False
    for i, arg in enumerate(args[1:], start=1):
        if skip_next:
            skip_next = False
            continue
        if arg == "-o" or (arg in ("-I", "-isystem") and args[i + 1] in SYSTEM_ROOTS):
            skip_next = True
            continue
        if arg in DROPPED_FLAGS or arg.startswith(DROPPED_PREFIXES):
            continue
        if any(arg.startswith(flag) and arg[len(flag) :] in SYSTEM_ROOTS for flag in ("-I", "-isystem")):
            continue
        out.append(arg)
    return out[:1] + extra + ["-fsyntax-only"] + out[1:]


def mingw_include_dir(tmp):
    """A private include dir holding links to the allowed third-party headers only."""
    # Debian splits some of them between /usr/include and the multiarch dir
    # (curl entirely, OpenSSL's configuration.h): one merged dir of links each.
    roots = ["/usr/include", f"/usr/include/{MULTIARCH}"]
    for name in MINGW_THIRD_PARTY:
        if name.endswith(".h"):  # a library of one header
            source = next((os.path.join(r, name) for r in roots if os.path.exists(os.path.join(r, name))), None)
            if source is None:
                raise SystemExit(f"mingw: no {name} in {' or '.join(roots)} (scripts/install-deps.sh installs it)")
            os.symlink(source, os.path.join(tmp, name))
            continue
        merged = os.path.join(tmp, name)
        os.mkdir(merged)
        for root in roots:
            source = os.path.join(root, name)
            for header in os.listdir(source) if os.path.isdir(source) else []:
                link = os.path.join(merged, header)
                if not os.path.lexists(link):
                    os.symlink(os.path.join(source, header), link)
        if not os.listdir(merged):
            raise SystemExit(f"mingw: no {name} headers in {' or '.join(roots)} (scripts/install-deps.sh installs them)")
    return ["-isystem", tmp]


def run(job):
    directory, path, command = job
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True)
    return path, command, result


def first_error(output):
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if "error:" in line:
            return "\n".join(lines[max(0, i - 3) : i + 4])
    return "\n".join(lines[:10])


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("libcxx", "mingw"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, build_dir, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
    with tempfile.TemporaryDirectory(prefix="mcpauth-portability-") as tmp:
        if mode == "libcxx":
            # Debian's Boost 1.74 Asio takes std::invoke_result only from MSVC
            # and falls back on std::result_of, which libc++ 14 drops in C++20;
            # the Boost of Homebrew and vcpkg (1.8x) detects it itself.
            compiler, extra = "clang++-14", ["-stdlib=libc++", "-DBOOST_ASIO_HAS_STD_INVOKE_RESULT=1"]
        else:
            compiler, extra = "x86_64-w64-mingw32-g++-posix", mingw_include_dir(tmp)
            targets = targets or ["mcpauth_core"]
        entries = project_entries(build_dir, targets)
        skipped, system_files = [], []
        if mode == "mingw":
            # A file that includes a POSIX header cannot compile for Windows
            # until its call moves behind src/platform/: it is on the list.
            debt = header_debt()
            skipped = [p for _, p, _ in entries if os.path.relpath(p, SOURCE_DIR) in debt]
            system_files = [p for _, p, _ in entries if p.endswith(NOT_FOR_WINDOWS)]
            entries = [e for e in entries if e[1] not in system_files]
            entries = [e for e in entries if e[1] not in skipped]
        if not entries:
            print(f"{mode}: no files of {targets or 'the project'} in {build_dir}/compile_commands.json", file=sys.stderr)
            return 1
        jobs = [(d, p, rewrite(a, compiler, extra)) for d, p, a in entries]
        failures = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for path, command, result in pool.map(run, jobs):
                if result.returncode == 0:
                    continue
                # Every failing file, each with its first error: one CI run shows them all.
                failures += 1
                print(f"{mode}: {path} does not compile with {compiler}:", file=sys.stderr)
                print(first_error(result.stderr + result.stdout), file=sys.stderr)
                print(f"command: {shlex.join(command)}\n", file=sys.stderr)
        if failures:
            print(f"{mode}: {failures} of {len(jobs)} files do not compile with {compiler}", file=sys.stderr)
            return 1
        note = f"; {len(skipped)} skipped as listed in {os.path.relpath(DEBT_FILE, SOURCE_DIR)}" if skipped else ""
        if mode == "mingw" and system_files:
            note += f"; {len(system_files)} POSIX- or Linux-only by design skipped"
        print(f"{mode}: {len(jobs)} files compile with {compiler} (syntax only){note}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
