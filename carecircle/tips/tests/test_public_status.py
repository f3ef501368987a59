"""The reporter's status page: the code typed (never in a URL), plain words, additions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from carecircle.tips import receipts
from carecircle.tips.models import Outcome, Status, ThrottleHit, Tip, TipAttachment, TipEvent
from carecircle.tips.services import event
from carecircle.tips.tests.factories import received
from carecircle.tips.tests.test_public_report import jpeg

pytestmark = pytest.mark.django_db

STATUS = reverse("tips-public:status")
ADD = reverse("tips-public:add")


@pytest.fixture
def reported(district):
    made = received()
    return made.tip, made.receipt


def test_it_asks_for_the_code(client, district, english):
    response = client.get(STATUS)
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()
    assert 'method="post"' in response.content.decode()


def test_the_right_code_shows_the_status_and_public_history(client, reported, english):
    tip, code = reported
    event(tip, TipEvent.Kind.NOTE, text="内部备注：张老师负责", public=False)
    response = client.post(STATUS, {"code": receipts.display(code)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="received"' in html
    assert "waiting to be read" in html
    assert "Your report was received." in html
    assert "内部备注" not in html and "张老师" not in html
    assert f'value="{code}"' in html  # carried in the add form's hidden field
    assert not ThrottleHit.objects.exists()


def test_a_closed_report_shows_its_outcome(client, reported, english):
    tip, code = reported
    Tip.objects.filter(pk=tip.pk).update(
        status=Status.CLOSED, outcome=Outcome.UNFOUNDED, closed_at=timezone.now()
    )
    html = client.post(STATUS, {"code": code}).content.decode()
    assert 'data-status="closed"' in html
    assert "Checked: no harm found" in html


def test_a_malformed_code_says_16_digits_and_is_not_counted(client, district, english):
    response = client.post(STATUS, {"code": "1234"})
    assert response.status_code == 400
    assert "A receipt code has 16 digits." in response.content.decode()
    assert not ThrottleHit.objects.exists()


def test_a_wrong_code_is_not_found_and_counted(client, reported, english):
    response = client.post(STATUS, {"code": "0000 0000 0000 0000"})
    assert response.status_code == 404
    assert "No report was found with this code" in response.content.decode()
    assert ThrottleHit.objects.get().count == 1
    assert "0000" not in ThrottleHit.objects.get().key


def test_five_wrong_codes_block_lookups_for_a_while(client, reported, english):
    _tip, code = reported
    for n in range(5):
        assert client.post(STATUS, {"code": f"{n:016d}"}).status_code == 404
    before = list(ThrottleHit.objects.values_list("key", "count"))
    blocked = client.post(STATUS, {"code": code})
    assert blocked.status_code == 429
    assert "Too many wrong receipt codes" in blocked.content.decode()
    assert "12345" in blocked.content.decode()
    assert list(ThrottleHit.objects.values_list("key", "count")) == before
    assert client.post(ADD, {"code": code, "text": "more"}).status_code == 429
    # Another client still can.
    assert client.post(STATUS, {"code": code}, REMOTE_ADDR="198.51.100.3").status_code == 200


def test_the_reporter_adds_information_and_files(client, reported, english):
    tip, code = reported
    response = client.post(ADD, {"code": code, "text": "孩子今天又被打了", "files": [jpeg()]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "your information was added" in html
    assert "孩子今天又被打了" in html and "You added information." in html
    added = TipEvent.objects.get(tip=tip, kind=TipEvent.Kind.REPORTER_ADDED)
    assert added.text == "孩子今天又被打了" and added.public
    assert TipAttachment.objects.filter(tip=tip).count() == 1


def test_script_in_the_reporters_text_is_shown_escaped(client, reported):
    _tip, code = reported
    html = client.post(ADD, {"code": code, "text": "<script>alert('x')</script><b>hi</b>"})
    text = html.content.decode()
    assert "<script>alert" not in text and "<b>hi</b>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;hi&lt;/b&gt;" in text


def test_an_addition_with_a_wrong_code_is_refused_and_counted(client, reported, english):
    response = client.post(ADD, {"code": "1111222233334444", "text": "hello"})
    assert response.status_code == 404
    assert ThrottleHit.objects.get().count == 1
    assert not TipEvent.objects.filter(kind=TipEvent.Kind.REPORTER_ADDED).exists()


def test_an_addition_with_a_bad_file_stores_nothing(client, reported, english):
    _tip, code = reported
    page = SimpleUploadedFile(
        "x.jpg", b"<html><script>x</script></html>", content_type="image/jpeg"
    )
    response = client.post(ADD, {"code": code, "text": "看附件", "files": [page]})
    assert response.status_code == 400
    assert "Only images or short videos can be uploaded." in response.content.decode()
    assert not TipEvent.objects.filter(kind=TipEvent.Kind.REPORTER_ADDED).exists()
    assert not TipAttachment.objects.exists()


def test_an_empty_addition_is_refused(client, reported, english):
    _tip, code = reported
    response = client.post(ADD, {"code": code, "text": ""})
    assert response.status_code == 400
    assert 'data-status="received"' in response.content.decode()
    assert not TipEvent.objects.filter(kind=TipEvent.Kind.REPORTER_ADDED).exists()


def test_additions_count_toward_the_hourly_limit(client, reported, settings):
    settings.CARECIRCLE_TIP_REPORTS_PER_HOUR = 1
    _tip, code = reported
    assert client.post(ADD, {"code": code, "text": "第一次补充"}).status_code == 200
    assert client.post(ADD, {"code": code, "text": "第二次补充"}).status_code == 429
    assert TipEvent.objects.filter(kind=TipEvent.Kind.REPORTER_ADDED).count() == 1


def test_wrong_methods_are_refused(client, district):
    assert client.get(ADD).status_code == 405
    assert client.put(STATUS).status_code == 405


def test_files_added_to_one_report_are_capped_per_hour(client, reported, settings, english):
    settings.CARECIRCLE_TIP_FILES_PER_REPORT_HOUR = 2
    tip, code = reported
    ok = client.post(ADD, {"code": code, "text": "照片", "files": [jpeg("a.jpg"), jpeg("b.jpg")]})
    assert ok.status_code == 200
    again = client.post(ADD, {"code": code, "text": "更多照片", "files": [jpeg("c.jpg")]})
    assert again.status_code == 429
    assert "Too many files were added" in again.content.decode()
    assert TipAttachment.objects.filter(tip=tip).count() == 2
    assert TipEvent.objects.filter(kind=TipEvent.Kind.REPORTER_ADDED).count() == 1
