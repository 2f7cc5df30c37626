"""Process plumbing of the console script: one error line + exit code, signals turned into exceptions (so
cleanup of temporary output folders runs), the log-record format, usage lines."""
from __future__ import annotations

import logging
import os
import sys
import warnings

import click
import typer

from .errors import InputError

__all__ = ["fail", "Terminated", "install_signal_handlers", "PREVIOUS_HUP", "LowerLevelFormatter", "plain_usage", "run_console"]


def fail(message: str, code: int) -> None:
    print(f"textcluster: error: {message}", file=sys.stderr)
    sys.exit(code)


class Terminated(BaseException):
    """Raised in the main process on SIGTERM (exit 143) or SIGHUP (exit 129) so that cleanup (temporary output
    folders) runs; ``args[0]`` is the signal number."""


def install_signal_handlers():
    """SIGTERM -> :class:`Terminated` in this process (forked workers keep the default: they just end).

    Returns the previous handler (None when none could be installed)."""
    import signal

    main_pid = os.getpid()

    def on_term(signum, frame):
        if os.getpid() != main_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated(signum)

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread (e.g. main() called from a worker thread): keep the default
        return None
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # nohup keeps ignoring
        PREVIOUS_HUP.append(signal.signal(signal.SIGHUP, on_term))
    return previous


PREVIOUS_HUP: list = []


class LowerLevelFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.levelname = record.levelname.lower()
        return super().format(record)


def plain_usage(command) -> None:
    """Usage lines show required arguments as INPUT (the convention of --help pages), not typer's {INPUT}."""
    for sub in getattr(command, "commands", {}).values():
        for p in sub.params:
            if hasattr(p, "_usage_display_name") and getattr(p, "required", False):
                p._usage_display_name = lambda p=p: p.display_name_raw + ("..." if p.nargs != 1 else "")


def run_console(get_command, argv: list[str] | None = None) -> None:
    """Run the click command ``get_command()`` on ``argv`` and turn every failure into one line + exit code
    (0 done, 2 bad input or arguments, 1 anything else, 130 interrupted, 143 terminated, 129 hung up)."""
    previous_sigterm = install_signal_handlers()
    debug = bool(os.environ.get("TEXTCLUSTER_DEBUG"))
    # one format for log records and Python warnings: "textcluster: warning: ..." (like "textcluster: error: ...")
    logging.basicConfig(level=logging.INFO if debug else logging.WARNING,
                        format="textcluster: %(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(LowerLevelFormatter("textcluster: %(levelname)s: %(message)s"))
    warnings.formatwarning = lambda msg, cat, *a, **k: f"textcluster: warning: {msg}\n"
    try:
        command = get_command()
        plain_usage(command)
        code = command.main(args=argv, prog_name="textcluster", standalone_mode=False)
    except (typer.Abort, click.exceptions.Abort, KeyboardInterrupt):
        fail("interrupted", 130)
    except Terminated as exc:
        import signal

        hup = bool(exc.args) and exc.args[0] == getattr(signal, "SIGHUP", None)
        fail("hung up (SIGHUP); previous results are kept" if hup else "terminated", 129 if hup else 143)
    except (typer.TyperException, click.exceptions.ClickException) as exc:
        # Usage errors (unknown option, bad value): typer vendors its own click, so match both.
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `textcluster`: show the help, not an error
            print(exc.format_message(), file=sys.stderr)
            sys.exit(2)
        fail(exc.format_message().replace("\n", " "), getattr(exc, "exit_code", 2) or 2)
    except InputError as exc:
        fail(str(exc), 2)
    except MemoryError:
        fail("out of memory (try a smaller corpus or fewer dimensions)", 1)
    except OSError as exc:
        if debug:
            raise
        hint = {28: " (free some space or choose another --out; previous results are kept)",
                13: " (permission denied: choose another --out)", 30: " (read-only file system: choose another "
                "--out)"}.get(exc.errno, "")
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ") + hint, 2 if hint else 1)
    except Exception as exc:  # noqa: BLE001 -- the one place that turns unknown failures into exit 1
        if debug:
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set TEXTCLUSTER_DEBUG=1 for the traceback)", 1)
    finally:
        if previous_sigterm is not None:
            import signal

            signal.signal(signal.SIGTERM, previous_sigterm)
            while PREVIOUS_HUP:
                signal.signal(signal.SIGHUP, PREVIOUS_HUP.pop())
    if code == 130:  # typer turns KeyboardInterrupt into a silent `return 130`
        fail("interrupted", 130)
    sys.exit(code if isinstance(code, int) else 0)
