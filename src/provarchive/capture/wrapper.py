"""``provarchive run [OPTIONS] -- CMD ARGS...``: record any command as an activity.

The command runs directly from its argv list (``posix_spawnp``, never a shell, so
``;``, ``|``, ``$(...)`` in arguments stay literal) with the wrapper's environment plus
``PROVARCHIVE_SPOOL`` and ``PROVARCHIVE_PARENT_ACTIVITY``, so that a Python tool inside
it that uses :func:`provarchive.capture.activity` records its own steps nested under the
command in the same spool. The wrapper's exit status is the command's (``128 + N`` when
the command was killed by signal N, ``127`` when it could not be started).

Recorded: declared inputs (``--used``), declared outputs (``--generated``; for a
directory, the files created or changed in it, found by comparing snapshots before and
after), parameters, stdout/stderr as entities (``--capture-output``), exit status,
signal, CPU time and peak memory of the command, and the environment.

Fixed overhead budget: 30 ms over the bare command (DESIGN.md). This module therefore
imports only the recorder (no typer, no model, no json, no subprocess); the model and
formats are loaded only after the command has finished, when ``-o`` or ``--archive``
asks for a document.
"""

from __future__ import annotations

import os
import sys
import time

from .entities import walk_file_entries
from .recorder import RecordedActivity

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms to import on the fast path
    from typing import Any

__all__ = ["main", "build_parser", "fast_parse", "split_role", "OPTIONS", "RunOptions"]

EXIT_CANNOT_RUN = 127
EXIT_USAGE = 2


#: The options of ``provarchive run``: (flags, dest, action, metavar, help, choices).
#: One table drives both parsers below, so they cannot disagree.
OPTIONS: tuple[tuple[tuple[str, ...], str, str, str | None, str, tuple[str, ...] | None], ...] = (
    (("--name",), "name", "store", "NAME", "activity name (default: the command's file name)", None),
    (("--used",), "used", "append", "PATH[:ROLE]", "declared input (repeatable)", None),
    (("--generated",), "generated", "append", "PATH_OR_DIR[:ROLE]", "declared output (repeatable)", None),
    (("--param",), "param", "append", "K=V", "parameter to record (repeatable)", None),
    (("--config",), "config", "append", "PATH", "configuration file (repeatable)", None),
    (("--description",), "description", "store", "NAME_OR_ID", "ActivityDescription this run follows", None),
    (("--capture-output",), "capture_output", "flag", None, "record stdout and stderr as entities", None),
    (("--hash",), "hash", "store", None, "hashing of files (default: full)", ("full", "deferred", "stat")),
    (("--git",), "git", "flag", None, "record the git state of the working directory", None),
    (("--spool",), "spool", "store", "PATH", "JSON-Lines spool to append to", None),
    (("-o", "--output"), "output", "store", "FILE", "write the provenance document here", None),
    (("--archive",), "archive", "store", "URL", "upload the provenance to this archive", None),
    (("--format",), "format", "store", "FMT", "format of -o (default: from the file extension)", None),
    (("-q", "--quiet"), "quiet", "flag", None, "no messages from provarchive itself", None),
)
#: Options that exclude each other.
EXCLUSIVE = ("output", "archive")


class RunOptions:
    """Parsed options (the attributes are the ``dest`` names of :data:`OPTIONS`)."""

    def __init__(self, **values: Any) -> None:
        for _flags, dest, action, *_rest in OPTIONS:
            setattr(self, dest, [] if action == "append" else (False if action == "flag" else None))
        self.command: list[str] = []
        self.__dict__.update(values)


def build_parser() -> Any:
    """The argparse parser: used for ``--help``, for errors and for any unusual spelling.

    Importing argparse costs about 10 ms (it pulls in re, gettext and locale), a third
    of the wrapper's budget, so well-formed command lines are read by
    :func:`fast_parse` and argparse is loaded only when that declines.
    """
    import argparse

    class Formatter(argparse.HelpFormatter):
        """Asks the terminal width from ``os``: the default formatter imports shutil (~3 ms)."""

        def __init__(self, prog: str) -> None:
            try:
                width = os.get_terminal_size(2).columns
            except OSError:
                width = 100
            super().__init__(prog, width=max(width - 2, 40))

    parser = argparse.ArgumentParser(
        prog="provarchive run",
        formatter_class=Formatter,
        usage="provarchive run [OPTIONS] -- CMD [ARGS...]",
        description="Run a command (no shell) and record its provenance: inputs, outputs, parameters, environment.",
        epilog="Example: provarchive run --used raw.fits:events --generated out/ -o prov.json -- calib raw.fits out/",
    )
    exclusive = parser.add_mutually_exclusive_group()
    for flags, dest, action, metavar, help, choices in OPTIONS:
        target = exclusive if dest in EXCLUSIVE else parser
        if action == "flag":
            target.add_argument(*flags, dest=dest, action="store_true", help=help)
        elif action == "append":
            target.add_argument(*flags, dest=dest, action="append", default=[], metavar=metavar, help=help)
        else:
            target.add_argument(*flags, dest=dest, metavar=metavar, choices=choices, help=help)
    parser.add_argument("command", nargs="*", help="the command and its arguments (after --)")
    return parser


def fast_parse(options: list[str]) -> RunOptions | None:
    """Read options spelled exactly as in :data:`OPTIONS` (``--opt VALUE``, ``--opt=VALUE``).

    Returns ``None`` for anything else (help, unknown or abbreviated options, a missing
    value, a bad choice, conflicting options): the caller then lets argparse read the
    line, which gives the standard messages.
    """
    table = {flag: (dest, action, choices) for flags, dest, action, _m, _h, choices in OPTIONS for flag in flags}
    values = RunOptions()
    index = 0
    while index < len(options):
        token = options[index]
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        spec = table.get(name)
        if spec is None:
            return None
        dest, action, choices = spec
        if action == "flag":
            if equals:
                return None
            setattr(values, dest, True)
            index += 1
            continue
        if equals:
            value = inline
            index += 1
        else:
            if index + 1 >= len(options) or options[index + 1].startswith("-"):
                return None
            value = options[index + 1]
            index += 2
        if choices is not None and value not in choices:
            return None
        if action == "append":
            getattr(values, dest).append(value)
        elif getattr(values, dest) is not None:
            return None  # given twice: let argparse apply its rule
        else:
            setattr(values, dest, value)
    if all(getattr(values, dest) for dest in EXCLUSIVE):
        return None
    return values


def split_role(spec: str) -> tuple[str, str | None]:
    """``PATH[:ROLE]`` → (path, role). A spec that is an existing path is never split."""
    path, sep, role = spec.rpartition(":")
    if not sep or not path or os.path.lexists(spec) or "/" in role:
        return spec, None
    return path, role or None


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        try:  # noqa: SIM105 - importing contextlib would cost time on the fast path
            os.write(2, f"provarchive run: {message}\n".encode("utf-8", "replace"))
        except OSError:
            pass


def _snapshot(root: str) -> dict[str, tuple[int, int, int]]:
    """``{path: (size, mtime_ns, inode)}`` of every file under ``root``."""
    found: dict[str, tuple[int, int, int]] = {}
    for entry in walk_file_entries(root):
        try:
            st = entry.stat()
        except OSError:  # removed since it was listed
            continue
        found[entry.path] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return found


class _Tee:
    """Copies a pipe to one of our file descriptors and to a capture file (a thread)."""

    def __init__(self, read_fd: int, echo_fd: int, path: str) -> None:
        import threading

        self.read_fd, self.echo_fd, self.path = read_fd, echo_fd, path
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"provarchive-tee-{echo_fd}")
        self.thread.start()

    def _run(self) -> None:
        with open(self.path, "wb") as out:
            while True:
                try:
                    chunk = os.read(self.read_fd, 1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                out.write(chunk)
                try:  # noqa: SIM105 - importing contextlib would cost time on the fast path
                    os.write(self.echo_fd, chunk)
                except OSError:
                    pass
        os.close(self.read_fd)

    def join(self) -> None:
        self.thread.join()


def _signal_module() -> Any:
    """The C signal module: ``signal`` wraps it in enums, whose import costs ~4 ms here."""
    try:
        import _signal

        return _signal
    except ImportError:  # pragma: no cover - other interpreters
        import signal

        return signal


def _spawn(command: list[str], env: dict[str, str], capture: dict[int, int] | None) -> int:
    signal = _signal_module()

    file_actions = [(os.POSIX_SPAWN_DUP2, w, fd) for fd, w in (capture or {}).items()]
    return os.posix_spawnp(
        command[0],
        command,
        env,
        file_actions=file_actions or None,
        setsigdef=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE),
    )


class _SignalForwarder:
    """Passes SIGTERM and SIGHUP on to the command while the wrapper runs it.

    A batch system's SIGTERM (time limit, ``scancel``) goes to the wrapper alone, so it
    is forwarded and the command's reaction is recorded. SIGINT from a terminal already
    reaches the whole process group, so once the command runs it is ignored here. The
    handlers are installed before anything is recorded: a signal arriving while the
    command is being started is kept and sent as soon as the command exists.
    """

    def __init__(self) -> None:
        self.signal = _signal_module()
        self.pid: int | None = None
        self.pending: list[int] = []
        self.previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.pid is None:
            self.pending.append(signum)
        elif signum != self.signal.SIGINT:
            try:  # noqa: SIM105 - importing contextlib would cost time on the fast path
                os.kill(self.pid, signum)
            except OSError:
                pass

    def __enter__(self) -> _SignalForwarder:
        for sig in (self.signal.SIGTERM, self.signal.SIGHUP, self.signal.SIGINT):
            self.previous[sig] = self.signal.signal(sig, self._handle)
        return self

    def started(self, pid: int) -> None:
        """The command exists: deliver what arrived before."""
        self.pid = pid
        for signum in self.pending:
            try:  # noqa: SIM105 - importing contextlib would cost time on the fast path
                os.kill(pid, signum)
            except OSError:
                pass
        self.pending.clear()

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            self.signal.signal(sig, handler)


def _wait(pid: int) -> tuple[int, Any]:
    """Wait for ``pid``; returns (wait status, its resource usage)."""
    try:
        _pid, status, usage = os.wait4(pid, 0)
        return status, usage
    except ChildProcessError:  # pragma: no cover - reaped elsewhere
        return 0, None


def main(argv: list[str]) -> int:
    """Entry point of ``provarchive run``; returns the command's exit status."""
    if "--" in argv:
        split = argv.index("--")
        options, command = argv[:split], argv[split + 1 :]
    else:
        options, command = argv, []
    args: Any = fast_parse(options)
    if args is None:
        args = build_parser().parse_args(options)
    if args.command:
        if command:
            build_parser().error(f"unexpected arguments before --: {' '.join(args.command)}")
        command = args.command
    if not command:
        build_parser().error("no command given; usage: provarchive run [OPTIONS] -- CMD ARGS...")
    parameters: dict[str, str] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            build_parser().error(f"--param {item!r}: expected K=V")
        parameters[key] = value
    if args.format and not args.output:
        build_parser().error("--format applies to -o/--output")
    return _run(args, command, parameters)


def _run(args: Any, command: list[str], parameters: dict[str, str]) -> int:
    with _SignalForwarder() as signals:
        return _record(args, command, parameters, signals)


def _record(args: Any, command: list[str], parameters: dict[str, str], signals: _SignalForwarder) -> int:
    from .environment import mask_argv

    user_spool = args.spool or os.environ.get("PROVARCHIVE_SPOOL")
    act = RecordedActivity(
        args.name or os.path.basename(command[0]),
        spool=args.spool,
        description=args.description,
        parameters=parameters,
        hash=args.hash,
        git=bool(args.git),
    )
    try:
        act.start()
    except ValueError as exc:
        _say(str(exc), False)
        return EXIT_USAGE
    act.attribute("pa:command", " ".join(mask_argv(command)))
    for spec in args.used:
        path, role = split_role(spec)
        act.used(path, role)
    for path in args.config:
        act.config_file(path)
    outputs = [split_role(spec) for spec in args.generated]
    snapshots = {path: _snapshot(path) for path, _role in outputs if os.path.isdir(path)}

    env = dict(os.environ)
    env["PROVARCHIVE_SPOOL"] = act.spool_path or ""
    env["PROVARCHIVE_PARENT_ACTIVITY"] = act.id
    capture_files: dict[int, str] = {}
    tees: list[_Tee] = []
    pipes: dict[int, int] = {}
    if args.capture_output:
        base = os.path.splitext(act.spool_path or "run")[0] + "-" + act.id.rpartition("-")[2][:12]
        for fd, label in ((1, "stdout"), (2, "stderr")):
            read_fd, write_fd = os.pipe()
            pipes[fd] = write_fd
            capture_files[fd] = f"{base}.{label}.txt"
            tees.append(_Tee(read_fd, fd, capture_files[fd]))
    started = time.time()
    signal_number: int | None = None
    try:
        pid = _spawn(command, env, pipes)
    except OSError as exc:
        for write_fd in pipes.values():
            os.close(write_fd)
        for tee in tees:
            tee.join()
        message = f"cannot run {command[0]!r}: {exc.strerror or exc}"
        _say(message, args.quiet)
        act.finish(outcome=("failed", EXIT_CANNOT_RUN, message))
        return _deliver(act, args, user_spool, EXIT_CANNOT_RUN)
    signals.started(pid)
    for write_fd in pipes.values():
        os.close(write_fd)
    status, child_usage = _wait(pid)
    for tee in tees:
        tee.join()
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal_number, code = -code, 128 - code
    usage = {
        "max_rss_kib": int(child_usage.ru_maxrss) if child_usage is not None else 0,
        "cpu_user_s": round(child_usage.ru_utime, 6) if child_usage is not None else 0.0,
        "cpu_system_s": round(child_usage.ru_stime, 6) if child_usage is not None else 0.0,
        "wall_s": round(time.time() - started, 6),
    }

    for fd, path in capture_files.items():
        act.generated(path, "stdout" if fd == 1 else "stderr")
    for path, role in outputs:
        if path in snapshots or os.path.isdir(path):
            old = snapshots.get(path, {})
            new = _snapshot(path)
            changed = sorted(p for p, ident in new.items() if old.get(p) != ident)
            if changed:
                act.generated_collection(changed, role, name=os.path.basename(os.path.abspath(path)))
            else:
                act.attribute("pa:warning", f"declared output directory {path} has no new or changed files")
        else:
            act.generated(path, role)

    outcome: tuple[str, int | None, str | None]
    if signal_number is not None:
        outcome = ("killed", code, f"terminated by signal {signal_number}")
    else:
        outcome = ("completed" if code == 0 else "failed", code, None)
    extra = {"signal": signal_number} if signal_number is not None else None
    act.finish(outcome=outcome, usage=usage, extra=extra)
    return _deliver(act, args, user_spool, code)


def _deliver(act: RecordedActivity, args: Any, user_spool: str | None, code: int) -> int:
    """Write ``-o`` or upload to ``--archive``; never changes the command's exit status."""
    spool = act.spool_path
    if spool is None:
        return code
    if args.output or args.archive:  # the document must carry the deferred digests
        from .recorder import wait_for_deferred_hashes

        wait_for_deferred_hashes()
    if args.output:
        try:
            from ..formats import write
            from .spool import compile_spool

            write(compile_spool(spool), args.output, args.format)
        except Exception as exc:  # the command's result must survive any provenance failure
            _say(f"could not write {args.output}: {exc}; the events are kept in {spool}", False)
            return code
        if not user_spool:
            try:  # noqa: SIM105 - importing contextlib would cost time on the fast path
                os.unlink(spool)
            except OSError:
                pass
    elif args.archive:
        from .environment import mask_argv
        from .upload import upload

        result = upload(spool, args.archive)
        if not result.ok:
            shown = mask_argv([args.archive])[0]  # a token in the URL must not reach logs
            _say(
                f"upload to {shown} failed ({result.error}); spool kept at {spool} "
                f"(retry: provarchive spool upload {spool} --archive {shown})",
                args.quiet,
            )
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
