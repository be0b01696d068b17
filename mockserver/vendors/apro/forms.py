"""Online forms (``/onlineforms``: a website's form creates a contact and an activity), file
uploads (``utils/upload``) and the uploaded files served back at ``/files/crm/...``."""

from __future__ import annotations

import base64
import copy
import hashlib
import mimetypes
from typing import Any

from mockserver.engine.context import Reply, RequestContext
from mockserver.engine.errors import ApiError
from mockserver.vendors.apro import catalog, records
from mockserver.vendors.apro.dialect import body_of, params_of
from mockserver.vendors.apro.objects import APPLICATIONS, PURCHASER, STOCK
from mockserver.vendors.apro.records import bad

UPLOAD_OBJECTS = ("stock", "applications", "purchaser")
MAX_NAME = 120


def _form_field(fid: str) -> dict[str, Any]:
    field = catalog.FIELDS[fid]
    out = {
        "id": fid,
        "name": field["name"],
        "placeholder": field["name"],
        "require": "0",
        "tip": "",
        "hint": "",
        "type_data": field["datatype"],
    }
    if "parent" in field:
        out["parent"] = field["parent"]
    if "variants" in field:
        out["variants"] = copy.deepcopy(field["variants"])
    return out


def show_form(form: dict[str, Any]) -> dict[str, Any]:
    out = {k: form[k] for k in ("formtype", "name", "description", "feedback")}
    out["def_customer"] = copy.deepcopy(form["def_customer"])
    out["ext_customer"] = {f: _form_field(f) for f in form["ext_customer"]}
    out["ext_request"] = {f: _form_field(f) for f in form["ext_request"]}
    if form["def_stock"]:
        categories = [c for cats in catalog.STOCK_CATEGORIES.values() for c in cats]
        out["def_stock"] = {
            "name": {
                "id": "name",
                "name": "Name",
                "placeholder": "Name",
                "require": "0",
                "tip": "",
                "hint": "",
                "type_data": "text",
            },
            "parent": {
                "id": "parent",
                "name": "Category",
                "placeholder": "Category",
                "require": "0",
                "tip": "",
                "hint": "",
                "type_data": "select",
                "variants": copy.deepcopy(categories),
            },
        }
    else:
        out["def_stock"] = {}
    out["ext_stock"] = {f: _form_field(f) for f in form["ext_stock"]}
    return out


def _fail() -> Reply:
    return Reply(200, {"status": "fail", "message": "BAD_PARAMS"})


def _ext_entries(section: Any, allowed: list[str]) -> list[dict[str, Any]]:
    if section in (None, "", []):
        return []
    if not isinstance(section, dict):
        raise bad("form sections are {field id: {value}}")
    out = []
    for fid, item in section.items():
        value = item.get("value") if isinstance(item, dict) else item
        if value in (None, ""):
            continue  # a blank, as a website form sends for an empty input: nothing to file
        if str(fid) not in allowed:
            raise bad(f"field {fid} is not on this form")
        out.append({"id": str(fid), "value": value})
    return out


def onlineforms(ctx: RequestContext) -> Reply:
    """``action=get`` shows a form; ``action=fill`` files it: a contact, an activity of the form's
    activity type (source ``online_form``) and, when the form asks for one, an object."""
    body = body_of(ctx)
    action = body.get("action")
    form_id = str(body.get("form", body.get("formtype", "")))
    form = catalog.FORMS.get(form_id)
    if action not in ("get", "fill") or form is None:
        return _fail()
    if action == "get":
        return Reply(200, show_form(form))
    data = body.get("data") or {}
    if isinstance(data, str):
        import orjson

        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError:
            return _fail()
    if not isinstance(data, dict):
        return _fail()
    base = data.get("def_customer") or {}
    if not isinstance(base, dict):
        return _fail()
    for name, spec in form["def_customer"].items():
        if spec["require"] == "1" and not str(base.get(name, "")).strip():
            return _fail()
    try:
        with ctx.store.transaction():
            contact: dict[str, Any] = {
                k: str(base.get(k, ""))
                for k in ("name", "surname", "patronymic")
                if k in form["def_customer"]
            }
            if base.get("email"):
                contact["email"] = [str(base["email"])]
            if base.get("phone"):
                contact["phone"] = [str(base["phone"])]
            contact["source"] = "online_consult"
            contact["fields"] = _ext_entries(data.get("ext_customer"), form["ext_customer"])
            (customer_id,) = records.insert(ctx, PURCHASER, [contact])
            request = {
                "customers_id": customer_id,
                "request_type": form["request_type"],
                "source": "online_form",
                "status": "mustbeprocessed",
                "request_name": form["name"],
                "fields": _ext_entries(data.get("ext_request"), form["ext_request"]),
            }
            (request_id,) = records.insert(ctx, APPLICATIONS, [request])
            stock = data.get("def_stock") or {}
            if form["def_stock"] and isinstance(stock, dict) and stock.get("name") and stock.get("parent"):
                records.insert(
                    ctx,
                    STOCK,
                    [
                        {
                            "name": stock["name"],
                            "parent": stock["parent"],
                            "associated_with_customer": customer_id,
                            "fields": _ext_entries(data.get("ext_stock"), form["ext_stock"]),
                        }
                    ],
                )
    except ApiError:
        return _fail()
    return Reply(200, {"status": "success", "form": str(request_id)})


def utils_upload(ctx: RequestContext) -> Reply:
    """Multipart: ``apikey``, ``object`` (or ``params[object]``) and one or more ``upload`` files."""
    body = body_of(ctx)
    params = params_of(ctx) if "params" in body else {}
    target = body.get("object", params.get("object") if isinstance(params, dict) else None)
    if target not in UPLOAD_OBJECTS:
        raise bad("object is stock, applications or purchaser")
    files = [f for f in body.get("_files", []) if f[0].split("[", 1)[0] == "upload"]
    if not files:
        raise bad("upload: no file was sent")
    names = []
    with ctx.store.transaction():
        for _field, filename, content_type, data in files:
            seq = ctx.store.incr_meta(f"apro:seq:{ctx.coll('files')}")
            stem = hashlib.md5(f"file:{ctx.settings.seed}:{seq}".encode()).hexdigest()[:13]
            ext = filename.rsplit(".", 1)[1].lower()[:8] if "." in filename else "bin"
            name = f"{stem}.{ext}"
            ctx.store.insert(
                ctx.coll("files"),
                {
                    "id": name,
                    "object": target,
                    "original": filename[:MAX_NAME],
                    "content_type": content_type,
                    "size": len(data),
                    "data": base64.b64encode(data).decode(),
                },
            )
            names.append(name)
    return Reply(200, {"status": "success", "data": {"name": names[0] if len(names) == 1 else names}})


def serve_file(ctx: RequestContext) -> Reply:
    """Uploaded files, the same bytes at the original and both resized addresses."""
    name = ctx.params.get("filename", "")
    doc = ctx.store.get(ctx.coll("files"), name)
    if doc is None:
        raise ApiError("not_found", f"no file {name}")
    media = doc.get("content_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Reply(200, base64.b64decode(doc["data"]), media_type=media)


HANDLERS = {"onlineforms": onlineforms, "utils_upload": utils_upload, "serve_file": serve_file}
