"""What a command loads before it does anything: only what it uses.

Building the parser registers every verb's arguments and imports none of their dependencies;
each verb loads those in its handler. Each check runs in a fresh interpreter, since this test
process has long since imported everything. Timings are in the benchmarks' and the reports'
hands, not here: these tests pin *which* modules load, which is what makes a command start fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from supportdrill.definitions.packaged import examples_dir

HEAVY = (
    "aiohttp",
    "aiortc",
    "asyncio",
    "holidays",
    "httpx",
    "matplotlib",
    "psycopg",
    "yaml",
    "supportdrill.definitions.loader",
    "supportdrill.desks",
    "supportdrill.measure",
    "supportdrill.report",
    "supportdrill.session",
    "supportdrill.store.runs",
    "supportdrill.timeline",
)
"""Nothing of these is needed to build the parser or parse a command line."""


def loaded_after(code: str, *, watch: tuple[str, ...] = HEAVY) -> list[str]:
    """The modules of ``watch`` (or their submodules) loaded once ``code`` has run."""
    program = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        watch = {watch!r}
        print(json.dumps(sorted(
            name for name in sys.modules if any(name == w or name.startswith(w + ".") for w in watch)
        )))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_building_the_parser_loads_no_verb_dependencies() -> None:
    code = """
        from supportdrill.cli import build_parser
        build_parser()
    """
    assert loaded_after(code) == []


def test_parsing_a_command_line_loads_nothing_more() -> None:
    code = """
        from supportdrill.cli import build_parser
        parser = build_parser()
        args = parser.parse_args(["--store", "runs.db", "scorecard", "--include-simulated"])
        assert args.include_simulated and args.handler.__module__ == "supportdrill.cli.scorecard"
        args = parser.parse_args(["desk", "serve", "--persona", "silent"])
        assert args.persona == "silent"
        args = parser.parse_args(["proxy", "serve", "-port", "0"])
        assert args.port == 0
        args = parser.parse_args(["schedule", "export", "d.yaml"])
        assert args.image is None
    """
    assert loaded_after(code) == []


def test_the_scorecard_loads_neither_the_desks_nor_the_scoring(tmp_path: Path) -> None:
    """Reading the index needs the store and the fleet figures; scoring a run (the drill
    loader, the evaluation, the reply classifier) happens only for runs the index lacks."""
    store = tmp_path / "runs.db"
    code = f"""
        from supportdrill.cli import main
        assert main(["--store", {str(store)!r}, "scorecard"]) == 0
    """
    watch = (
        "aiohttp",
        "aiortc",
        "asyncio",
        "holidays",
        "httpx",
        "matplotlib",
        "psycopg",
        "yaml",
        "supportdrill.definitions.loader",
        "supportdrill.desks",
        "supportdrill.measure.classify",
        "supportdrill.measure.evaluation",
        "supportdrill.report.build",
        "supportdrill.session",
    )
    assert loaded_after(code, watch=watch) == []


def test_validating_a_simulated_drill_does_not_load_the_desk_server() -> None:
    """``validate`` checks the simulated desk's settings as run would start it, without the
    HTTP server and client that would serve it."""
    drill = examples_dir() / "simulated-slow.yaml"
    code = f"""
        from supportdrill.cli import main
        assert main(["validate", {str(drill)!r}]) == 0
    """
    watch = ("aiohttp", "aiortc", "asyncio", "httpx", "matplotlib", "supportdrill.session")
    assert loaded_after(code, watch=watch) == []


INTERRUPT_ON_IMPORT = """
    import sys

    class Interrupt:
        # A Ctrl-C that lands while {module} is being imported.
        def find_spec(self, name, path=None, target=None):
            if name == {module!r}:
                raise KeyboardInterrupt
            return None

    sys.meta_path.insert(0, Interrupt())
    from supportdrill.cli import main
    sys.exit(main({argv!r}))
"""


def interrupted(module: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(INTERRUPT_ON_IMPORT).format(module=module, argv=argv)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_ctrl_c_while_the_parser_is_built_ends_quietly() -> None:
    done = interrupted("supportdrill.cli.scorecard", ["--help"])
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == "supportdrill: interrupted"


def test_a_ctrl_c_while_a_verb_loads_its_dependencies_ends_quietly() -> None:
    drill = str(examples_dir() / "simulated-slow.yaml")
    done = interrupted("supportdrill.definitions.loader", ["validate", drill])
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == "supportdrill: interrupted"
    assert done.stdout == ""
