"""The public reporting form (/report/): the receipt once, and every refusal storing nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from carecircle.tips import pow, receipts
from carecircle.tips.models import Category, Channel, ThrottleHit, Tip, TipAttachment
from carecircle.tips.services import find_by_receipt

pytestmark = pytest.mark.django_db

FORM = reverse("tips-public:form")
TOWNSHIP_A = "431103101000"
VILLAGE_A = "431103101200"
VILLAGE_B = "431103102200"


def solved() -> dict[str, str]:
    challenge = pow.new_challenge()
    return {"challenge": challenge, "nonce": pow.solve(challenge, pow.required_bits())}


def report_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": Category.NEGLECT,
        "township": TOWNSHIP_A,
        "village": VILLAGE_A,
        "description": "邻居家的孩子经常一个人在门口坐到很晚。",
        "occurred_text": "最近一个月",
        "reporter_relation": "邻居",
        **solved(),
    }
    data.update(fields)
    return data


def jpeg(name: str = "photo.jpg", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def receipt_in(response: Any) -> str:
    html = response.content.decode()
    start = html.index('id="cc-receipt">') + len('id="cc-receipt">')
    return html[start : html.index("<", start)].strip()


def test_it_shows_the_form_with_the_help_lines_and_no_staff_navigation(client, district, english):
    response = client.get(FORM)
    assert response.status_code == 200
    html = response.content.decode()
    for number in ("110", "120", "12356", "12355"):
        assert f'href="tel:{number}"' in html
    assert "does not store your IP address" in html
    assert "This form needs JavaScript" in html and "12345" in html
    assert "Sign out" not in html and "navbar" not in html
    # The eight categories as radio cards, the county's townships and villages.
    assert html.count('type="radio" name="category"') == len(Category.choices)
    assert 'value="431103101000"' in html and "花桥街镇" in html and "石门村" in html
    assert 'name="challenge"' in html and 'data-bits="4"' in html
    assert "no-store" in response["Cache-Control"]


def test_a_report_is_received_and_its_receipt_shown_once(client, district, english):
    response = client.post(FORM, report_data(files=[jpeg()]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = receipt_in(response)
    assert len(code.replace(" ", "")) == 16
    tip = Tip.objects.get()
    assert (tip.channel, tip.category, tip.area_code) == (Channel.WEB, Category.NEGLECT, VILLAGE_A)
    assert tip.anonymous and tip.reporter_name == "" and tip.reporter_relation == "邻居"
    assert tip.occurred_text == "最近一个月"
    assert find_by_receipt(code) == tip
    assert tip.receipt_digest == receipts.digest(code.replace(" ", ""))
    assert TipAttachment.objects.filter(tip=tip, kind="image").count() == 1
    assert "Write this code down" in response.content.decode()
    assert reverse("tips-public:status") in response.content.decode()


def test_a_report_may_stop_at_the_township_and_name_its_reporter(client, district):
    data = report_data(village="", reporter_name="王女士", reporter_contact="13800000000", files=[])
    assert client.post(FORM, data).status_code == 200
    tip = Tip.objects.get()
    assert tip.area_code == TOWNSHIP_A
    assert not tip.anonymous
    assert (tip.reporter_name, tip.reporter_contact) == ("王女士", "13800000000")


def test_an_anonymous_report_keeps_no_name_even_if_typed(client, district):
    data = report_data(anonymous="on", reporter_name="王女士", reporter_contact="138")
    client.post(FORM, data)
    tip = Tip.objects.get()
    assert tip.anonymous and tip.reporter_name == "" and tip.reporter_contact == ""


def test_the_same_form_sent_twice_is_one_report(client, district, english):
    data = report_data()
    first = client.post(FORM, data)
    again = client.post(FORM, data)
    assert first.status_code == again.status_code == 200
    assert Tip.objects.count() == 1
    html = again.content.decode()
    assert "already received" in html and 'id="cc-receipt"' not in html
    assert sorted(ThrottleHit.objects.values_list("count", flat=True)) == [1, 1]


def test_a_filled_honeypot_is_refused_and_stores_nothing(client, district, english):
    response = client.post(FORM, report_data(website="http://spam.example"))
    assert response.status_code == 400
    assert "cannot be accepted" in response.content.decode()
    assert not Tip.objects.exists() and not ThrottleHit.objects.exists()


@pytest.mark.parametrize("proof", [{"challenge": "", "nonce": ""}, {"nonce": ""}])
def test_a_report_sent_without_the_script_is_refused_briefly(client, district, english, proof):
    # No nonce: no script ran (a bot, or JavaScript off). The short refusal keeps a
    # flood cheap; it says what to do instead.
    response = client.post(FORM, report_data(**proof))
    assert response.status_code == 400
    html = response.content.decode()
    assert "needs JavaScript" in html and "12345" in html
    assert not Tip.objects.exists() and not ThrottleHit.objects.exists()


@pytest.mark.parametrize(
    "proof", [{"nonce": "not-a-number"}, {"challenge": "forged:challenge:value"}]
)
def test_a_missing_or_invalid_proof_asks_to_reload(client, district, english, proof):
    data = report_data(**proof)
    response = client.post(FORM, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Reload the page" in html
    assert data["description"] in html  # what was typed is kept
    assert not Tip.objects.exists() and not ThrottleHit.objects.exists()


def test_a_nonce_that_does_not_do_the_work_is_refused(client, district, settings):
    settings.CARECIRCLE_TIP_POW_BITS = 12
    challenge = pow.new_challenge()
    good = pow.solve(challenge, 12)
    bad = next(str(n) for n in range(1000) if pow._work(challenge, str(n)) < 12 and str(n) != good)
    response = client.post(FORM, report_data(challenge=challenge, nonce=bad))
    assert response.status_code == 400
    assert not Tip.objects.exists()


def test_an_invalid_form_answers_400_and_keeps_the_proof(client, district, english):
    data = report_data(description="", category="nonsense", village=VILLAGE_B)
    response = client.post(FORM, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please check the fields marked below" in html
    assert "Choose a village of the township chosen" in html or "valid choice" in html
    assert f'value="{data["nonce"]}"' in html
    assert not Tip.objects.exists() and not ThrottleHit.objects.exists()


def test_a_village_outside_the_township_is_refused(client, district, english):
    response = client.post(FORM, report_data(village=VILLAGE_B))
    assert response.status_code == 400
    assert "Choose a village of the township chosen" in response.content.decode()
    assert not Tip.objects.exists()


def test_a_date_in_the_future_is_refused(client, district, english):
    response = client.post(FORM, report_data(occurred_on="2999-01-01"))
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()


def test_a_bad_file_stores_nothing(client, district, english):
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    response = client.post(FORM, report_data(files=[jpeg(), exe]))
    assert response.status_code == 400
    assert "Only images or short videos can be uploaded." in response.content.decode()
    assert not Tip.objects.exists() and not TipAttachment.objects.exists()
    assert not ThrottleHit.objects.exists()


def test_too_many_files_are_refused(client, district, english, settings):
    settings.CARECIRCLE_TIP_MAX_FILES = 2
    response = client.post(FORM, report_data(files=[jpeg("a.jpg"), jpeg("b.jpg"), jpeg("c.jpg")]))
    assert response.status_code == 400
    assert "At most 2 files" in response.content.decode()
    assert not Tip.objects.exists()


def test_an_oversize_file_is_refused_clearly(client, district, english, settings):
    settings.CARECIRCLE_TIP_IMAGE_MAX_BYTES = 2000
    settings.CARECIRCLE_TIP_VIDEO_MAX_BYTES = 3000
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * 5000)
    response = client.post(FORM, report_data(files=[big]))
    assert response.status_code == 400
    assert "big.jpg is too large" in response.content.decode()
    assert not Tip.objects.exists()


def test_an_oversize_request_is_refused_unread(client, district, english, settings):
    settings.CARECIRCLE_TIP_MAX_FILES = 1
    settings.CARECIRCLE_TIP_IMAGE_MAX_BYTES = 1000
    settings.CARECIRCLE_TIP_VIDEO_MAX_BYTES = 1000
    response = client.post(FORM, report_data(), CONTENT_LENGTH=str(3 * 1024 * 1024))
    assert response.status_code == 413
    assert "too large to send" in response.content.decode()
    assert not Tip.objects.exists()


def test_the_eleventh_report_in_an_hour_gets_429_and_writes_nothing(client, district, english):
    for _ in range(10):
        assert client.post(FORM, report_data()).status_code == 200
    before = list(ThrottleHit.objects.values_list("key", "count"))
    response = client.post(FORM, report_data())
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many reports" in html and "12345" in html and 'href="tel:110"' in html
    assert Tip.objects.count() == 10
    assert list(ThrottleHit.objects.values_list("key", "count")) == before
    # Another client is not held back by this one.
    other = client.post(FORM, report_data(), REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 200


def test_the_global_cap_holds_for_everyone(client, district, settings):
    settings.CARECIRCLE_TIP_REPORTS_PER_HOUR_ALL = 2
    for n in range(2):
        assert client.post(FORM, report_data(), REMOTE_ADDR=f"198.51.100.{n}").status_code == 200
    assert client.post(FORM, report_data(), REMOTE_ADDR="198.51.100.7").status_code == 429
    assert Tip.objects.count() == 2


def test_everyone_signed_in_or_not_gets_the_same_page(client_for, personas, english):
    anonymous = Client().get(FORM)
    staff = client_for(personas["center_staff"]).get(FORM)
    assert anonymous.status_code == staff.status_code == 200
    assert "Sign out" not in staff.content.decode()
    assert client_for(personas["center_staff"]).post(FORM, report_data()).status_code == 200
    assert Tip.objects.get().entered_by is None


def test_other_methods_are_refused(client, district):
    assert client.put(FORM).status_code == 405
    assert client.delete(FORM).status_code == 405
    assert client.post(reverse("tips-public:challenge")).status_code == 405


def test_the_challenge_endpoint_gives_a_fresh_challenge(client, district):
    response = client.get(reverse("tips-public:challenge"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert data["bits"] == pow.required_bits()
    assert pow.verify(data["challenge"], pow.solve(data["challenge"], data["bits"])) is not None


def test_script_in_a_refused_form_is_shown_escaped(client, district):
    data = report_data(description="<script>alert(1)</script>", village=VILLAGE_B)
    html = client.post(FORM, data).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_reporter_unsure_of_the_township_reports_for_the_county(client, district, english):
    html = client.get(FORM).content.decode()
    assert '<optgroup label="冷水滩区">' in html and '<optgroup label="零陵区">' in html
    assert html.count("Not sure which township") == 2
    data = report_data(township="431103000000", village="")
    assert client.post(FORM, data).status_code == 200
    assert Tip.objects.get().area_code == "431103000000"
    # A village of another county is refused.
    refused = client.post(FORM, report_data(township="431103000000", village="431102001001"))
    assert refused.status_code == 400
    assert "Choose a village of the township chosen" in refused.content.decode()
