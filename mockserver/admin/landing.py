"""The page at ``/``: what is served where, and how to get in."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from mockserver import __version__
from mockserver.engine.context import Reply

if TYPE_CHECKING:
    from mockserver.runtime import Runtime


def describe(runtime: Runtime) -> dict:
    vendors = []
    for key, vendor in runtime.vendors.items():
        mounts = [m.base_path for m in vendor.spec.mounts]
        vendors.append(
            {
                "key": key,
                "title": vendor.title,
                "base_paths": mounts,
                "docs": f"{mounts[0]}/ui/",
                "openapi": f"{mounts[0]}/openapi.json",
                "operations": len(vendor.spec.operations),
                "demo_credentials": vendor.demo_credentials,
            }
        )
    from mockserver.admin.routes import _load_admin_modules, endpoints

    _load_admin_modules()
    admin = [{"method": m, "path": p, "what": w} for m, p, w in endpoints()]
    return {"name": "crm-mock", "version": __version__, "vendors": vendors, "admin": admin}


def landing_page(runtime: Runtime, scope: dict) -> Reply:
    info = describe(runtime)
    accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
    if "application/json" in accept and "text/html" not in accept:
        return Reply(200, info)
    esc = html.escape
    rows = []
    for v in info["vendors"]:
        creds = "<br>".join(f"{esc(k)}: <code>{esc(c)}</code>" for k, c in v["demo_credentials"].items())
        bases = ", ".join(f"<code>{esc(b)}</code>" for b in v["base_paths"])
        rows.append(
            f"<tr><td>{esc(v['key'])}</td><td>{esc(v['title'])}</td><td>{bases}</td>"
            f"<td><a href='{esc(v['docs'])}'>Swagger UI</a> · "
            f"<a href='{esc(v['openapi'])}'>openapi.json</a></td><td>{creds}</td></tr>"
        )
    admin = "".join(
        f"<li><code>{esc(a['method'])} {esc(a['path'])}</code>: {esc(a['what'])}</li>" for a in info["admin"]
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>crm-mock</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;text-align:left}}</style>
</head><body><h1>crm-mock {esc(__version__)}</h1>
<p>Stateful mocks of four CRM APIs, each at its own base path.</p>
<table><tr><th>vendor</th><th>API</th><th>base path</th><th>docs</th><th>demo credentials</th></tr>
{"".join(rows)}</table>
<h2>Admin</h2><ul>{admin}</ul></body></html>"""
    return Reply(200, page, media_type="text/html; charset=utf-8")
