"""The rules of the house that code review alone would let slip (DESIGN.md §3).

* Views and the API never query models: no `models` imports, no `.objects`, no raw connections.
* Services and selectors are keyword-only functions; services that change case data take `user`.
* No business logic in signals or `save()`: no signal receivers, and `save()` is not overridden.
"""

import ast
import inspect
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "openmash"
DOMAINS = sorted(p.parent.name for p in ROOT.glob("*/models.py")) + ["api", "core"]


def _thin_layer_files():
    files = [p for p in ROOT.glob("*/views.py")]
    files += [p for p in (ROOT / "api").rglob("*.py") if "tests" not in p.parts]
    return files


@pytest.mark.parametrize("path", _thin_layer_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_views_and_api_do_not_touch_models(path):
    tree = ast.parse(path.read_text())
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.endswith(".models") or node.module == "models" or node.module.startswith("django.db"):
                problems.append(f"line {node.lineno}: imports from {node.module}")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.endswith(".models") or alias.name.startswith("django.db"):
                    problems.append(f"line {node.lineno}: imports {alias.name}")
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager", "raw"):
            problems.append(f"line {node.lineno}: uses .{node.attr}")
    assert not problems, f"{path.relative_to(ROOT)} must go through selectors and services:\n" + "\n".join(problems)


def _public_functions(module_name):
    try:
        module = import_module(module_name)
    except ModuleNotFoundError:
        return []
    return [
        (name, fn)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == module_name
    ]


SERVICE_AND_SELECTOR_MODULES = [
    f"openmash.{domain}.{kind}" for domain in DOMAINS for kind in ("services", "selectors")
]

# Public service functions that do not act for a signed-in user, and why.
NO_USER = {
    "account_sign_in": "signs a user in: there is no acting user yet (takes the request)",
    "api_token_authenticate": "finds the user a token belongs to",
    "clock_policy_ensure_defaults": "set-up: writes the default policy rows",
    "lawful_bases_ensure_seeded": "set-up: writes the seed list of lawful bases",
    "clock_policy_for": "read of configuration",
    "request_due_at": "pure calculation from the policy",
    "referral_validate": "validation only; writes nothing",
    "new_person_validate": "validation only; writes nothing",
    "board_seen": "a wall board is a device, not a user: it records the board's own view",
    # run_clock acts for the hub, not for a signed-in user: it takes the claiming process's name instead.
    "notices_plan": "run_clock: plans notices from the clocks (system work)",
    "notices_claim": "run_clock: claims due notices for a worker process",
    "notice_deliver": "run_clock: delivers a notice the worker claimed",
    "claims_release_stale": "run_clock: takes back work a dead process left claimed",
    "emails_claim": "run_clock: claims due emails for a worker process",
    "emails_send": "run_clock: sends emails the worker claimed",
    "clock_pass": "run_clock: one pass of the loop",
}


@pytest.mark.parametrize("module_name", SERVICE_AND_SELECTOR_MODULES)
def test_services_and_selectors_are_keyword_only(module_name):
    problems = []
    for name, fn in _public_functions(module_name):
        params = inspect.signature(fn).parameters.values()
        positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if positional:
            problems.append(f"{name}({', '.join(positional)}) takes positional arguments")
        if module_name.endswith(".services") and name not in NO_USER:
            if "user" not in inspect.signature(fn).parameters:
                problems.append(f"{name} does not take the acting user")
    assert not problems, f"{module_name}:\n" + "\n".join(problems)


def test_no_signal_receivers_or_save_overrides():
    problems = []
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    if getattr(target, "id", None) == "receiver" or getattr(target, "attr", None) == "receiver":
                        problems.append(f"{path.relative_to(ROOT)}:{node.lineno} signal receiver {node.name}")
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name in ("save", "delete") and path.name == "models.py":
                        problems.append(f"{path.relative_to(ROOT)}:{item.lineno} {node.name}.{item.name}() overridden")
    assert not problems, "\n".join(problems)


def test_every_domain_has_the_same_shape():
    """DESIGN.md §3: each domain has models, selectors, services, views, urls (where it has pages)."""
    missing = []
    for domain in ("accounts", "agencies", "people", "referrals", "information_requests"):
        for name in ("models.py", "selectors.py", "services.py", "views.py", "urls.py", "forms.py"):
            if not (ROOT / domain / name).exists():
                missing.append(f"{domain}/{name}")
    assert not missing, missing
