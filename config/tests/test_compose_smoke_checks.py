"""The compose smoke's checks take the demo login whatever its password.

The demo password is `secrets.token_urlsafe`, which starts with "-" one time
in 64; passed as an argument, argparse took it for an option and the smoke
failed ("--login: expected 2 arguments") with a healthy stack.
"""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compose_smoke_checks.py"


@pytest.fixture(scope="module")
def checks():
    spec = importlib.util.spec_from_file_location("compose_smoke_checks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ARGV = [
    "--edge", "http://127.0.0.1:18580",
    "--web", "http://127.0.0.1:18581", "--web", "http://127.0.0.1:18582",
    "--username", "organiser",
    "--organiser-token", "rd_organiser", "--door-token", "rd_door",
]  # fmt: skip


@pytest.mark.parametrize("password", ["-Ab3_x9", "--help", "plain-Pass_1", "-1"])
def test_the_password_comes_from_the_environment_as_it_is(checks, password):
    args = checks.parse_args(ARGV, {"DEMO_PASSWORD": password})
    assert (args.username, args.password) == ("organiser", password)
    assert args.web == ["http://127.0.0.1:18581", "http://127.0.0.1:18582"]


def test_without_a_password_it_stops_with_the_reason(checks, capsys):
    with pytest.raises(SystemExit) as stopped:
        checks.parse_args(ARGV, {})
    assert stopped.value.code == 2
    assert "DEMO_PASSWORD" in capsys.readouterr().err


def test_the_shell_script_passes_the_password_by_environment():
    # The call in compose-smoke.sh must match the parser: the password in
    # DEMO_PASSWORD, never after a flag on the command line.
    script = (SCRIPT.parent / "compose-smoke.sh").read_text()
    call = script[script.rindex("scripts/compose_smoke_checks.py") - 60 :]
    call = call[: call.index('|| fail "checks through nginx"')]
    assert 'DEMO_PASSWORD=$demo_password "$PY" scripts/compose_smoke_checks.py' in call
    assert "$demo_password" not in call.split("compose_smoke_checks.py", 1)[1]
    assert '--username "$demo_user"' in call
