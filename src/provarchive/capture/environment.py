"""The software environment of a run: host, user, Python, packages, git, container, batch job.

Collected once per process and cached (:func:`collect_environment`), because a pipeline
may record thousands of activities and the environment does not change under it. Every
probe here is cheap: installed distributions are read from the ``*.dist-info`` directory
names on ``sys.path`` (one ``scandir`` per entry, no METADATA parsing: about 0.5 ms
against 40-100 ms for :func:`importlib.metadata.distributions`); the container is found
from environment variables and ``/proc``; git is the only subprocess and runs only when
asked (:func:`git_state`).

Secrets are masked before anything is written: environment variables whose name contains
TOKEN, SECRET, PASSWORD, KEY, ... keep their name but not their value; the values of CI
variables are not recorded; passwords inside URLs and values of secret-looking command
line options are replaced by ``***``.

:func:`add_environment` turns the collected dictionary into PROV records (agents,
entities, attributes) for a compiled document.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms to import on the fast path
    from typing import Any

    from ..model import Document

__all__ = [
    "collect_environment",
    "add_environment",
    "git_state",
    "resource_usage",
    "mask_environment",
    "mask_argv",
    "is_secret_name",
    "MASK",
]

MASK = "***"

#: Substrings of variable or option names whose values are never recorded.
SECRET_MARKERS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH", "COOKIE", "SESSION")

#: Variables recorded by name (ctapipe's list plus virtualenv, Python and thread settings).
RECORDED_VARIABLES = (
    "PATH",
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "PYTHONPATH",
    "PYTHONHASHSEED",
    "VIRTUAL_ENV",
    "USER",
    "HOME",
    "SHELL",
    "LANG",
    "TZ",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
#: Variables recorded by prefix.
RECORDED_PREFIXES = ("CONDA_", "PROVARCHIVE_", "CTAPIPE_", "APPTAINER_", "SINGULARITY_")
#: Prefixes of CI variables: only the CI system's name is kept, never the values.
CI_SYSTEMS = (
    ("GITHUB_ACTIONS", "github-actions"),
    ("GITLAB_CI", "gitlab-ci"),
    ("JENKINS_URL", "jenkins"),
    ("BUILDKITE", "buildkite"),
    ("TRAVIS", "travis"),
    ("CIRCLECI", "circleci"),
    ("CI", "ci"),
)
#: Batch systems: (name, variables holding job identity).
BATCH_SYSTEMS = (
    (
        "slurm",
        (
            ("SLURM_JOB_ID", "job_id"),
            ("SLURM_ARRAY_JOB_ID", "array_job_id"),
            ("SLURM_ARRAY_TASK_ID", "array_task_id"),
            ("SLURM_JOB_NAME", "job_name"),
            ("SLURM_CLUSTER_NAME", "cluster"),
            ("SLURM_STEP_ID", "step_id"),
        ),
    ),
    (
        "pbs",
        (
            ("PBS_JOBID", "job_id"),
            ("PBS_ARRAY_INDEX", "array_task_id"),
            ("PBS_ARRAYID", "array_task_id"),
            ("PBS_JOBNAME", "job_name"),
            ("PBS_SERVER", "cluster"),
        ),
    ),
    ("lsf", (("LSB_JOBID", "job_id"), ("LSB_JOBINDEX", "array_task_id"), ("LSB_JOBNAME", "job_name"))),
    ("htcondor", (("_CONDOR_JOB_AD", "job_ad"), ("_CONDOR_SCRATCH_DIR", "scratch_dir"))),
)

#: The per-process cache of :func:`collect_environment`, keyed by process id so that a
#: forked child collects its own (the pid, parent pid and start time differ).
_PROCESS_CACHE: dict[int, dict[str, Any]] = {}


def is_secret_name(name: str) -> bool:
    """True if a variable or option called ``name`` may hold a secret."""
    upper = name.upper()
    return any(marker in upper for marker in SECRET_MARKERS)


def _mask_url_password(value: str) -> str:
    """``scheme://user:password@host`` → ``scheme://user:***@host`` (anywhere in ``value``)."""
    start = 0
    while True:
        scheme = value.find("://", start)
        if scheme < 0:
            return value
        authority_start = scheme + 3
        end = len(value)
        for stop in "/ ?#":
            pos = value.find(stop, authority_start)
            if 0 <= pos < end:
                end = pos
        at = value.rfind("@", authority_start, end)
        colon = value.find(":", authority_start, at) if at > 0 else -1
        if at > 0 and colon > 0:
            value = value[: colon + 1] + MASK + value[at:]
            end = colon + 1 + len(MASK) + (end - at)
        start = end


def mask_environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The recorded variables of ``environ`` with secrets masked (see module docstring)."""
    recorded: dict[str, str] = {}
    for name in sorted(environ):
        if name in RECORDED_VARIABLES or name.startswith(RECORDED_PREFIXES):
            value = environ[name]
            recorded[name] = MASK if is_secret_name(name) else _mask_url_password(value)
    return recorded


def mask_argv(argv: list[str]) -> list[str]:
    """A command line with the values of secret-looking options replaced by ``***``.

    Handles ``--token=VALUE``, ``--password VALUE`` and passwords inside URLs.
    """
    masked: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            masked.append(MASK)
            hide_next = False
            continue
        if arg.startswith("-"):
            name, sep, _value = arg.partition("=")
            if is_secret_name(name):
                if sep:
                    masked.append(f"{name}={MASK}")
                else:
                    masked.append(arg)
                    hide_next = True
                continue
        elif "=" in arg and is_secret_name(arg.partition("=")[0]):
            masked.append(f"{arg.partition('=')[0]}={MASK}")
            continue
        masked.append(_mask_url_password(arg))
    return masked


def installed_distributions(paths: list[str] | None = None) -> list[list[str]]:
    """``[[name, version], ...]`` of every distribution installed on ``sys.path``.

    Wheel and egg metadata directories are named ``<name>-<version>.dist-info`` /
    ``.egg-info`` (PEP 376/427), so a directory listing gives both without opening a
    file. The first occurrence along ``sys.path`` wins, as for imports.
    """
    seen: dict[str, str] = {}
    for entry in paths if paths is not None else sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [e.name for e in listing]
        except OSError:
            continue
        for dirname in names:
            for suffix in (".dist-info", ".egg-info"):
                if dirname.endswith(suffix):
                    stem = dirname[: -len(suffix)]
                    name, sep, version = stem.partition("-")
                    if not sep:
                        continue
                    version = version.split("-", 1)[0]  # egg-info may add -pyX.Y
                    key = name.lower().replace("_", "-").replace(".", "-")
                    seen.setdefault(key, version)
    return [[name, seen[name]] for name in sorted(seen)]


def _hex_id(text: str, length: int = 64) -> str | None:
    """The first run of exactly ``length`` hex digits in ``text`` (container ids)."""
    run = 0
    for index, char in enumerate(text):
        if char in "0123456789abcdef":
            run += 1
            continue
        if run == length:
            return text[index - length : index]
        run = 0
    return text[len(text) - length :] if run == length else None


def _read_text(path: str, limit: int = 65536) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def detect_container(environ: dict[str, str] | os._Environ[str] | None = None, root: str = "/") -> dict[str, str]:
    """Identity of the container this process runs in, or ``{}`` (reference/capture.md §3).

    Apptainer/Singularity from the launcher's variables and the image's labels; Docker
    from ``/.dockerenv`` and the 64-hex id in ``/proc/self/cgroup`` (cgroup v1) or in
    ``/proc/self/mountinfo`` (cgroup v2); Podman from ``/run/.containerenv``. The image
    digest is not visible inside a container: a launcher may pass it in
    ``PROVARCHIVE_CONTAINER_IMAGE`` / ``PROVARCHIVE_CONTAINER_DIGEST``.
    """
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for prefix in ("APPTAINER", "SINGULARITY"):
        image = env.get(f"{prefix}_CONTAINER")
        if image:
            found["runtime"] = prefix.lower()
            found["image"] = image
            if env.get(f"{prefix}_NAME"):
                found["name"] = env[f"{prefix}_NAME"]
            if env.get(f"{prefix}_INSTANCE"):
                found["instance"] = env[f"{prefix}_INSTANCE"]
            labels = _read_text(os.path.join(root, ".singularity.d", "labels.json"), 16384)
            if labels:
                found["labels"] = labels
            break
    if not found:
        containerenv = _read_text(os.path.join(root, "run", ".containerenv"), 16384)
        if containerenv is not None:
            found["runtime"] = "podman"
            for line in containerenv.splitlines():
                key, sep, value = line.partition("=")
                if sep and key in ("name", "id", "image", "imageid"):
                    found[{"id": "id", "name": "name", "image": "image", "imageid": "image_id"}[key]] = value.strip('"')
        elif os.path.exists(os.path.join(root, ".dockerenv")):
            found["runtime"] = "docker"
    if not found or found.get("runtime") in ("docker", "podman"):
        cgroup = _read_text(os.path.join(root, "proc", "self", "cgroup")) or ""
        container_id = None
        for line in cgroup.splitlines():
            container_id = _hex_id(line)
            if container_id:
                break
        if container_id is None:
            for line in (_read_text(os.path.join(root, "proc", "self", "mountinfo"), 262144) or "").splitlines():
                if "/containers/" in line and ("/hostname" in line or "/resolv.conf" in line or "/hosts" in line):
                    container_id = _hex_id(line.split("/containers/", 1)[1])
                    if container_id:
                        break
        if container_id:
            found.setdefault("runtime", "docker" if "docker" in cgroup else "oci")
            found.setdefault("id", container_id)
    if env.get("KUBERNETES_SERVICE_HOST"):
        found.setdefault("runtime", "kubernetes")
        found["orchestrator"] = "kubernetes"
    if env.get("PROVARCHIVE_CONTAINER_IMAGE"):
        found.setdefault("runtime", "oci")
        found["image"] = env["PROVARCHIVE_CONTAINER_IMAGE"]
    if env.get("PROVARCHIVE_CONTAINER_DIGEST"):
        found["digest"] = env["PROVARCHIVE_CONTAINER_DIGEST"]
    return found


def detect_batch(environ: dict[str, str] | os._Environ[str] | None = None) -> dict[str, str]:
    """Batch-system job identity (SLURM, PBS/Torque, LSF, HTCondor), or ``{}``."""
    env = os.environ if environ is None else environ
    for system, variables in BATCH_SYSTEMS:
        found = {field: env[var] for var, field in variables if env.get(var)}
        if found:
            if system == "htcondor" and "job_ad" in found:
                for line in (_read_text(found.pop("job_ad")) or "").splitlines():
                    key, sep, value = line.partition(" = ")
                    if sep and key in ("GlobalJobId", "ClusterId", "ProcId"):
                        found[{"GlobalJobId": "job_id", "ClusterId": "cluster_id", "ProcId": "proc_id"}[key]] = (
                            value.strip('"')
                        )
            return {"system": system, **found}
    return {}


def detect_ci(environ: dict[str, str] | os._Environ[str] | None = None) -> str | None:
    """The CI system running this process (its name only; CI values are never recorded)."""
    env = os.environ if environ is None else environ
    for variable, name in CI_SYSTEMS:
        if env.get(variable):
            return name
    return None


def _user() -> dict[str, Any]:
    uid = os.getuid() if hasattr(os, "getuid") else None
    name = os.environ.get("USER") or os.environ.get("LOGNAME")
    if not name and uid is not None:
        try:
            import pwd

            name = pwd.getpwuid(uid).pw_name
        except (ImportError, KeyError):
            name = None
    return {"name": name or "unknown", "uid": uid}


def _main_script() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.abspath(path) if path else None


def collect_environment(*, refresh: bool = False) -> dict[str, Any]:
    """The environment of this process, collected on first use and cached.

    Returns a JSON-ready dictionary (see module docstring for what is in it). Git state
    is not included: it needs a subprocess, see :func:`git_state`.
    """
    pid = os.getpid()
    cached = _PROCESS_CACHE.get(pid)
    if cached is not None and not refresh:
        return cached
    uname = os.uname()
    started = time.time()
    env: dict[str, Any] = {
        "key": f"{uname.nodename}-{pid}-{int(started * 1000)}",
        "host": uname.nodename,
        "pid": pid,
        "ppid": os.getppid(),
        "platform": {
            "system": uname.sysname,
            "release": uname.release,
            "version": uname.version,
            "machine": uname.machine,
        },
        "python": {
            "version": sys.version.split()[0],
            "implementation": sys.implementation.name,
            "executable": sys.executable,
            "prefix": sys.prefix,
        },
        "user": _user(),
        "argv": mask_argv(list(sys.argv)),
        "main": _main_script(),
        "cwd": os.getcwd(),
        "packages": installed_distributions(),
        "variables": mask_environment(os.environ),
        "container": detect_container(),
        "batch": detect_batch(),
        "ci": detect_ci(),
        "cpus": os.cpu_count(),
    }
    _PROCESS_CACHE.clear()
    _PROCESS_CACHE[pid] = env
    return env


_GIT_CACHE: dict[int, dict[str, Any]] = {}


def cached_git_state(state: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """This process's git state as collected by the recorder (``None``: not yet); or store it."""
    if state is not None:
        _GIT_CACHE[os.getpid()] = state
    return _GIT_CACHE.get(os.getpid())


def git_state(path: str | None = None, *, timeout: float = 10.0) -> dict[str, Any]:
    """Commit, branch, dirty flag and SHA-256 of the uncommitted diff of the repository at ``path``.

    ``path`` defaults to the directory of the main script, else the working directory.
    Returns ``{}`` when ``path`` is not in a git work tree or git is not installed. This
    runs ``git`` (three short subprocesses, ~10 ms), so callers run it once, off the
    job's critical path.
    """
    if path is None:
        main = _main_script()
        path = os.path.dirname(main) if main else os.getcwd()
    probe = path
    while True:  # cheap check before paying for a subprocess
        if os.path.exists(os.path.join(probe, ".git")):
            break
        parent = os.path.dirname(probe)
        if parent == probe:
            return {}
        probe = parent
    import hashlib
    import subprocess

    def git(*args: str) -> bytes | None:
        try:
            done = subprocess.run(
                ["git", "-C", path, *args], capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    head = git("rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD")
    if head is None:
        return {}
    toplevel, commit, branch = (head.decode("utf-8", "replace").splitlines() + ["", "", ""])[:3]
    diff = git("diff", "HEAD", "--no-color", "--no-ext-diff", "--binary") or b""
    untracked = git("ls-files", "--others", "--exclude-standard") or b""
    state: dict[str, Any] = {"repository": toplevel, "commit": commit, "branch": branch}
    state["dirty"] = bool(diff.strip() or untracked.strip())
    if state["dirty"]:
        state["diff_sha256"] = hashlib.sha256(diff + b"\0" + untracked).hexdigest()
    remote = git("config", "--get", "remote.origin.url")
    if remote:
        state["remote"] = _mask_url_password(remote.decode("utf-8", "replace").strip())
    return state


def resource_usage(children: bool = False) -> dict[str, float | int]:
    """Peak memory (KiB) and CPU time (s) of this process, or of its waited-for children."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return {}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    scale = 1 if sys.platform != "darwin" else 1 / 1024  # macOS reports bytes
    return {
        "max_rss_kib": int(usage.ru_maxrss * scale),
        "cpu_user_s": round(usage.ru_utime, 6),
        "cpu_system_s": round(usage.ru_stime, 6),
    }


# ------------------------------------------------------------------ into a document


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def add_environment(doc: Document, activity_id: str, env: dict[str, Any] | None = None) -> None:
    """Add the software environment ``env`` (default: this process's) to ``doc`` for an activity.

    * the user: an Agent (``prov:Person``) the activity is associated with, role ``operator``;
    * the interpreter: a SoftwareAgent, role ``software``;
    * the installed packages: one Entity (``pa:SoftwareEnvironment``, one ``pa:package``
      attribute ``name==version`` each) the activity used, role ``software environment``;
    * git state of the code (when collected): an Entity, role ``source code``;
    * the container: an Entity (``pa:ContainerImage``), role ``container``;
    * host, platform, pid, command line, masked variables, batch and CI identity:
      attributes of the activity.

    Identifiers are digests of the content, so the same environment recorded by many
    activities or documents is one record when documents are merged or ingested.
    """
    from ..model import QName
    from ..model.records import Activity

    if env is None:
        env = collect_environment()
    activity = doc.get(activity_id)
    if not isinstance(activity, Activity):
        raise KeyError(f"no activity {activity_id!r} in the document")
    doc.add_namespace("pa", "urn:provarchive:")

    def once(record_id: str, build: Any) -> str:
        if doc.get(record_id) is None:
            build(record_id)
        return record_id

    user = env.get("user") or {}
    host = env.get("host", "")
    if user.get("name"):
        user_id = once(
            f"pa:user-{_digest(str(user['name']) + '@' + host)}",
            lambda i: doc.agent(i, name=str(user["name"]), type="Person", attributes=[("pa:host", host)]),
        )
        activity.associated_with(user_id, role="operator")
    python = env.get("python") or {}
    if python:
        label = f"{python.get('implementation', 'python')} {python.get('version', '')}".strip()
        software_id = once(
            f"pa:software-{_digest(label + str(python.get('executable')))}",
            lambda i: doc.agent(
                i,
                name=label,
                type="SoftwareAgent",
                attributes=[("pa:executable", str(python.get("executable", "")))],
            ),
        )
        activity.associated_with(software_id, role="software")
    packages = env.get("packages") or []
    if packages:
        listing = "\n".join(f"{n}=={v}" for n, v in packages)
        env_id = once(
            f"pa:environment-{_digest(label + listing if python else listing)}",
            lambda i: doc.entity(
                i,
                name=f"Python environment ({len(packages)} distributions)",
                location=python.get("prefix"),
                attributes=[("prov:type", QName("pa:SoftwareEnvironment"))]
                + [("pa:package", f"{n}=={v}") for n, v in packages],
            ),
        )
        activity.used(env_id, role="software environment")
    git = env.get("git") or {}
    if git.get("commit"):
        state = git["commit"] + ("-" + git["diff_sha256"][:16] if git.get("diff_sha256") else "")
        attributes: list[tuple[str, Any]] = [
            ("prov:type", QName("pa:SourceCode")),
            ("pa:gitCommit", git["commit"]),
            ("pa:gitBranch", git.get("branch", "")),
            ("pa:gitDirty", bool(git.get("dirty"))),
        ]
        if git.get("diff_sha256"):
            attributes.append(("pa:gitDiffSha256", git["diff_sha256"]))
        if git.get("remote"):
            attributes.append(("pa:gitRemote", git["remote"]))
        source_id = once(
            f"pa:source-{_digest(git.get('repository', '') + state)}",
            lambda i: doc.entity(i, name=f"source {state[:12]}", location=git.get("repository"), attributes=attributes),
        )
        activity.used(source_id, role="source code")
    container = env.get("container") or {}
    if container:
        identity = "\n".join(f"{k}={v}" for k, v in sorted(container.items()))
        container_id = once(
            f"pa:container-{_digest(identity)}",
            lambda i: doc.entity(
                i,
                name=container.get("image") or container.get("name") or container.get("id") or "container",
                attributes=[("prov:type", QName("pa:ContainerImage"))]
                + [(f"pa:container{k.title().replace('_', '')}", str(v)) for k, v in sorted(container.items())],
            ),
        )
        activity.used(container_id, role="container")
    attrs = activity.attributes
    attrs.append(("pa:host", host))
    if env.get("pid") is not None:
        attrs.append(("pa:pid", int(env["pid"])))
    platform = env.get("platform") or {}
    if platform:
        attrs.append(("pa:platform", f"{platform.get('system')} {platform.get('release')} {platform.get('machine')}"))
    if python:
        attrs.append(("pa:pythonVersion", str(python.get("version"))))
    if env.get("argv"):
        attrs.append(("pa:commandLine", " ".join(env["argv"])))
    if env.get("cwd"):
        attrs.append(("pa:workingDirectory", env["cwd"]))
    for name, value in (env.get("variables") or {}).items():
        attrs.append(("pa:environmentVariable", f"{name}={value}"))
    for key, value in (env.get("batch") or {}).items():
        attrs.append((f"pa:batch{key.title().replace('_', '')}", str(value)))
    if env.get("ci"):
        attrs.append(("pa:ci", env["ci"]))
