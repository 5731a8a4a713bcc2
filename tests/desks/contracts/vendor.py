"""Cut the vendors' published API descriptions down to the operations the desk adapters use.

Run by hand when a description is refreshed (it is not part of the test run)::

    python tests/desks/contracts/vendor.py SPEC_DIR

``SPEC_DIR`` holds the published files named in README.md (``api.github.com.json`` from the
``@octokit/openapi`` npm package, the PagerDuty, Atlassian and Zendesk files). Each output keeps
the named operations and every component they reference, unchanged; nothing else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent

OPERATIONS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "github": (
        "api.github.com.json",
        [
            ("get", "/user"),
            ("get", "/repos/{owner}/{repo}"),
            ("get", "/repos/{owner}/{repo}/issues"),
            ("post", "/repos/{owner}/{repo}/issues"),
            ("get", "/repos/{owner}/{repo}/issues/{issue_number}"),
            ("get", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
            ("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
        ],
    ),
    "pagerduty": (
        "pagerduty-rest-v2.openapi.json",
        [
            ("get", "/incidents"),
            ("get", "/incidents/{id}/log_entries"),
            ("post", "/incidents/{id}/notes"),
            ("get", "/abilities"),
            ("get", "/users"),
        ],
    ),
    "pagerduty-events": ("pagerduty-events-v2.openapi.json", [("post", "/enqueue")]),
    "jsm": (
        "jsm-servicedesk-cloud-v3.openapi.json",
        [
            ("get", "/rest/servicedeskapi/request"),
            ("post", "/rest/servicedeskapi/request"),
            ("get", "/rest/servicedeskapi/request/{issueIdOrKey}/comment"),
            ("post", "/rest/servicedeskapi/request/{issueIdOrKey}/comment"),
            ("get", "/rest/servicedeskapi/request/{issueIdOrKey}/status"),
            ("get", "/rest/servicedeskapi/request/{issueIdOrKey}/sla"),
            ("get", "/rest/servicedeskapi/servicedesk/{serviceDeskId}"),
            (
                "get",
                "/rest/servicedeskapi/servicedesk/{serviceDeskId}/requesttype/{requestTypeId}/field",
            ),
        ],
    ),
    "jira": (
        "jira-cloud-v3.openapi.json",
        [("get", "/rest/api/3/user"), ("get", "/rest/api/3/user/permission/search")],
    ),
    "zendesk": (
        "zendesk-support-oas.yaml",
        [
            ("get", "/api/v2/users/me"),
            ("get", "/api/v2/requests"),
            ("post", "/api/v2/requests"),
            ("get", "/api/v2/requests/{request_id}"),
            ("put", "/api/v2/requests/{request_id}"),
            ("get", "/api/v2/requests/{request_id}/comments"),
            ("get", "/api/v2/tickets"),
            ("post", "/api/v2/tickets"),
            ("put", "/api/v2/tickets/{ticket_id}"),
            ("get", "/api/v2/tickets/show_many"),
            ("get", "/api/v2/tickets/{ticket_id}/audits"),
            # "Show Ticket Metrics", which the docs also give as /tickets/{ticket_id}/metrics.
            ("get", "/api/v2/ticket_metrics/{ticket_metric_id}"),
            ("get", "/api/v2/users/show_many"),
            ("get", "/api/v2/slas/policies"),
        ],
    ),
}


class _Loader(yaml.SafeLoader):
    """Zendesk's file uses ``=`` as a value and unquoted dates: keep both as text."""


_Loader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)
_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _load(path: Path) -> Any:
    if path.suffix == ".yaml":
        return yaml.load(path.read_text(), Loader=_Loader)
    return json.loads(path.read_text())


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            found.add(ref)
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _resolve(spec: Any, ref: str) -> Any:
    node = spec
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def cut(spec: Any, operations: list[tuple[str, str]]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path in operations:
        item = spec["paths"][path]
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k == "parameters"})
        kept[method] = item[method]
    out: dict[str, Any] = {
        "openapi": spec.get("openapi"),
        "info": spec.get("info"),
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": {},
    }
    pending = _refs(paths)
    done: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        top, section, name = ref[2:].split("/")[:3]
        if top != "components":
            # A reference into another operation (PagerDuty does this): keep what it names.
            pending |= _refs(_resolve(spec, ref)) - done
            continue
        node = spec["components"][section][name]
        out["components"].setdefault(section, {})[name] = node
        pending |= _refs(node) - done
    return out


def main(spec_dir: str) -> None:
    for vendor, (filename, operations) in OPERATIONS.items():
        spec = _load(Path(spec_dir) / filename)
        target = HERE / f"{vendor}.openapi.json"
        target.write_text(json.dumps(cut(spec, operations), indent=1, sort_keys=True) + "\n")
        print(f"{target.name}: {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(sys.argv[1])
