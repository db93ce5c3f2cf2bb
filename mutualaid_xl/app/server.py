"""The page's HTTP side (Starlette on uvicorn): token check, uploads into a job folder, jobs, downloads.

Security: only the loopback address unless --host is given; every request carries the one-time
token (query ?token= for the first page, then a SameSite=Strict cookie); a request that changes
state must also send it in the X-MutualAid-Token header, which another site's page cannot set
(CSRF); the Host header must be the address served (DNS rebinding). Uploads are size-limited and
saved under a cleaned name inside the job's folder. The working folder is removed on exit.
"""

from __future__ import annotations

import hmac
import io
import json
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import InputError, MutualAidError
from ..files import install_bytes, safe_file_name
from ..rules.idcard import mask_ids_in
from . import actions, views
from .jobs import Jobs

STATIC = Path(__file__).resolve().parent / "static"
TOKEN_HEADER, TOKEN_COOKIE = "X-MutualAid-Token", "mutualaid_token"
MAX_UPLOAD = 50 * 1024 * 1024   # bytes per request; a province-size roster is well under this
MAX_FILES = 200


def _json(data, status: int = 200) -> JSONResponse:
    def plain(value):
        if isinstance(value, Decimal):
            return f"{value:f}"
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    return JSONResponse(json.loads(json.dumps(data, default=plain, ensure_ascii=False)), status_code=status)


def _error(message: str, status: int = 400) -> JSONResponse:
    return _json({"error": mask_ids_in(message)}, status)


def clean_name(name: str | None, taken: set[str]) -> str:
    """An uploaded file's name reduced to a plain name for the job folder: no folders, no ../, no duplicates."""
    base = re.split(r"[\\/]", name or "")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = re.sub(r"[^0-9A-Za-z]", "", suffix)[:8].lower()
    cleaned = safe_file_name(stem) + (f".{suffix}" if suffix else "")
    candidate, number = cleaned, 1
    while candidate in taken:
        number += 1
        candidate = f"{safe_file_name(stem)}-{number}" + (f".{suffix}" if suffix else "")
    taken.add(candidate)
    return candidate


def _inside(root: Path, relative: str) -> Path | None:
    path = (root / relative).resolve()
    return path if path.is_file() and root.resolve() in path.parents else None


class _TokenCheck(BaseHTTPMiddleware):
    def __init__(self, app, token: str):
        super().__init__(app)
        self.token = token

    def _ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    async def dispatch(self, request: Request, call_next):
        header = request.headers.get(TOKEN_HEADER)
        if request.method not in ("GET", "HEAD"):
            allowed = self._ok(header)    # a cookie alone never changes anything (CSRF)
            origin = request.headers.get("origin")
            if origin and origin.split("//", 1)[-1] != request.headers.get("host"):
                allowed = False
        else:
            allowed = any(self._ok(v) for v in (header, request.query_params.get("token"),
                                                 request.cookies.get(TOKEN_COOKIE)))
        if not allowed:
            return Response("403 缺少或错误的访问令牌：请用启动时显示的地址打开本页。", status_code=403,
                            media_type="text/plain; charset=utf-8")
        return await call_next(request)


def create_app(workdir: Path, token: str, *, hosts: list[str], max_upload: int = MAX_UPLOAD) -> Starlette:
    jobs = Jobs(workdir / "jobs")

    async def index(request: Request):
        page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{TOKEN}}", token)
        response = HTMLResponse(page, headers={
            "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'"})
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    async def static(request: Request):
        path = _inside(STATIC, request.path_params["name"])
        return FileResponse(path) if path else Response(status_code=404)

    async def meta(request: Request):
        from ..documents.render import FIELDS, LIST_FIELDS

        notice = [{"name": n, "label": label, "multiline": n in LIST_FIELDS}
                  for n, label in FIELDS["notice"].items() if n not in ("signer", "printed_by", "printed_date",
                                                                           "issuer_marking")]
        return _json({**await run_in_threadpool(views.policies), "notice_fields": notice,
                      "calc_fields": views.CALC_FIELDS, "max_upload_mb": max_upload // (1024 * 1024)})

    async def policy(request: Request):
        try:
            return _json(await run_in_threadpool(views.policy_view, request.path_params["policy_id"]))
        except MutualAidError as error:
            return _error(str(error))

    async def calculate(request: Request):
        try:
            return _json(await run_in_threadpool(views.calculate, dict(await request.form())))
        except MutualAidError as error:
            return _error(str(error))

    async def start(request: Request):
        name = request.path_params["action"]
        if name not in actions.ACTIONS:
            return _error("没有这个操作", 404)
        length = request.headers.get("content-length")
        if length is None:
            return _error("上传请求缺少长度", 411)
        if int(length) > max_upload:
            return _error(f"上传的文件太大：一次最多 {max_upload // (1024 * 1024)} MB", 413)
        title, work = actions.ACTIONS[name]
        job = jobs.new(title)
        async with request.form(max_files=MAX_FILES, max_part_size=max_upload) as form:
            taken: set[str] = set()
            uploads: dict[str, list[Path]] = {"files": [], "seal": [], "cert": [], "register": []}
            fields = {}
            for key, value in form.multi_items():
                if isinstance(value, str):
                    fields[key] = value
                elif key in uploads and value.filename:
                    target = job.inbox / clean_name(value.filename, taken)
                    install_bytes(await value.read(), target)
                    uploads[key].append(target)
        save_to = fields.pop("save_to", "").strip()

        def run(job):
            result = work(job, uploads, fields)
            result["files"] = sorted(str(p.relative_to(job.out)) for p in job.out.rglob("*") if p.is_file())
            if save_to:
                result["saved"] = _save_copies(job.out, result["files"], save_to)
            return result

        jobs.start(job, run)
        return _json({"job": job.id})

    def _job(request: Request):
        return jobs.get(request.path_params["job_id"])

    async def status(request: Request):
        job = _job(request)
        return _json(job.status()) if job else _error("没有这个任务", 404)

    async def cancel(request: Request):
        job = _job(request)
        if job is None:
            return _error("没有这个任务", 404)
        job.cancel.set()
        return _json({"ok": True})

    async def download(request: Request):
        job = _job(request)
        path = _inside(job.out, request.path_params["path"]) if job else None
        return FileResponse(path, filename=path.name) if path else _error("没有这个文件", 404)

    async def download_zip(request: Request):
        job = _job(request)
        if job is None or job.state != "done":
            return _error("没有这个任务", 404)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in job.result["files"]:
                archive.write(job.out / name, name)
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''job-{job.id}.zip"})

    routes = [
        Route("/", index), Route("/static/{name}", static), Route("/api/meta", meta),
        Route("/api/policies/{policy_id}", policy), Route("/api/calc", calculate, methods=["POST"]),
        Route("/api/jobs/{action}", start, methods=["POST"]), Route("/api/job/{job_id}", status),
        Route("/api/job/{job_id}/cancel", cancel, methods=["POST"]),
        Route("/api/job/{job_id}/zip", download_zip), Route("/api/job/{job_id}/files/{path:path}", download),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
                                                Middleware(_TokenCheck, token=token)])
    app.state.jobs = jobs
    return app


def _save_copies(out: Path, names: list[str], folder: str) -> list[str]:
    """Copies of the results in the folder the clerk chose (kept after the server stops); earlier files are backed up."""
    target = Path(folder).expanduser()
    if not target.is_absolute() or not target.is_dir():
        raise InputError(f"保存位置“{folder}”不是本机已有的文件夹；请填写完整路径，如 D:\\互助\\2021")
    return [str(install_bytes((out / name).read_bytes(), target / name)) for name in names]
