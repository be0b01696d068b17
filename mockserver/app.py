"""``create_app(settings)``: the Connexion app with every vendor's spec mounted at its base path."""

from __future__ import annotations

import gc
import logging
from functools import partial
from typing import Any

import connexion
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException

from mockserver.engine.dispatch import EngineMiddleware, encode
from mockserver.engine.errors import KINDS, ApiError
from mockserver.runtime import Runtime
from mockserver.settings import Settings

log = logging.getLogger("crm_mock")
_KIND_BY_STATUS = {status: kind for kind, status in KINDS.items()}


async def _unreachable(*args: Any, **kwargs: Any) -> None:
    """Connexion wants a function per operation; EngineMiddleware answers before it is called."""
    raise RuntimeError("request reached Connexion's operation layer")


def _error_handler(runtime: Runtime):
    """Errors raised inside Connexion's own layers (405, bad paths) in the vendor's envelope."""

    def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        status = getattr(exc, "status_code", None) or getattr(exc, "status", None) or 500
        kind = _KIND_BY_STATUS.get(int(status), "bad_request" if int(status) < 500 else "internal")
        if kind == "internal":
            log.error("error in Connexion layer: %r", exc)
        message = getattr(exc, "detail", None) or str(exc) or kind
        headers = dict(getattr(exc, "headers", None) or {})
        allowed = runtime.allowed_methods(request.url.path) if int(status) == 405 else []
        if allowed:
            # The router knows one operation's route; Allow lists every method the spec documents.
            headers["Allow"] = ", ".join(allowed)
        reply = runtime.error_reply(request.url.path, ApiError(kind, str(message), headers=headers))
        payload, raw_headers = encode(reply)
        return ConnexionResponse(
            status_code=reply.status,
            body=payload,
            content_type=reply.media_type,
            # content_type above sets Content-Type; repeating it sent the header twice
            headers={
                k.decode(): v.decode()
                for k, v in raw_headers
                if k not in (b"content-length", b"content-type")
            },
        )

    return handle


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> connexion.AsyncApp:
    settings = settings or Settings.from_env()
    runtime = runtime or Runtime(settings)
    runtime.prepare()
    middlewares = [
        ServerErrorMiddleware,
        ExceptionMiddleware,
        SwaggerUIMiddleware,
        RoutingMiddleware,
        partial(EngineMiddleware, runtime=runtime),
        LifespanMiddleware,
        ContextMiddleware,
    ]

    def lifespan(_app: Any) -> Any:
        return runtime.background()

    app = connexion.AsyncApp(
        __name__,
        lifespan=lifespan,
        middlewares=middlewares,
        resolver=Resolver(function_resolver=lambda _operation_id: _unreachable),
        swagger_ui_options=SwaggerUIOptions(swagger_ui=True, spec_path="/openapi.json"),
    )
    for vendor in runtime.vendors.values():
        for mount in vendor.spec.mounts:
            app.add_api(mount.document, base_path=mount.base_path, name=f"{vendor.key}:{mount.base_path}")
    handler = _error_handler(runtime)
    for exc_type in (HTTPException, Exception):
        app.add_error_handler(exc_type, handler)
    app.runtime = runtime  # type: ignore[attr-defined]
    # Specs, compiled validators and the app live as long as the process: moving them out of the
    # collector's reach shortens the pauses that set the p99 of busy list endpoints.
    gc.collect()
    gc.freeze()
    return app


def app_from_env() -> connexion.AsyncApp:
    """Factory for ``uvicorn --factory``: every worker process builds its app from the env."""
    return create_app(Settings.from_env())
