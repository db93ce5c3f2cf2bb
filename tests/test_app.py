"""`mutualaid app` over HTTP (no browser): security, the actions' answers, the working folder, the command."""

import json
import re
import socket
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app_server import BAD_ROW, claims_register, multipart, roster_with_problems, running
from mutualaid_xl.app.jobs import Cancelled, Jobs
from mutualaid_xl.app.server import clean_name
from mutualaid_xl.cli import app as cli


@pytest.fixture(scope="module")
def server():
    with running(max_upload=3_000_000) as srv:   # the built templates with their formula sheets are ~300 kB
        yield srv


@pytest.fixture(scope="module")
def small_server():
    """A low limit, so an oversized upload still fits the socket buffers while the server refuses it."""
    with running(max_upload=300_000) as srv:
        yield srv


def _start(srv, action, fields, files):
    body, kind = multipart(fields, files)
    status, data, _ = srv.request(f"/api/jobs/{action}", data=body, headers={"Content-Type": kind})
    assert status == 200, data.decode()
    job_id = json.loads(data)["job"]
    for _ in range(300):
        status, data, _ = srv.request(f"/api/job/{job_id}")
        job = json.loads(data)
        if job["state"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_every_request_needs_the_token(server):
    assert server.request("/", token=False)[0] == 403
    assert server.request("/api/meta", token=False)[0] == 403
    assert server.request("/static/app.js", token=False)[0] == 403
    assert server.request("/api/meta", headers={"X-MutualAid-Token": "wrong"}, token=False)[0] == 403
    status, page, headers = server.request(f"/?token={server.token}", token=False)
    assert status == 200 and "职工互助" in page.decode() and "SameSite=strict" in headers["set-cookie"]
    cookie = {"Cookie": f"mutualaid_token={server.token}"}
    assert server.request("/api/meta", headers=cookie, token=False)[0] == 200


def test_state_changes_need_the_header_not_just_the_cookie(server):
    cookie = {"Cookie": f"mutualaid_token={server.token}", "Content-Type": "application/x-www-form-urlencoded"}
    assert server.request("/api/calc", data=b"days=3", headers=cookie, token=False)[0] == 403
    foreign = {"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}
    assert server.request("/api/calc", data=b"days=3", headers=foreign)[0] == 403
    assert server.request("/api/calc", data=b"self_pay=200&days=3", headers=foreign | {"Origin": server.base})[0] == 200


def test_another_host_name_is_refused(server):
    assert server.request("/api/meta", headers={"Host": "evil.example"})[0] == 400


def test_listens_on_loopback_only(server):
    assert server.server.servers[0].sockets[0].getsockname()[0] == "127.0.0.1"
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))        # no packet is sent; only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        address = None
    finally:
        probe.close()
    if address and not address.startswith("127."):
        port = int(server.base.rsplit(":", 1)[1])
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=2).close()


def test_oversized_upload_is_refused_and_nothing_written(small_server):
    body, kind = multipart({}, [("files", "big.xlsx", b"x" * 400_000)])
    status, data, _ = small_server.request("/api/jobs/validate", data=body, headers={"Content-Type": kind})
    assert status == 413 and "太大" in json.loads(data)["error"]
    assert not list(small_server.workdir.rglob("big.xlsx"))


def test_dot_dot_names_stay_inside_the_working_folder(server, tmp_path):
    roster = roster_with_problems(tmp_path / "r.xlsx").read_bytes()
    job = _start(server, "validate", {}, [("files", "../../escape.xlsx", roster), ("files", "..\\..\\escape.xlsx", roster)])
    assert job["state"] == "done", job["message"]
    inbox = sorted(p.relative_to(server.workdir).as_posix() for p in server.workdir.rglob("escape*"))
    assert inbox == [f"jobs/{job['id']}/in/escape-2.xlsx", f"jobs/{job['id']}/in/escape.xlsx"]
    assert not (server.workdir.parent / "escape.xlsx").exists() and not Path("escape.xlsx").exists()
    assert clean_name("../../a/b\\..\\名册.XLSX", set()) == "名册.xlsx"
    assert clean_name("..", set()) == "未命名"
    assert server.request(f"/api/job/{job['id']}/files/..%2F..%2Fin%2Fescape.xlsx")[0] == 404


def test_validate_shows_the_problems_masked_and_writes_the_report(server, tmp_path):
    job = _start(server, "validate", {"policy": "nm-2021"}, [("files", "名册.xlsx", roster_with_problems(tmp_path / "r.xlsx").read_bytes())])
    problems = job["result"]["tables"][0]
    rows = {(row[4], row[5]): row for row in problems["rows"]}
    bad = rows[(BAD_ROW + 4, "C")]
    assert bad[1] == "错误" and bad[2] == "名册.xlsx" and bad[3] == "会员名册" and "校验位错误" in bad[7]
    assert "*" in bad[8] and len(bad[8].replace("*", "")) < 10         # the ID is masked
    assert "交费金额 1 元与方案 nm-2021 的在职标准 100 元不符" in rows[(10, "G")][7]
    assert job["result"]["files"] == ["校验报告.xlsx"]
    status, content, headers = server.request(f"/api/job/{job['id']}/files/%E6%A0%A1%E9%AA%8C%E6%8A%A5%E5%91%8A.xlsx")
    assert status == 200
    (tmp_path / "report.xlsx").write_bytes(content)
    sheet = load_workbook(tmp_path / "report.xlsx")["校验结果"]
    assert [(c.value) for c in sheet[2]][4:6] == [7, "C"]


def test_claims_amounts_and_explanations(server, tmp_path):
    job = _start(server, "claims", {}, [("files", "登记表.xlsx", claims_register(tmp_path / "c.xlsx").read_bytes())])
    table = job["result"]["tables"][0]
    assert [row[2] for row in table["rows"]] == ["11,240.00", "200.00"]
    assert [row[1] for row in table["rows"]] == ["张*", "李*"]
    assert any("40%" in line for line in table["details"][0])
    assert job["result"]["files"] == ["登记表_subsidy.xlsx"]


def test_notice_from_the_page_fields_and_saved_copy(server, tmp_path):
    saved = tmp_path / "保存"
    saved.mkdir()
    fields = {"issuer": "某某市总工会", "doc_number": "某工发〔2021〕1号", "title": "关于开展职工医疗互助的通知",
              "addressees": "各基层工会", "body": "第一段。\n第二段。", "date": "2021-05-01", "save_to": str(saved)}
    job = _start(server, "notice", fields, [])
    assert job["state"] == "done", job["message"]
    assert job["result"]["saved"] == [str(saved / "通知.docx")]
    from docx import Document

    text = "\n".join(p.text for p in Document(saved / "通知.docx").paragraphs)
    assert "关于开展职工医疗互助的通知" in text and "第二段。" in text and "2021年5月1日" in text


def test_errors_are_chinese_and_name_the_clerks_file(server, tmp_path):
    job = _start(server, "claims", {}, [("files", "不是表格.xlsx", b"hello")])
    assert job["state"] == "failed" and "不是表格.xlsx" in job["message"] and str(server.workdir) not in job["message"]
    status, data, _ = server.request("/api/calc", data=b"self_pay=abc&days=3",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "自付费用" in json.loads(data)["error"]


def test_calculator_and_policy_tables(server):
    status, data, _ = server.request("/api/calc", data=b"self_pay=20000&days=12&years=2&first_stay=1",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    result = json.loads(data)
    assert result["amount"] == "11,240.00" and result["upper"] == "壹万壹仟贰佰肆拾元整"
    assert result["bands"][0][2] == "40%"
    policy = json.loads(server.request("/api/policies/nm-2021")[1])
    sections = {s["title"]: s for s in policy["sections"]}
    assert sections["补助计算 › 分段补助"]["source"] == "细则第十条第1至4项；通知二（三）"
    assert sections["补助计算 › 分段补助"]["rows"][0][1].splitlines()[0] == "至（元） 10000，比例/标准 0.4"
    assert "内工发〔2021〕5号" in sections["交费标准"]["source"]
    assert sections["交费标准"]["rows"] == [["每人每期交费", "在职：100；退休：400"]]
    assert ["在职参互比例下限", "0.75"] in sections["单位参互比例"]["rows"]
    assert sections["补助计算 › 保底"]["rows"] == [["金额", "200"]]


def test_cancel_stops_a_job(tmp_path):
    jobs = Jobs(tmp_path)
    job = jobs.new("测试")

    def work(job):
        while True:
            job.tick(step="等待")
            time.sleep(0.01)

    jobs.start(job, work)
    job.cancel.set()
    for _ in range(100):
        if job.state != "running":
            break
        time.sleep(0.02)
    assert (job.state, job.message) == ("cancelled", "已取消")
    with pytest.raises(Cancelled):
        job.tick()


def test_working_folder_removed_on_stop(tmp_path):
    with running() as srv:
        workdir = srv.workdir
        assert workdir.is_dir()
    assert not workdir.exists()


def test_command_warns_for_another_host_and_makes_a_shortcut(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("mutualaid_xl.app.run.serve", lambda *args, **kwargs: calls.append((args, kwargs)))
    result = CliRunner().invoke(cli, ["app", "--host", "0.0.0.0", "--no-browser", "--port", "8123"])
    assert result.exit_code == 0 and "警告" in result.output
    assert calls[0][0] == ("0.0.0.0", 8123) and calls[0][1]["open_browser"] is False
    result = CliRunner().invoke(cli, ["app", "--no-browser"])
    assert "警告" not in result.output and calls[1][0][0] == "127.0.0.1"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("mutualaid_xl.app.run._desktop", lambda: tmp_path / "Desktop")
    result = CliRunner().invoke(cli, ["app", "--shortcut"])
    assert result.exit_code == 0, result.output
    desktop = (tmp_path / "Desktop" / "mutualaid-app.desktop").read_text(encoding="utf-8")
    assert "Name=职工互助" in desktop and "-m mutualaid_xl.cli app" in desktop


@pytest.mark.libreoffice
def test_seal_renders_the_notice_with_the_seal_and_exports_the_pdf(server, tmp_path):
    import pdfplumber

    from mutualaid_xl.documents.seal import specimen_seal

    seal = specimen_seal("某某市总工会", tmp_path / "印章.png").read_bytes()
    fields = {"issuer": "某某市总工会", "doc_number": "某工发〔2021〕4号", "title": "关于盖章测试的通知",
              "addressees": "各基层工会", "body": "正文一段。", "date": "2021-06-01"}
    job = _start(server, "seal", fields, [("seal", "印章.png", seal)])
    assert job["state"] == "done", job["message"]
    assert job["result"]["files"] == ["盖章记录.csv", "通知.docx", "通知.pdf"]
    status, content, _ = server.request(f"/api/job/{job['id']}/files/%E9%80%9A%E7%9F%A5.pdf")
    (tmp_path / "通知.pdf").write_bytes(content)
    with pdfplumber.open(tmp_path / "通知.pdf") as pdf:
        page = pdf.pages[0]
        assert "关于盖章测试的通知" in page.extract_text() and page.images     # the seal is a picture on the page


def test_ctrl_c_stops_the_command_and_removes_the_working_folder(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(root), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "mutualaid_xl.cli", "app", "--no-browser"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("职工互助网页已启动：http://127.0.0.1:") and "?token=" in first
        assert len(list(tmp_path.glob("mutualaid-app-*"))) == 1
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        rest = process.communicate(timeout=20)[0]
    finally:
        process.kill()
    assert process.returncode == 0 and "已停止，临时文件已删除。" in rest
    assert not list(tmp_path.glob("mutualaid-app-*"))


def test_a_long_job_shows_progress_and_is_cancelled_over_http(server, tmp_path):
    from mutualaid_xl.workbooks import synthetic

    roster = synthetic.write_roster(tmp_path / "many.xlsx", synthetic.roster(800, seed=5, units=400))
    body, kind = multipart({}, [("files", "many.xlsx", roster.read_bytes())])
    status, data, _ = server.request("/api/jobs/fill", data=body, headers={"Content-Type": kind})
    job_id = json.loads(data)["job"]
    for _ in range(300):
        job = json.loads(server.request(f"/api/job/{job_id}")[1])
        if job["total"] and job["done"] >= 3:
            break
        time.sleep(0.05)
    assert job["state"] == "running" and job["total"] == 1 + 1 + 400 and job["step"]
    assert server.request(f"/api/job/{job_id}/cancel", method="POST")[0] == 200
    for _ in range(100):
        job = json.loads(server.request(f"/api/job/{job_id}")[1])
        if job["state"] != "running":
            break
        time.sleep(0.05)
    assert (job["state"], job["message"]) == ("cancelled", "已取消") and job["done"] < job["total"]
    assert server.request(f"/api/job/{job_id}/zip")[0] == 404


# --- 盖章并导出PDF with a signing certificate, and 核验 -------------------------------------------

CERT_PASSWORD = "页面测试密码-7"
SIGN_FIELDS = {"issuer": "某某市总工会", "doc_number": "某工发〔2021〕6号", "title": "关于签章测试的通知",
               "addressees": "各基层工会", "body": "正文一段。", "date": "2021-06-02"}


@pytest.fixture(scope="module")
def specimen_files(tmp_path_factory):
    from mutualaid_xl.documents.seal import specimen_seal
    from mutualaid_xl.documents.signing import specimen_certificate

    folder = tmp_path_factory.mktemp("specimen")
    return (specimen_seal("某某市总工会", folder / "印章.png").read_bytes(),
            specimen_certificate("某某市总工会", folder / "样章证书.p12", CERT_PASSWORD).read_bytes())


def _leftovers(srv, job, secret: str) -> list[str]:
    """Files of the job that hold the certificate or the password (there must be none)."""
    return [p.name for p in (srv.workdir / "jobs" / job["id"]).rglob("*") if p.is_file()
            and (p.suffix in (".p12", ".pfx") or secret.encode() in p.read_bytes())]


@pytest.fixture(scope="module")
def signed_pdf(server, specimen_files, tmp_path_factory):
    seal_png, cert = specimen_files
    job = _start(server, "seal", SIGN_FIELDS | {"password": CERT_PASSWORD},
                 [("seal", "印章.png", seal_png), ("cert", "本单位证书.p12", cert)])
    assert job["state"] == "done", job["message"]
    assert job["result"]["files"] == ["盖章记录.csv", "通知.docx", "通知.pdf"]
    assert "PDF 已加数字签名" in "\n".join(job["result"]["lines"])
    assert _leftovers(server, job, CERT_PASSWORD) == []
    log = (server.workdir / "jobs" / job["id"] / "out" / "盖章记录.csv").read_text(encoding="utf-8-sig")
    assert "通知.docx" in log and "通知.pdf" not in log        # the signed PDF proves itself, no log line
    status, content, _ = server.request(f"/api/job/{job['id']}/files/%E9%80%9A%E7%9F%A5.pdf")
    assert status == 200
    pdf = tmp_path_factory.mktemp("download") / "通知.pdf"
    pdf.write_bytes(content)
    return pdf


@pytest.mark.libreoffice
def test_seal_with_a_certificate_downloads_a_pdf_that_verifies(signed_pdf):
    import shutil
    import subprocess

    from mutualaid_xl.documents.signing import verify_pdf

    check = verify_pdf(signed_pdf)
    assert check.ok and "签名有效：某某市总工会（样章）" in check.message, check.message
    if shutil.which("pdfsig"):
        report = subprocess.run(["pdfsig", str(signed_pdf)], capture_output=True, text=True).stdout
        assert "Signature Validation: Signature is Valid." in report and "Total document signed" in report
        assert "某某市总工会（样章）" in report


@pytest.mark.libreoffice
def test_verify_page_passes_the_signed_pdf_and_fails_a_tampered_copy(server, signed_pdf):
    data = bytearray(signed_pdf.read_bytes())
    start = int(re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", data).group(1)) // 2   # inside the signed page content
    data[start] = ord("7") if data[start] != ord("7") else ord("8")
    job = _start(server, "verify", {}, [("files", "通知.pdf", signed_pdf.read_bytes())])
    ((name, result, message),) = job["result"]["tables"][0]["rows"]
    assert (name, result) == ("通知.pdf", "通过") and "签名有效：某某市总工会（样章）" in message
    assert job["result"]["lines"] == ["核验 1 个文件：全部未改动。"]
    job = _start(server, "verify", {}, [("files", "改过.pdf", bytes(data))])
    ((name, result, message),) = job["result"]["tables"][0]["rows"]
    assert (name, result) == ("改过.pdf", "未通过") and ("改动" in message or "损坏" in message), message
    assert job["result"]["lines"] == ["核验 1 个文件：1 个已改动或无法核验。"]


def test_wrong_password_or_broken_certificate_is_a_chinese_message_and_leaves_nothing(server, specimen_files):
    seal_png, cert = specimen_files
    for name, content, password in (("本单位证书.p12", cert, "错误的密码"), ("坏证书.pfx", b"not a certificate", "坏证书的密码-9")):
        job = _start(server, "seal", SIGN_FIELDS | {"password": password},
                     [("seal", "印章.png", seal_png), ("cert", name, content)])
        assert job["state"] == "failed"
        assert job["message"] == f"没有完成：文件 {name}：无法打开证书：密码不对，或不是 .p12/.pfx 证书文件。"
        assert password not in json.dumps(job, ensure_ascii=False)
        assert not list((server.workdir / "jobs" / job["id"] / "out").iterdir())      # nothing rendered
        assert _leftovers(server, job, password) == []
    job = _start(server, "seal", SIGN_FIELDS | {"password": "忘了选证书"}, [("seal", "印章.png", seal_png)])
    assert job["message"] == "没有完成：填写了证书密码，但没有选择数字证书（.p12/.pfx）；不签名时请清空密码"


def test_verify_page_checks_a_word_file_against_its_stamping_log(server, specimen_files, tmp_path):
    from mutualaid_xl.documents import render as documents

    (tmp_path / "印章.png").write_bytes(specimen_files[0])
    doc = documents.render("notice", SIGN_FIELDS, tmp_path / "通知-盖章.docx", seal_png=tmp_path / "印章.png")[0]
    log = (tmp_path / "盖章记录.csv").read_bytes()
    job = _start(server, "verify", {}, [("files", doc.name, doc.read_bytes()), ("files", "盖章记录 (1).csv", log),
                                        ("files", "改过.docx", doc.read_bytes() + b"x")])
    rows = {row[0]: row[1:] for row in job["result"]["tables"][0]["rows"]}
    assert rows["通知-盖章.docx"][0] == "通过" and "文件未改动" in rows["通知-盖章.docx"][1]
    assert rows["改过.docx"] == ["未通过", "盖章记录 盖章记录.csv 中没有这个文件，无法核验（可能未经本工具盖章）。"]
    job = _start(server, "verify", {}, [("files", doc.name, doc.read_bytes())])
    (row,) = job["result"]["tables"][0]["rows"]
    assert row[1] == "未通过" and row[2] == "未找到盖章记录 盖章记录.csv，无法核验（可能未经本工具盖章）。"
    assert str(server.workdir) not in json.dumps(job, ensure_ascii=False)


def test_statistics_writes_the_workbook_and_the_statement_as_mutualaid_stats_does(server, tmp_path):
    from test_stats import A, FEE_ACTIVE, FEE_RETIRED, county, figures

    rosters, register = county(tmp_path)
    files = [("files", p.name, p.read_bytes()) for p in sorted(rosters.iterdir())]
    files.append(("register", "登记表.xlsx", register.read_bytes()))
    fields = {"year": "2021", "opening": "50000", "remitted": "100", "returned": "30", "issuer": "某某县总工会"}
    job = _start(server, "statistics", fields, files)
    assert job["state"] == "done", job["message"]
    result = job["result"]
    assert result["files"] == ["互助金收支情况公示_2021.docx", "运行情况统计表_2021.xlsx"]
    assert "救助 2 人，支付 230,360.00 元" in result["lines"] and "已审批未支付 2,320.00 元" in result["lines"]
    problems = result["tables"][0]["rows"]
    assert any(row[0] == "三单位.xlsx" and "身份证号" in row[4] for row in problems)
    assert A not in json.dumps(result, ensure_ascii=False)                  # IDs masked on the page
    status, content, _ = server.request(f"/api/job/{job['id']}/files/{quote('运行情况统计表_2021.xlsx')}")
    assert status == 200
    (tmp_path / "stats.xlsx").write_bytes(content)
    rows = figures(tmp_path / "stats.xlsx")
    assert rows["2021年度（第三期）"][1:3] == [5, 4 * FEE_ACTIVE + FEE_RETIRED]
    assert rows["2021年度合计"][5:7] == [2, 11240 + 217000 + 2120]


def test_statistics_needs_the_year_and_the_register(server, tmp_path):
    from test_stats import county

    rosters, _register = county(tmp_path)
    roster = next(iter(sorted(rosters.iterdir())))
    job = _start(server, "statistics", {"issuer": "某某县总工会"}, [("files", roster.name, roster.read_bytes())])
    assert job["state"] == "failed" and "请填写统计年度" in job["message"]
    job = _start(server, "statistics", {"year": "2021", "issuer": "某某县总工会"},
                 [("files", roster.name, roster.read_bytes())])
    assert job["state"] == "failed" and "请先选择补助登记表" in job["message"]
