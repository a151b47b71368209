"""Provenance detector: every label kind, its strength, the timeline, and the shared data."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from typer.testing import CliRunner

from tests.conftest import encode
from trueclaim.forensics.case import Case, Item
from trueclaim.forensics.codes import AI_LABEL_CODES
from trueclaim.forensics.errors import InvalidParameter
from trueclaim.forensics.provenance import detect
from trueclaim.forensics.tc260 import decode_provider_code
from trueclaim.forensics.types import CaseContext, Finding, Severity

DOUBAO = "001191110102MACQD9K64010000"
TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"


def _run(data: bytes, context: CaseContext | None = None, **options: object) -> list[Finding]:
    case = Case(
        (Item(0, "evidence", data, analysis_max_side=1024),), (), context or CaseContext(), {}
    )
    return list(detect(case, options))


def _codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def _one(findings: list[Finding], code: str) -> Finding:
    matches = [f for f in findings if f.code == code]
    assert len(matches) == 1, [f.code for f in findings]
    return matches[0]


def _label_json(label: str = "1", producer: str = DOUBAO) -> str:
    return json.dumps(
        {
            "Label": label,
            "ContentProducer": producer,
            "ProduceID": "abc",
            "ReservedCode1": "",
            "ContentPropagator": "",
            "PropagateID": "",
            "ReservedCode2": "",
        }
    )


def _xmp(body: str, attrs: str = "") -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:T="{TC260_NS}" xmlns:I="{IPTC_EXT}" '
        f'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" {attrs}>{body}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def _png(
    rgb: np.ndarray,
    texts: dict[str, str] | None = None,
    xmp: bytes | None = None,
    exif: Image.Exif | None = None,
) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in (texts or {}).items():
        info.add_text(k, v)
    if xmp is not None:
        info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if exif is not None else {}
    Image.fromarray(rgb).save(buf, "PNG", pnginfo=info, **kwargs)
    return buf.getvalue()


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    ("label", "severity"),
    [("1", Severity.CRITICAL), ("2", Severity.HIGH), ("3", Severity.HIGH), ("AIGC", Severity.HIGH)],
)
def test_tc260_label_values(rgb: np.ndarray, label: str, severity: Severity) -> None:
    value = _label_json(label).replace('"', "&quot;")
    f = _one(_run(_png(rgb, xmp=_xmp(f"<T:AIGC>{value}</T:AIGC>"))), "tc260-aigc-label")
    assert f.severity is severity and f.data["label"] == label
    assert f.data["producer_code"] == DOUBAO
    assert f.data["producer"]["uscc"] == "91110102MACQD9K640"
    assert "Doubao" in f.message_en and "Doubao" in f.data["producer"]["product"]


def test_tc260_attribute_form_png_chunk_and_exif(rgb: np.ndarray) -> None:
    attr = 'T:AIGC="' + _label_json().replace('"', "&quot;") + '"'
    assert "tc260-aigc-label" in _codes(_run(_png(rgb, xmp=_xmp("", attrs=attr))))
    chunk = _run(_png(rgb, texts={"AIGC": _label_json(producer="picwish")}))
    f = _one(chunk, "tc260-aigc-label")
    assert f.data["producer"]["product"] == "PicWish" and f.data["location"] == "png:tEXt:AIGC"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = (
        b"ASCII\x00\x00\x00" + json.dumps({"AIGC": json.loads(_label_json())}).encode()
    )
    f = _one(_run(encode(rgb, "JPEG", exif=exif.tobytes())), "tc260-aigc-label")
    assert f.data["location"] == "exif:UserComment"


def test_tc260_prefix_does_not_matter(rgb: np.ndarray) -> None:
    xmp = (
        _xmp("")
        .replace(b'xmlns:T="', b'xmlns:zz="', 1)
        .replace(
            b"</rdf:Description>",
            (
                "<zz:AIGC>" + _label_json().replace('"', "&quot;") + "</zz:AIGC></rdf:Description>"
            ).encode(),
        )
    )
    assert "tc260-aigc-label" in _codes(_run(_png(rgb, xmp=xmp)))


def test_tc260_multiple_copies_are_nonconformant(rgb: np.ndarray) -> None:
    xmp = _xmp("<T:AIGC>" + _label_json().replace('"', "&quot;") + "</T:AIGC>")
    found = _run(_png(rgb, texts={"AIGC": _label_json(label="2")}, xmp=xmp))
    f = _one(found, "tc260-label-nonconformant")
    assert f.data["distinct"] == 2


def test_tc260_residue_and_generic_json_ignored(rgb: np.ndarray) -> None:
    found = _run(_png(rgb, xmp=_xmp("<T:AIGC>{broken json</T:AIGC>")))
    assert _codes(found) >= {"tc260-label-residue"} and "tc260-aigc-label" not in _codes(found)
    # JSON without a normative key, in a field not named AIGC: nothing
    assert (
        not _codes(_run(_png(rgb, texts={"Comment": '{"Label": "x", "other": 1}'})))
        & AI_LABEL_CODES
    )


def test_provider_code_decoding() -> None:
    jimeng = decode_provider_code("00119144030008867405X210001")
    assert jimeng["uscc"] == "9144030008867405X2" and jimeng["service_type"] == "generation"
    assert jimeng["uscc_check_ok"] is True and "Jimeng" in str(jimeng["product"])
    assert decode_provider_code("00119144030008867405X220001")["service_type"] == "distribution"
    assert decode_provider_code("001191110102MACQD9K64010001")["uscc_check_ok"] is True
    assert decode_provider_code("001191110102MACQD9K65010001")["uscc_check_ok"] is False
    assert decode_provider_code("doubao")["product"] is not None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("trainedAlgorithmicMedia", True),
        ("compositeWithTrainedAlgorithmicMedia", True),
        ("compositeSynthetic", True),
        ("algorithmicMedia", False),
        ("digitalCapture", False),
    ],
)
def test_iptc_digital_source_type(rgb: np.ndarray, code: str, expected: bool) -> None:
    uri = f"https://cv.iptc.org/newscodes/digitalsourcetype/{code}"
    found = _run(_png(rgb, xmp=_xmp(f"<I:DigitalSourceType>{uri}</I:DigitalSourceType>")))
    assert ("iptc-ai-source" in _codes(found)) is expected


def test_iptc_2025_fields_and_credit_lines(rgb: np.ndarray) -> None:
    f = _one(
        _run(_png(rgb, xmp=_xmp("<I:AISystemUsed>Imagen 3</I:AISystemUsed>"))), "iptc-ai-source"
    )
    assert f.data["field"] == "Iptc4xmpExt:AISystemUsed"
    for credit, vendor in (
        ("Apple Photos Clean Up", "Apple"),
        ("Edited with Google AI", "Google"),
        ("Made by Google AI", "Google"),
    ):
        xmp = _xmp(f"<photoshop:Credit>{credit}</photoshop:Credit>")
        f = _one(_run(_png(rgb, xmp=xmp)), "ai-edit-credit")
        assert vendor in f.data["vendor"] and f.severity is Severity.HIGH
    assert "ai-edit-credit" not in _codes(
        _run(_png(rgb, xmp=_xmp("<photoshop:Credit>Reuters</photoshop:Credit>")))
    )


@pytest.mark.parametrize(
    ("texts", "generator"),
    [
        (
            {
                "parameters": "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale"
                ": "
                "7"
            },
            "AUTOMATIC1111",
        ),
        ({"prompt": json.dumps({"3": {"class_type": "KSampler", "inputs": {}}})}, "ComfyUI"),
        ({"invokeai_metadata": "{}"}, "InvokeAI"),
        ({"Software": "NovelAI", "Title": "AI generated image"}, "NovelAI"),
        ({"Description": "a cat --v 6 Job ID: 2b6e053b-9a65-4ca9-9e13-b6f4465164d4"}, "Midjourney"),
        (
            {
                "parameters": '{"adm_guidance": "(1.5)", "base_model": "x"}',
                "fooocus_scheme": "fooocus",
            },
            "Fooocus",
        ),
    ],
)
def test_generator_png_chunks(rgb: np.ndarray, texts: dict[str, str], generator: str) -> None:
    f = _one(_run(_png(rgb, texts=texts)), "generator-metadata")
    assert generator in f.data["generator"] and f.severity is Severity.HIGH


def test_generator_exif_quirks(rgb: np.ndarray) -> None:
    comfy = Image.Exif()
    comfy[0x010F] = "workflow:" + json.dumps({"nodes": []})
    comfy[0x0110] = "prompt:" + json.dumps({"1": {"class_type": "X"}})
    assert (
        _one(_run(encode(rgb, "WEBP", exif=comfy.tobytes())), "generator-metadata").data[
            "generator"
        ]
        == "ComfyUI"
    )
    flux = Image.Exif()
    flux[0x010F], flux[0x0110], flux[0x0131] = (
        "Black Forest Labs",
        "flux-dev",
        "AI generated;txt2img;flux",
    )
    assert (
        "FLUX"
        in _one(_run(encode(rgb, "JPEG", exif=flux.tobytes())), "generator-metadata").data[
            "generator"
        ]
    )
    grok = Image.Exif()
    grok[0x010E] = "Signature: " + "A" * 120
    grok[0x013B] = "2b6e053b-9a65-4ca9-9e13-b6f4465164d4"
    assert (
        "Grok"
        in _one(_run(encode(rgb, "JPEG", exif=grok.tobytes())), "generator-metadata").data[
            "generator"
        ]
    )
    a1111 = Image.Exif()
    a1111.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "a cat\nSteps: 20, Sampler: Euler".encode(
        "utf-16-be"
    )
    assert (
        "AUTOMATIC1111"
        in _one(_run(encode(rgb, "JPEG", exif=a1111.tobytes())), "generator-metadata").data[
            "generator"
        ]
    )
    bytedance = Image.Exif()
    bytedance[0x010E] = json.dumps({"product": "dreamina", "exportType": "generation"})
    assert (
        "ByteDance"
        in _one(_run(encode(rgb, "JPEG", exif=bytedance.tobytes())), "generator-metadata").data[
            "generator"
        ]
    )
    plain = Image.Exif()
    plain[0x010E] = json.dumps({"product": "lv"})
    assert "generator-metadata" not in _codes(_run(encode(rgb, "JPEG", exif=plain.tobytes())))


def test_samsung_trailer(rgb: np.ndarray) -> None:
    trailer = (
        b'\x00\x00PEg_Info{"genImageVersion":"v1","connectorType":"srvg","genAIType":8}SEFHxxxxSEFT'
    )
    f = _one(_run(_png(rgb) + trailer), "generator-metadata")
    assert f.data["generator"] == "Samsung Galaxy AI"
    assert "generator-metadata" not in _codes(_run(_png(rgb) + trailer.replace(b":8}", b":0}")))


def test_screenshot_and_editing_software(rgb: np.ndarray) -> None:
    shot = Image.Exif()
    shot.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00Screenshot"
    assert (
        _one(_run(encode(rgb, "JPEG", exif=shot.tobytes())), "screenshot-metadata").severity
        is Severity.MEDIUM
    )
    edit = Image.Exif()
    edit[0x0131] = "Adobe Photoshop 25.0 (Windows)"
    found = _run(encode(rgb, "JPEG", exif=edit.tobytes()))
    assert _one(found, "editing-software").severity is Severity.LOW
    assert not _codes(found) & AI_LABEL_CODES  # an editor is not an AI label


def _camera_exif(taken: str, offset: str | None = None, *, exposure: bool = True) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 15"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = taken
    if offset:
        sub[0x9011] = offset
    if exposure:
        sub[0x829A] = 0.008
        sub[0x8827] = 100
    return exif


def test_camera_origin_is_info_only(photo: np.ndarray) -> None:
    found = _run(
        encode(photo, "JPEG", exif=_camera_exif("2025:11:10 10:00:00", "+08:00").tobytes())
    )
    f = _one(found, "camera-origin")
    assert f.severity is Severity.INFO and 0 < f.score <= 1
    assert f.data["make"] == "Apple"
    assert all(x.score >= 0 for x in found)


DELIVERED = datetime(2025, 11, 12, 10, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(
    ("taken", "offset", "context", "code"),
    [
        (
            "2025:11:11 09:00:00",
            "+08:00",
            CaseContext(delivered_at=DELIVERED),
            "captured-before-delivery",
        ),
        ("2025:11:12 11:00:00", "+08:00", CaseContext(delivered_at=DELIVERED), None),
        # naive time: one hour before delivery is inside the ±14 h tolerance
        ("2025:11:12 09:00:00", None, CaseContext(delivered_at=DELIVERED), None),
        (
            "2025:11:10 09:00:00",
            None,
            CaseContext(delivered_at=DELIVERED),
            "captured-before-delivery",
        ),
        (
            "2025:11:01 09:00:00",
            "+08:00",
            CaseContext(shipped_at=DELIVERED - timedelta(days=3), delivered_at=DELIVERED),
            "captured-before-shipping",
        ),
        ("2025:11:01 09:00:00", "+08:00", CaseContext(), None),
    ],
)
def test_capture_time_against_timeline(
    photo: np.ndarray, taken: str, offset: str | None, context: CaseContext, code: str | None
) -> None:
    found = _run(encode(photo, "JPEG", exif=_camera_exif(taken, offset).tobytes()), context)
    timeline = {f.code for f in found} & {"captured-before-delivery", "captured-before-shipping"}
    assert timeline == ({code} if code else set())
    if code:
        f = _one(found, code)
        assert f.severity is Severity.HIGH and f.data["aware"] is (offset is not None)
        if offset is None:
            assert "14" in f.message_en and f.data["tolerance_s"] == 14 * 3600


def test_no_timestamp_is_neutral(photo: np.ndarray) -> None:
    found = _run(encode(photo, "JPEG"), CaseContext(delivered_at=DELIVERED))
    assert {f.code for f in found} <= {"metadata-absent"}
    assert all(f.severity is Severity.INFO for f in found)


def test_metadata_inconsistencies(photo: np.ndarray) -> None:
    exif = _camera_exif("2025:11:10 10:00:00", "+08:00")
    exif.get_ifd(0x8769)[0xA002] = 4032
    exif.get_ifd(0x8769)[0xA003] = 3024
    f = _one(_run(encode(photo, "JPEG", exif=exif.tobytes())), "metadata-inconsistent")
    assert "pixel-dimension-mismatch" in f.data["reasons"]
    bare = _camera_exif("2025:11:10 10:00:00", exposure=False)
    f = _one(_run(encode(photo, "JPEG", exif=bare.tobytes())), "metadata-inconsistent")
    assert "camera-without-exposure" in f.data["reasons"]


def test_c2pa_strength_and_ai_signer(rgb: np.ndarray) -> None:
    from trueclaim.forensics.c2pa_reader import C2paAction, C2paInfo, C2paManifest
    from trueclaim.forensics.metadata import Metadata
    from trueclaim.forensics.provenance_labels import c2pa_findings

    def store(generator: str, dst: str, codes: tuple[str, ...] = ()) -> Metadata:
        action = C2paAction("c2pa.created", dst, "", "")
        manifest = C2paManifest("urn:1", True, generator, "Signer Inc.", "", (action,), ())
        return Metadata(c2pa=C2paInfo("Invalid" if codes else "Valid", codes, (manifest,)))

    item = Item(0, "evidence", _png(rgb), analysis_max_side=256)
    intact = c2pa_findings(store("Tool", "trainedAlgorithmicMedia"), item, 1)
    assert _one(intact, "c2pa-ai-generated").severity is Severity.CRITICAL
    broken = c2pa_findings(
        store("Tool", "trainedAlgorithmicMedia", ("assertion.dataHash.mismatch",)), item, 1
    )
    assert _one(broken, "c2pa-ai-generated").severity is Severity.HIGH
    assert "c2pa-manifest-invalid" in _codes(broken)
    expired = c2pa_findings(
        store("Tool", "trainedAlgorithmicMedia", ("signingCredential.expired",)), item, 1
    )
    assert _one(expired, "c2pa-ai-generated").severity is Severity.CRITICAL  # signer only
    dreamina = c2pa_findings(store("Dreamina/1.0", ""), item, 1)
    assert _one(dreamina, "c2pa-ai-signer").data["token"] == "dreamina"
    camera = c2pa_findings(store("Dreamina/1.0", "digitalCapture"), item, 1)
    assert "c2pa-ai-signer" not in _codes(camera)  # a stated source type wins over names
    assert _codes(c2pa_findings(store("Adobe Photoshop 25", ""), item, 1)) == {
        "c2pa-manifest-present"
    }


def test_unknown_option_rejected(rgb: np.ndarray) -> None:
    with pytest.raises(InvalidParameter, match="Unknown provenance option"):
        _run(_png(rgb), bogus=1)


def test_findings_have_messages_and_no_negative_scores(rgb: np.ndarray) -> None:
    found = _run(
        _png(rgb, texts={"AIGC": _label_json()}, xmp=_xmp("<I:AISystemUsed>x</I:AISystemUsed>"))
    )
    assert found
    for f in found:
        assert f.message_en and f.message_zh and 0.0 <= f.score <= 1.0 and f.evidence_index == 0


# --- the shared development data ---------------------------------------------------------

EXPECTED = {  # file under ai/ -> label codes it must produce (verified by hand, docs/labels.md)
    "generators/chatgpt-1.png": {"c2pa-ai-generated"},
    "generators/flux-1.jpg": {"c2pa-ai-generated"},
    "generators/samsung_black_1.png": {"c2pa-ai-edited", "generator-metadata"},
    "generators/doubao_black_1x1_1.png": {"tc260-aigc-label"},
    "generators/jimeng_cap_A.png": {"tc260-aigc-label"},
    "generators/mj-1.png": {"iptc-ai-source", "generator-metadata"},
    "generator-chunks/automatic1111_cropped.jpg": {"generator-metadata"},
    "generator-chunks/automatic1111_cropped.png": {"generator-metadata"},
    "generator-chunks/fooocus1_cropped.png": {"generator-metadata"},
    "generator-chunks/img2img_cropped.png": {"generator-metadata"},
    "generator-chunks/invokeai_dream1.png": {"generator-metadata"},
    "generator-chunks/invokeai_imeta1.png": {"generator-metadata"},
    "generator-chunks/invokeai_sdmeta1.png": {"generator-metadata"},
    "generator-chunks/night_evening_day_morning_cropped.png": {"generator-metadata"},
    "generator-chunks/noisy_latents_3_subjects_cropped.png": {"generator-metadata"},
    "generator-chunks/novelai1_cropped.png": {"generator-metadata"},
    "generator-chunks/unclip_2pass_cropped.png": {"generator-metadata"},
    # C2PA fixtures: manifests without any AI digitalSourceType (C2PA presence != AI)
    "c2pa-fixtures/C.jpg": {"c2pa-manifest-present"},
    "c2pa-fixtures/files-for-reading-tests/CA.jpg": {"c2pa-manifest-present"},
    "c2pa-fixtures/files-for-reading-tests/XCA.jpg": {"c2pa-manifest-invalid"},
    "c2pa-fixtures/files-for-reading-tests/E-sig-CA.jpg": {"c2pa-manifest-invalid"},
    "c2pa-fixtures/files-for-reading-tests/CIE-sig-CA.jpg": {"c2pa-manifest-invalid"},
    "c2pa-fixtures/cloud.jpg": {"c2pa-manifest-unreadable"},
}
GENERATORS = {
    "generators/mj-1.png": "Midjourney",
    "generators/samsung_black_1.png": "Samsung Galaxy AI",
    "generator-chunks/fooocus1_cropped.png": "Fooocus",
    "generator-chunks/novelai1_cropped.png": "NovelAI",
    "generator-chunks/invokeai_dream1.png": "InvokeAI",
    "generator-chunks/img2img_cropped.png": "ComfyUI",
}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_labelled_ai_files(shared_data: Path, name: str) -> None:
    found = _run((shared_data / "ai" / name).read_bytes())
    assert EXPECTED[name] <= _codes(found), (name, [(f.code, f.data) for f in found])
    if name in GENERATORS:
        assert GENERATORS[name] in _one(found, "generator-metadata").data["generator"]
    if "c2pa-fixtures" in name:  # none of these fixtures asserts an AI source type
        assert not _codes(found) & AI_LABEL_CODES


@pytest.mark.shared_data
def test_tc260_producers_in_shared_data(shared_data: Path) -> None:
    doubao = _one(
        _run((shared_data / "ai/generators/doubao_black_1x1_1.png").read_bytes()),
        "tc260-aigc-label",
    )
    assert doubao.data["producer_code"] == DOUBAO and doubao.severity is Severity.CRITICAL
    jimeng = _one(
        _run((shared_data / "ai/generators/jimeng_cap_A.png").read_bytes()), "tc260-aigc-label"
    )
    assert "Jimeng" in jimeng.data["producer"]["product"]
    assert jimeng.data["propagator"]["service_type"] == "distribution"


@pytest.mark.shared_data
def test_every_comfyui_example_with_chunks_is_flagged(shared_data: Path) -> None:
    for path in sorted((shared_data / "ai/comfyui").glob("*.png")):
        data = path.read_bytes()
        has_chunks = b"tEXtprompt" in data or b"tEXtworkflow" in data
        assert ("generator-metadata" in _codes(_run(data))) is has_chunks, path.name


@pytest.mark.shared_data
def test_camera_files_have_no_ai_labels(shared_data: Path) -> None:
    for path in sorted((shared_data / "camera").rglob("*")):
        if path.is_file():
            found = _run(path.read_bytes())
            assert not _codes(found) & AI_LABEL_CODES, (path, [(f.code, f.data) for f in found])


@pytest.mark.shared_data
def test_cli_names_tc260_label_and_producer(shared_data: Path) -> None:
    from trueclaim.cli.main import app

    result = CliRunner().invoke(
        app, ["check", str(shared_data / "ai/generators/doubao_black_1x1_1.png"), "--no-ocr"]
    )
    assert result.exit_code in (10, 20), result.output
    assert "TC260" in result.output and DOUBAO in result.output
    assert "Doubao" in result.output


def test_a_file_that_is_no_image_is_not_said_to_have_lost_its_metadata(photo: np.ndarray) -> None:
    assert "metadata-absent" not in _codes(_run(b"a text file, not a photo"))
    assert "metadata-absent" in _codes(_run(encode(photo, "PNG")))  # an image without any
