"""Exports are generated for the requesting user only and downloaded through a short-lived link
bound to that user: anyone else, or anyone after expiry, gets a 404; each download is audited."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from jiceng.core import crypto
from jiceng.core.api_tokens import api_token_create
from jiceng.core.exports import export_purge_expired
from jiceng.core.models import AuditLog, ExportFile

pytestmark = pytest.mark.django_db


def token_client(user) -> Client:
    _, token = api_token_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def names(response) -> list:
    wb = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [r[0] for r in list(wb.worksheets[0].iter_rows(values_only=True))[1:]]


def test_a_page_export_redirects_to_a_link_only_its_maker_can_open(county, login):
    alice = login(county.alice)
    made = alice.get("/transfer/export/grids/")
    assert made.status_code == 302
    link = made["Location"]
    assert link.startswith("/exports/")
    export = ExportFile.objects.get()
    assert export.user_id == county.alice.pk and export.rows == 3
    assert sorted(names(alice.get(link))) == ["A1", "A1-1", "A1-2"]
    # Another user in the same community, a county officer who could export more, and no login: 404.
    assert login(county.carol).get(link).status_code == 404
    assert login(county.county_staff).get(link).status_code == 404
    anonymous = Client().get(link)
    assert anonymous.status_code in (302, 404) and not anonymous.content.startswith(b"PK")


def test_the_file_is_encrypted_at_rest(county, login):
    login(county.alice).get("/transfer/export/grids/")
    export = ExportFile.objects.get()
    stored = bytes(export.content)
    assert not stored.startswith(b"PK") and b"A1-1" not in stored
    plain = crypto.decrypt_bytes(export.cipher, export.key_id, stored)
    assert plain.startswith(b"PK")


def test_the_link_expires(county, login, time_machine, settings):
    settings.JICENG_EXPORT_LINK_SECONDS = 600
    time_machine.move_to(timezone.now(), tick=False)
    alice = login(county.alice)
    link = alice.get("/transfer/export/grids/")["Location"]
    time_machine.shift(timedelta(seconds=599))
    assert alice.get(link).status_code == 200
    time_machine.shift(timedelta(seconds=2))
    assert alice.get(link).status_code == 404
    assert export_purge_expired() == 1
    assert not ExportFile.objects.exists()


def test_every_export_and_download_is_audited_with_its_row_count(county, login):
    alice = login(county.alice)
    link = alice.get("/transfer/export/grids/")["Location"]
    alice.get(link)
    alice.get(link)
    made = AuditLog.objects.get(action="export.grids")
    assert made.changes["rows"] == 3 and made.actor_id == county.alice.pk
    downloads = AuditLog.objects.filter(action="export.download")
    assert downloads.count() == 2
    assert {d.changes["rows"] for d in downloads} == {3}
    assert {d.changes["file"] for d in downloads} == {made.changes["file"]}
    login(county.carol).get(link)
    assert AuditLog.objects.filter(action="export.download").count() == 2  # a refused link is no download


def test_api_exports_answer_a_link_bound_to_the_token_user(county):
    alice = token_client(county.alice)
    made = alice.get("/api/regions/export/grids")
    assert made.status_code == 200
    body = made.json()
    assert body["rows"] == 3 and body["url"] == f"/api/exports/{body['id']}" and body["filename"].endswith(".xlsx")
    download = alice.get(body["url"])
    assert download.status_code == 200 and sorted(names(download)) == ["A1", "A1-1", "A1-2"]
    assert download["Cache-Control"] == "no-store"
    other = token_client(county.county_staff).get(body["url"])
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert Client().get(body["url"]).status_code == 401
    assert alice.get("/api/exports/00000000-0000-0000-0000-000000000000").status_code == 404


def test_an_expired_file_is_deleted_when_the_next_export_is_made(county, login, time_machine, settings):
    settings.JICENG_EXPORT_LINK_SECONDS = 60
    time_machine.move_to(timezone.now(), tick=False)
    alice = login(county.alice)
    alice.get("/transfer/export/grids/")
    time_machine.shift(timedelta(seconds=61))
    alice.get("/transfer/export/grids/")
    assert ExportFile.objects.count() == 1
