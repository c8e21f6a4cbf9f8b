"""R7: the OpenAPI schema lists exactly the real routes under /api/v1/, and
every operation documents the one error shape."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver


def real_routes() -> set[str]:
    """Every route under /api/v1/ as an OpenAPI path ({id} for each parameter)."""
    out = set()

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if not route.startswith("api/v1/"):
                    continue
                route = route.lstrip("^").rstrip("$")
                route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
                route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                route = route.replace("^", "").replace("\\.", ".")
                if "{format}" in route:
                    continue
                out.add("/" + route)

    walk(get_resolver().url_patterns, "")
    return out


def test_schema_paths_are_exactly_the_real_routes(anon_client):
    response = anon_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = {re.sub(r"\{\w+\}", "{id}", p) for p in schema["paths"]}
    routes = {re.sub(r"\{\w+\}", "{id}", r) for r in real_routes()}
    assert paths == routes
    assert "/api/v1/scan/" in paths and "/api/v1/registrants/{id}/transitions/" in paths


def test_every_operation_documents_errors(anon_client):
    schema = anon_client.get("/api/schema/?format=json").json()
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/registrants") and not path.startswith(
            ("/api/v1/events", "/api/v1/companies", "/api/v1/scan")
        ):
            continue
        for method, op in item.items():
            assert {"401", "403"} <= set(op["responses"]), (method, path)
            error_ref = op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
            assert error_ref.endswith("/Error")


def test_docs_page_served(anon_client):
    assert anon_client.get("/api/docs/").status_code == 200
