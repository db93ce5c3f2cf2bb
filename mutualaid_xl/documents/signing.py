"""Digital signatures on PDFs (PAdES, with pyHanko): specimen certificates, signing, verifying.

A signed PDF carries its own proof: ``verify`` needs no log, so a copy sent by e-mail checks
just as well. The seal picture that LibreOffice drew on the page becomes the signature's
visible appearance: it is taken off the page content and drawn by the signature field at the
same place, so a PDF reader shows the signature when the seal is clicked.

Certificates made here are self-signed specimens marked 样章: they prove that nothing changed
since signing, not who signed. A union's real certificate comes from a certification authority.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFormatError, InputError
from ..files import install_bytes

SPECIMEN_MARK = "样章 仅供演示 不能证明身份"
FIELD_NAME = "单位印章"
PASSWORD_ENV = "MUTUALAID_CERT_PASSWORD"
SEAL_SIZE_PT = 42 / 25.4 * 72  # the seal is drawn 42 mm wide (seal.SEAL_DIAMETER)

# pyHanko logs a traceback when a certificate is self-signed; verify says so in Chinese instead
logging.getLogger("pyhanko").addHandler(logging.NullHandler())
logging.getLogger("pyhanko").propagate = False


# --- specimen certificate -----------------------------------------------------------------

def specimen_certificate(name: str, out: Path | str, password: str, *, years: int = 3) -> Path:
    """A self-signed RSA certificate for ``name`` marked 样章, with its key, as a PKCS#12 file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    name = (name or "").strip()
    if not name:
        raise InputError("请填写单位名称。", argument="单位名称")
    if not password:
        raise InputError("证书密码不能为空。", argument="密码")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{name}（样章）"[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64]),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, SPECIMEN_MARK),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        name="specimen".encode(), key=key, cert=cert, cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
    return install_bytes(data, out)


def load_signer(p12: Path | str, password: str | None):
    """The key and certificate of a PKCS#12 file; a wrong password or a bad file is a Chinese error."""
    from pyhanko.sign import signers

    p12 = Path(p12)
    if not p12.is_file():
        raise InputError("证书文件不存在。", file=str(p12))
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            p12.read_bytes(), other_certs=(), passphrase=password.encode("utf-8") if password else None)
    except (ValueError, TypeError):
        raise InputError("无法打开证书：密码不对，或不是 .p12/.pfx 证书文件。", file=str(p12)) from None
    if signer is None:
        raise InputError("无法打开证书：密码不对，或不是 .p12/.pfx 证书文件。", file=str(p12))
    return signer


def password_from_env() -> str | None:
    return os.environ.get(PASSWORD_ENV) or None


# --- signing ------------------------------------------------------------------------------

def _seal_on_pages(pdf: Path) -> tuple[int, tuple[float, float, float, float], str]:
    """(page index, box in PDF coordinates, XObject name) of the last seal picture in ``pdf``."""
    import pdfplumber

    found = None
    with pdfplumber.open(pdf) as document:
        for index, page in enumerate(document.pages):
            for image in page.images:
                width, height = image["x1"] - image["x0"], image["bottom"] - image["top"]
                if abs(width - SEAL_SIZE_PT) < 3 and abs(height - width) < 3:
                    box = (image["x0"], page.height - image["bottom"], image["x1"], page.height - image["top"])
                    found = (index, box, image["name"])
    if found is None:
        raise FileFormatError("PDF 中找不到印章图片，无法放置签章（请同时使用 --seal 盖章）。", file=str(pdf))
    return found


def _take_off_page(writer, page_index: int, name: str) -> None:
    """Let the page's seal picture draw nothing; the signature field draws it instead."""
    from pyhanko.pdf_utils import generic

    _, resources = writer.find_page_for_modification(page_index)
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None or "/" + name not in xobjects:  # LibreOffice puts pictures straight on the page
        raise FileFormatError("印章图片不在页面的资源中，无法改作签章外观。")
    empty = generic.StreamObject({
        generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
        generic.pdf_name("/BBox"): generic.ArrayObject([generic.NumberObject(0)] * 4),
    }, stream_data=b"")
    xobjects[generic.pdf_name("/" + name)] = writer.add_object(empty)
    writer.update_container(xobjects)


def sign_pdf(pdf: Path | str, signer, seal_png: Path | str, *, reason: str = "盖章") -> Path:
    """Sign ``pdf`` in place (PAdES B-B) with the seal picture as the visible signature."""
    from PIL import Image
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    pdf = Path(pdf)
    page_index, box, name = _seal_on_pages(pdf)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()))
    _take_off_page(writer, page_index, name)
    with Image.open(seal_png) as picture:
        style = StaticStampStyle(background=PdfImage(picture.convert("RGBA")), border_width=0)
        meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                            reason=reason, md_algorithm="sha256")
        spec = fields.SigFieldSpec(FIELD_NAME, on_page=page_index, box=box)
        out = io.BytesIO()
        signers.PdfSigner(meta, signer, stamp_style=style, new_field_spec=spec).sign_pdf(writer, output=out)
    # replaces the unsigned PDF made moments ago (no backup of it), in one step
    tmp = pdf.with_name(f".{pdf.name}.signing.tmp")
    try:
        tmp.write_bytes(out.getvalue())
        os.replace(tmp, pdf)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf


# --- verifying ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SignatureCheck:
    signed: bool          # the PDF carries at least one signature
    ok: bool              # every signature intact, and nothing changed after the last one
    message: str


def _subject(cert) -> tuple[str, bool]:
    names = cert.subject.native
    return names.get("common_name", "（未知）"), SPECIMEN_MARK in str(names.get("organizational_unit_name", ""))


def verify_pdf(pdf: Path | str) -> SignatureCheck:
    """Check every signature of ``pdf`` and that nothing was added or changed after signing."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    pdf = Path(pdf)
    try:
        with open(pdf, "rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            signatures = reader.embedded_signatures
            if not signatures:
                return SignatureCheck(False, False, "该 PDF 没有数字签名。")
            lines, ok = [], True
            for embedded in signatures:
                # no trust store on purpose: the result must not depend on the machine; identity is stated apart
                status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[], allow_fetching=False))
                signer, specimen = _subject(status.signing_cert)
                when = embedded.self_reported_timestamp
                when_text = when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "（未记录）"
                # strict on purpose: anything after a signature (even a second signature) fails
                whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
                if not (status.intact and status.valid):
                    ok = False
                    lines.append(f"签名无效：{signer} 于 {when_text} 签名后，文件内容已被改动。")
                elif not whole:
                    ok = False
                    lines.append(f"签名本身完好，但 {signer} 于 {when_text} 签名后文件又被追加或修改过。")
                else:
                    note = ("（样章证书，仅供演示，不能证明签名人身份）" if specimen
                            else "（本工具不核对证书机构，签名人身份请用证书机构的工具另行核实）")
                    lines.append(f"签名有效：{signer} 于 {when_text} 签名，签名后文件未改动{note}。")
    except Exception:  # noqa: BLE001 - any file pyHanko cannot take apart is one that cannot be verified
        return SignatureCheck(True, False, "文件已损坏或被改动，签名无法核验。")
    return SignatureCheck(True, ok, "\n".join(lines))
