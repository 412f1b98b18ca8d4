"""The probe: a fixed POSIX sh script that prints framed /proc text and command output.

Why this shape (DESIGN.md, "Why a persistent shell channel and `tail -n +1`"): one
`tail -n +1 FILE…` prints every fast file with a `==> path <==` header from a single
process, which costs the target about 2 ms per poll instead of 11 ms for one `cat` per
file. With glob sources (/sys files whose names only the target knows) the same single
process is a `head` (GLOB_READER below says why), and where the target's awk allows it
one `awk` kept for the session reads them in head's layout, so no process is started for
the fast read at all (_AWK_START says how). Slow sections (df, uname, os-release,
cpuinfo, mounts) run every N polls, each at every `Source.every`-th of those slow rounds:
one shell function per cadence, the poller calls the ones due (`invocation(rare=…)`). The
slow files and globs of one cadence are one `head` too, framed as `slow_read` (SLOW_READ)
and cut at its headers like the fast read.

Framing: every section is wrapped in marker lines carrying a per-poll random nonce,

    @@sshmon NONCE begin SECTION
    …section text, exactly as produced…
    @@sshmon NONCE end SECTION RC
    @@sshmon NONCE done

The `end` marker is printed as `\\n@@sshmon …`, so text without a trailing newline cannot
swallow it; the reader drops exactly that one newline. The nonce keeps late output from a
poll that timed out from being mistaken for the current one.

Nothing from a target is ever formatted into this script. From the inventory only the
operator's own textfile directory and command lines are, each through `shlex.quote` as
one shell word; the other variable parts are the nonce (hex from `secrets`) and integers.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from parsers.frame import Frames, HeadRead, split
from poller.collectors.base import Collector, Source
from poller.collectors.custom import COMMAND, RC_MARK, CommandSpec
from poller.collectors.registry import COLLECTORS, enabled, sources
from poller.inventory import CommandSetting, Host

MARK: Final = "@@sshmon"


@dataclass(frozen=True, slots=True)
class Plan:
    """What one host's probe reads, assembled from its enabled collectors (and, later, the
    user's textfile directory and commands). Section name -> file path or command text."""

    fast_files: Mapping[str, str]
    slow_files: Mapping[str, str]
    fallback_files: Mapping[str, str]
    slow_commands: Mapping[str, str]
    # section -> the globs whose files it reads: fast ones every poll (after the /proc
    # files), slow ones as a section of their own
    fast_globs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    slow_globs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # user metrics (poller/collectors/custom.py): DIR/*.prom joins the `tail`; commands run
    # only at the polls they are due (`invocation(due=…)`)
    textfile_dir: str | None = None
    commands: tuple[CommandSpec, ...] = ()
    # slow section -> `Source.every` where it is more than 1: read only at the slow
    # rounds its cadence is due (the others run at every slow round)
    cadence: Mapping[str, int] = field(default_factory=dict)
    # frame -> the slow files and globs of one cadence, read by one `head` (SLOW_READ)
    slow_reads: Mapping[str, HeadRead] = field(default_factory=dict)
    # every frame the splitter cuts at head's headers: `slow_reads`, and one per slow glob
    # section as the probe framed them before (recorded captures, `sshmon probe --raw`)
    reads: Mapping[str, HeadRead] = field(default_factory=dict)
    # fast glob sections read only while they match (`Source.sparse`, SPARSE_CHECK)
    sparse: frozenset[str] = frozenset()

    @property
    def cadences(self) -> tuple[int, ...]:
        """The distinct rarer cadences, ascending: one shell function each."""
        return tuple(sorted(set(self.cadence.values())))

    def sections_of(self, rare: tuple[int, ...]) -> frozenset[str]:
        """The slow sections a slow round with the cadences `rare` due reads."""
        slow = (*self.slow_files, *self.slow_globs, *self.slow_commands)
        return frozenset(s for s in slow if self.cadence.get(s, 1) in (1, *rare))


def plan(
    collectors: Iterable[Collector] = COLLECTORS,
    textfile_dir: str | None = None,
    commands: tuple[CommandSpec, ...] = (),
) -> Plan:
    """The probe of `collectors`: an excluded collector's files are not read on the target."""
    found = sources(collectors).values()
    slow_globs = {s.section: s.globs for s in found if s.globs and s.slow}
    slow_reads = _slow_reads(found)
    legacy = {
        name: HeadRead({}, tuple((name, g) for g in globs)) for name, globs in slow_globs.items()
    }
    return Plan(
        fast_files={s.section: s.path for s in found if s.path and not s.slow},
        slow_files={s.section: s.path for s in found if s.path and s.slow},
        fallback_files={s.section: s.fallback for s in found if s.path and s.fallback},
        slow_commands={s.section: s.command for s in found if s.command},
        fast_globs={s.section: s.globs for s in found if s.globs and not s.slow},
        slow_globs=slow_globs,
        textfile_dir=textfile_dir,
        commands=commands,
        cadence={s.section: s.every for s in found if s.slow and s.every > 1},
        slow_reads=slow_reads,
        reads={**legacy, **slow_reads},
        sparse=frozenset(s.section for s in found if s.sparse),
    )


# The frame of each cadence's slow files and globs (+ the cadence where it is more than 1).
SLOW_READ: Final = "slow_read"


def slow_read_frame(every: int) -> str:
    """The name of the frame of the slow files and globs read every `every` slow rounds."""
    return SLOW_READ + (str(every) if every > 1 else "")


def _slow_reads(found: Collection[Source]) -> dict[str, HeadRead]:
    """One `head` per cadence over its slow files (but those with a fallback path, which
    keep their `cat … || cat …`) and globs, instead of a process for each: every process
    the slow round starts costs the target ~0.5 ms (bench/README.md, "Target cost")."""
    read = [s for s in found if s.slow and (s.globs or (s.path and not s.fallback))]
    out = {}
    for every in sorted({s.every for s in read}):
        members = [s for s in read if s.every == every]
        out[slow_read_frame(every)] = HeadRead(
            {s.path: s.section for s in members if s.path},
            tuple((s.section, g) for s in members for g in s.globs),
        )
    if clash := set(out) & {s.section for s in found}:
        raise ValueError(f"a section has the name of a slow read frame: {clash}")
    return out


DEFAULT_PLAN: Final = plan()


def plan_for(host: Host) -> Plan:
    """The probe plan of one host (its enabled collectors, textfile directory, commands)."""
    return plan_of(host.collectors, host.textfile_dir, host.commands)


@lru_cache(maxsize=256)
def plan_of(
    collectors: tuple[str, ...], textfile_dir: str | None, commands: tuple[CommandSetting, ...]
) -> Plan:
    specs = tuple(
        CommandSpec(c.name, c.run, c.every, c.timeout, c.format, c.max_output_bytes)
        for c in commands
    )
    return plan(enabled(collectors), textfile_dir, specs)


# Every collector's sections (what `replay --root` reads, what tests check).
FAST_FILES: Final = dict(DEFAULT_PLAN.fast_files)
SLOW_FILES: Final = dict(DEFAULT_PLAN.slow_files)
FALLBACK_FILES: Final = dict(DEFAULT_PLAN.fallback_files)
SLOW_COMMANDS: Final = dict(DEFAULT_PLAN.slow_commands)
FAST_GLOBS: Final = dict(DEFAULT_PLAN.fast_globs)
SLOW_GLOBS: Final = dict(DEFAULT_PLAN.slow_globs)
ALL_SECTIONS: Final = (*FAST_FILES, *FAST_GLOBS, *SLOW_FILES, *SLOW_GLOBS, *SLOW_COMMANDS)

# What reads the fast files when the plan has globs. Not `tail -n +1`: GNU tail (coreutils
# 9.1, Debian 12) exits at the first file whose read() fails, and sysfs files do fail by
# design (/sys/class/net/*/speed of a down or virtual interface: EINVAL), which would lose
# every file after it. GNU and busybox `head` report the error and go on, and print the
# same `==> path <==` headers and blank separator lines (the /proc text is byte for byte
# tail's); no sysfs or /proc file has that many lines. One `head` for the /proc files and
# the globs together: a second process after the tail cost the target 1.6 ms more per poll,
# one head 0.35 ms (dash, 300 rounds on this VM: tail alone 1.20 ms, tail + head 2.80 ms,
# head alone 1.55 ms).
GLOB_READER: Final = "head -n 2147483647"

# The fast read by a kept `awk` instead of a `head` started at every poll: starting the
# process was most of the read's cost on the target (bench/fast_read_awk.py: 1.16 ms per
# read with head, 0.44 ms with one mawk kept for the session; issue 12). The session's
# `sh` starts it once, where the awk takes `-W interactive` (mawk reads a pipe a whole
# buffer at a time without it; busybox awk ignores it with a warning; an awk that refuses
# it leaves the session with head), with two FIFOs removed as soon as both ends are open:
# on fd 3 the `sh` writes a request, one path per line (the globs expanded by the `sh`, as
# for head) and an empty line; the awk prints the files in head's own layout (a header for
# each file it could open, a blank line before every header but the first) on the
# session's stdout, then a line on fd 4, which the `sh` waits for, so the frame is out
# before the end marker (tests/poller/test_fast_awk.py compares the readings with head's).
# `getline < f` then `close(f)`: each read opens the file again, so the kernel renders it
# anew. The awk is in the session's process group and session, so the reaper's `pkill -s`
# ends it with the `sh`, and the end of the session's input ends both.
# A session whose awk died polls with head once the `sh` has reaped it (`kill -0`, a
# builtin, before each request); before that, the write ends the session by SIGPIPE and
# the next poll opens a new one with a new awk (the handshake writes from a subshell, so an
# awk that exits at once leaves head in place). SIGPIPE is not ignored: children would
# inherit that, and an operator's command cut at its `head` cap must still die of it.
# Not with the operator's textfile directory (its file names could hold newlines) nor in
# exec-per-poll scripts (`_sm_noawk`: a process started for every poll is what this saves).
_AWK_PROGRAM: Final = (
    '$0 == "" { printf "%s", o; fflush(); o = ""; n = 0; print "" > a; fflush(a); next } '
    "{ r = (getline l < $0); if (r < 0) { close($0); next } "
    'o = o (n++ ? "\\n" : "") "==> " $0 " <==\\n"; '
    'while (r > 0) { o = o l "\\n"; r = (getline l < $0) } close($0) }'
)
_AWK_START: Final = (
    "_sm_ar=''; if [ -z \"${_sm_noawk:-}\" ] "
    "&& awk -W interactive 'BEGIN { exit }' </dev/null >/dev/null 2>&1 "
    '&& _sm_d=$(mktemp -d 2>/dev/null) && mkfifo "$_sm_d/q" "$_sm_d/a" 2>/dev/null; then '
    f'awk -W interactive -v a="$_sm_d/a" \'{_AWK_PROGRAM}\' <"$_sm_d/q" 2>/dev/null & '
    '_sm_ap=$!; exec 3>"$_sm_d/q" 4<>"$_sm_d/a"; '
    "(printf '\\n' >&3) 2>/dev/null && read -r _sm_x <&4 && _sm_ar=1; "
    'rm -rf "$_sm_d"; fi\n'
)


# Sparse fast globs (`Source.sparse`: an old driver's temp files on the chip's device) would
# cost every host with hwmon chips the shell's listing of each chip's device directory at
# every poll (~19 µs a chip under dash on this VM: 5 chips' globs 30 -> 123 µs per poll;
# bench/hwmon_device_globs.py), and match nothing on almost all of them. So the fast read
# passes a sparse section's globs only while `_sm_sp_SECTION` is set: this function sets
# it where one of them matches, once when the session starts (before its first fast read)
# and at the end of every slow round, so a chip that appears shows from the next slow
# round on.
SPARSE_CHECK: Final = "_sm_sparse"


def _sparse_var(section: str) -> str:
    return f"_sm_sp_{section}"


def _sparse_check(plan: Plan) -> str:
    body = "".join(
        f"{_sparse_var(name)}=; for _sm_f in {' '.join(globs)}; do "
        f'if [ -e "$_sm_f" ]; then {_sparse_var(name)}=1; break; fi; done; '
        for name, globs in plan.fast_globs.items()
        if name in plan.sparse
    )
    return f"{SPARSE_CHECK}() {{ {body}:; }}\n{SPARSE_CHECK}\n" if body else ""


def _fast_glob_words(plan: Plan) -> str:
    """The fast globs as the fast read passes them, a sparse section's behind its flag."""
    words = []
    for name, globs in plan.fast_globs.items():
        joined = " ".join(globs)
        words.append(f"${{{_sparse_var(name)}:+{joined}}}" if name in plan.sparse else joined)
    return " ".join(words)


def glob_order(plan: Plan) -> tuple[tuple[str, str], ...]:
    """(section, glob) of the fast globs in the order the probe passes them."""
    return tuple((name, g) for name, globs in plan.fast_globs.items() for g in globs)


# slow files held between slow rounds (`Source.held`); see split_output
_HELD_FILES: Final = {
    s.path: s.section for s in sources(COLLECTORS).values() if s.held and s.path is not None
}
# The fast read of probes before 2026-12-01 also read the held names of hwmon and thermal
# zones, amid their temperatures: fast glob -> the (section, glob) that stood in its place,
# in that order, so that their recorded captures are cut as they were read.
_FAST_BEFORE_HELD: Final = {
    "/sys/class/hwmon/hwmon*/temp*_input": (
        ("hwmon_names", "/sys/class/hwmon/hwmon*/name"),
        ("hwmon", "/sys/class/hwmon/hwmon*/temp*_input"),
        ("hwmon_names", "/sys/class/hwmon/hwmon*/temp*_label"),
    ),
    "/sys/class/thermal/thermal_zone*/temp": (
        ("thermal_types", "/sys/class/thermal/thermal_zone*/type"),
        ("thermal", "/sys/class/thermal/thermal_zone*/temp"),
    ),
}


def split_output(output: str, nonce: str, plan: Plan = DEFAULT_PLAN) -> Frames:
    """One poll's framed output cut into the sections of `plan`: its /proc files, globs
    (fast and slow) and textfile directory, so no caller can forget one of them."""
    # the held slow files and globs (`Source.held`: poolsize, nf_conntrack_max, hwmon and
    # thermal names) were in the fast read of probes before 2026-12-01: their recorded
    # captures (`sshmon probe --raw`, tests/fixtures/local) still find them there. A live
    # fast read never holds them.
    held = {path: name for path, name in _HELD_FILES.items() if name in plan.slow_files}
    globs = tuple(
        read
        for section, glob in glob_order(plan)
        for read in _FAST_BEFORE_HELD.get(glob, ((section, glob),))
        if read[0] == section or read[0] in plan.slow_globs
    )
    return split(
        output,
        nonce,
        {**held, **{path: name for name, path in plan.fast_files.items()}},
        plan.textfile_dir,
        globs=globs,
        reads=plan.reads,
    )


# Seconds a slow command may run before `timeout` stops it (df on a dead NFS mount hangs),
# when the caller gives no poll timeout to fit it into.
COMMAND_TIMEOUT_S: Final = 10
# Exit status of a command `timeout` stopped: GNU coreutils says 124; busybox passes on the
# status of the child it killed with TERM (128 + 15).
TIMED_OUT_RCS: Final = frozenset({124, 143})

FAST_FUNCTION: Final = "_sm_fast"
SLOW_FUNCTION: Final = "_sm_slow"  # + the cadence for the rarer ones (`_sm_slow30`)
COMMAND_FUNCTION: Final = "_sm_c"  # + the command's index in the plan


def command_timeout_s(poll_timeout_s: float) -> int:
    """Seconds each slow command may run: a quarter of the poll timeout, at least 1.

    The two df calls are the slow commands that can hang; together (and the second is
    skipped after the first timed out) they stay within half the poll timeout, so a hung
    mount never takes the fast readings down with it. Whole seconds: busybox `timeout`
    takes no fractions."""
    return max(1, int(poll_timeout_s / 4))


def timed_out_reason(section: str, budget_s: int) -> str:
    """Why a slow section that `timeout` stopped has no reading (a section failure)."""
    if section == "df_inodes":
        return f"df timed out after {budget_s} s (inodes not read): a hung mount?"
    return f"{section} timed out after {budget_s} s: a hung mount?"


def _section(name: str, body: str) -> str:
    # the status is kept in _sm_rc too, for a later section that depends on this one
    return (
        f"printf '%s\\n' \"{MARK} $1 begin {name}\"; "
        f"{body}; _sm_rc=$?; "
        f"printf '\\n%s\\n' \"{MARK} $1 end {name} $_sm_rc\""
    )


def _cat(name: str, path: str, fallbacks: Mapping[str, str]) -> str:
    fallback = fallbacks.get(name)
    read = f"cat {path} 2>/dev/null"
    return f"{{ {read} || cat {fallback} 2>/dev/null; }}" if fallback else read


def definitions(command_timeout: int = COMMAND_TIMEOUT_S, plan: Plan = DEFAULT_PLAN) -> str:
    """Shell functions sent once when a session opens; each poll then sends one short line.

    `/dev/null` is always the last tail argument so tail prints headers even if only one
    of the files exists (GNU and busybox tail omit headers for a single file).
    `command_timeout`: seconds each slow command may run (`command_timeout_s`).
    """
    files = " ".join(plan.fast_files.values())
    globs = _fast_glob_words(plan)
    textfile = ""
    if plan.textfile_dir is not None:
        # the operator's path, shell-quoted; the glob stays outside the quotes so the shell
        # expands it (no match: tail is given the pattern itself, finds no such file and
        # says so on stderr, which is discarded). The /dev/null before it ends the last
        # /proc file, so nothing a strange file name does can run into a kernel file.
        textfile = f" {shlex.quote(plan.textfile_dir.rstrip('/') or '/')}/*.prom"
    if globs:
        # the globs (unquoted: the shell expands them, a pattern matching nothing is
        # passed as it is and the reader's complaint discarded) after the /proc files'
        # /dev/null, then the user's .prom files: the order parsers.frame.split_tail
        # checks headers against
        fast_read = (
            f"{GLOB_READER} {files} /dev/null {globs} /dev/null{textfile} /dev/null 2>/dev/null"
        )
        if not textfile:
            fast_read = (
                '{ if [ -n "$_sm_ar" ] && kill -0 "$_sm_ap" 2>/dev/null; then '
                f"printf '%s\\n' {files} /dev/null {globs} /dev/null /dev/null '' >&3 "
                f"&& read -r _sm_x <&4; else {fast_read}; fi; }}"
            )
    else:
        files += f" /dev/null{textfile}" if textfile else ""
        fast_read = f"tail -n +1 {files} /dev/null 2>/dev/null"
    fast = _section("fast", fast_read)
    # (cadence, text): each cadence's files and globs in one `head` (the files, /dev/null
    # to end the last one, the globs unquoted, /dev/null to end the last glob file: the
    # order split_tail checks headers against, as in the fast read), then the files with
    # a fallback path and the commands, in the registry's order (df_inodes reads df's
    # status, so it follows df)
    slow_parts = [
        (every, _section(name, f"{GLOB_READER} {' '.join(args)} /dev/null 2>/dev/null"))
        for every in (1, *plan.cadences)
        if (read := plan.slow_reads.get(name := slow_read_frame(every))) is not None
        for args in [(*read.paths, "/dev/null", *(g for _, g in read.globs))]
    ]
    in_reads = {s for read in plan.slow_reads.values() for s in read.paths.values()}
    slow_parts += [
        (plan.cadence.get(name, 1), _section(name, _cat(name, path, plan.fallback_files)))
        for name, path in plan.slow_files.items()
        if name not in in_reads
    ]
    slow_parts += [
        (plan.cadence.get(name, 1), _section(name, f"{{ {command}; }} 2>/dev/null"))
        for name, command in plan.slow_commands.items()
    ]
    sparse_check = _sparse_check(plan)
    if sparse_check:
        slow_parts.append((1, SPARSE_CHECK))
    slow_functions = "".join(
        # `:` keeps a function with no section (every slow collector off) valid sh
        f"{SLOW_FUNCTION}{n if n > 1 else ''}() {{ "
        + ("; ".join(text for every, text in slow_parts if every == n) or ":")
        + "; }\n"
        for n in (1, *plan.cadences)
    )
    return (
        "unset HISTFILE; export LC_ALL=C; "
        f"if command -v timeout >/dev/null 2>&1; then _sm_t='timeout {int(command_timeout)}'; "
        "_sm_to=timeout; else _sm_t=''; _sm_to=''; fi\n"
        + (_AWK_START if globs and not textfile else "")
        + sparse_check
        +
        # a status for a section to end with, without the fork of `( exit N )`
        '_sm_ret() { return "$1"; }\n'
        f"{FAST_FUNCTION}() {{ {fast}; }}\n"
        + slow_functions
        + "".join(
            f"{COMMAND_FUNCTION}{i}() {{ {_user_command(c)}; }}\n"
            for i, c in enumerate(plan.commands)
        )
    )


def _user_command(cmd: CommandSpec) -> str:
    """One operator command, framed like a section. `run` is the operator's fixed text from
    the inventory, passed to `sh -c` as one shell-quoted word; stdin is /dev/null so it
    cannot eat the probe lines that follow on the session's stdin. Its status is printed
    after its output (RC_MARK) because the pipe's status is head's; head caps the output,
    and a command cut off loses the mark, which is how the poller tells it was cut."""
    mark = RC_MARK.strip()
    body = (
        f"{{ $_sm_to ${{_sm_to:+{int(cmd.timeout_s)}}} sh -c {shlex.quote(cmd.run)} "
        f"</dev/null 2>/dev/null; printf '\\n%s %s\\n' '{mark}' \"$?\"; }}"
        f" | head -c {int(cmd.max_output_bytes) + 32}"
    )
    return _section(COMMAND + cmd.name, body)


def invocation(
    nonce: str, *, slow: bool, due: tuple[int, ...] = (), rare: tuple[int, ...] = ()
) -> str:
    """The line written per poll to a session that already has the definitions; `due`:
    indexes of the plan's commands to run at this poll; `rare`: the cadences (`Plan.cadences`)
    whose slow sections this slow round reads too."""
    _check_nonce(nonce)
    calls = f"{FAST_FUNCTION} {nonce}"
    if slow:
        calls += f"; {SLOW_FUNCTION} {nonce}"
        for n in rare:
            calls += f"; {SLOW_FUNCTION}{int(n)} {nonce}"
    for i in due:
        calls += f"; {COMMAND_FUNCTION}{int(i)} {nonce}"
    return f"{calls}; printf '%s\\n' \"{MARK} {nonce} done\"\n"


def script(
    nonce: str,
    *,
    slow: bool,
    command_timeout: int = COMMAND_TIMEOUT_S,
    plan: Plan = DEFAULT_PLAN,
    due: tuple[int, ...] = (),
    rare: tuple[int, ...] | None = None,
) -> str:
    """The whole probe as one script, for exec-per-poll (a forced command refuses a shell).
    `rare` None: every cadence of the plan (a script run on its own reads everything)."""
    cadences = plan.cadences if rare is None else rare
    return (
        "_sm_noawk=1; "
        + definitions(command_timeout, plan)
        + invocation(nonce, slow=slow, due=due, rare=cadences)
    )


def new_nonce() -> str:
    return secrets.token_hex(8)


def done_marker(nonce: str) -> bytes:
    """The bytes that end one poll's output."""
    return f"{MARK} {nonce} done\n".encode()


def _check_nonce(nonce: str) -> None:
    if not nonce or not all(c in "0123456789abcdef" for c in nonce):
        raise ValueError(f"nonce must be lower-case hex, got {nonce!r}")
