"""Pagination to the end, bulk export, and the typed models."""

from __future__ import annotations

import surefoot
from surefoot.testing import Emulator

from conftest import FAST, PYAI_KEY, SPECALA_KEY


def test_typed_list_to_the_end(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    items = list(client.transcriptions.list(limit=100))
    assert len(items) == 250
    assert len({t.id for t in items}) == 250
    assert items[0].id == "tr_alpha_000249", "newest first"
    assert all(isinstance(t, surefoot.Transcription) for t in items)
    assert specala_emu.stats()["requests"]["GET /v1/transcriptions"] == {"200": 3}


def test_generic_paginate_to_the_end(specala_emu: Emulator) -> None:
    client = surefoot.Client(specala_emu.url, SPECALA_KEY, **FAST)
    ids = [item["id"] for item in client.paginate("/v1/transcriptions", limit=40)]
    assert len(ids) == 250 and len(set(ids)) == 250
    assert specala_emu.stats()["requests"]["GET /v1/transcriptions"] == {"200": 7}


def test_paginator_is_lazy(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    pages = client.transcriptions.list(limit=10)
    assert specala_emu.stats()["total_requests"] == 0
    first = next(pages)
    assert first.id == "tr_alpha_000249"
    assert iter(pages) is pages
    assert specala_emu.stats()["total_requests"] == 1


def test_bulk_export_of_250_ids(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    ids = [t.id for t in client.transcriptions.list(limit=100)]
    docs = client.transcriptions.bulk_export(ids, format="md")
    assert list(docs) == ids, "in the order of the ids"
    assert all(doc.startswith("# ") for doc in docs.values())
    assert specala_emu.stats()["requests"]["POST /v1/transcriptions/export"] == {"200": 3}
    assert client.transcriptions.bulk_export([]) == {}


def test_single_export_and_get(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    t = client.transcriptions.get("tr_alpha_000007")
    assert t.id == "tr_alpha_000007" and t.title and t.created_at
    txt = client.transcriptions.export(t.id, format="txt")
    assert isinstance(txt, str) and txt
    d = t.to_dict()
    assert {"id", "title", "language", "duration_seconds", "created_at", "text"} <= set(d)
    assert d["id"] == t.id and d["text"] == t.text
    assert repr(t).startswith("Transcription(id='tr_alpha_000007', ") and "title=" in repr(t)
    assert t == client.transcriptions.get("tr_alpha_000007")


def test_keys_create_list_revoke(specala_emu: Emulator) -> None:
    client = surefoot.Specala(SPECALA_KEY, base_url=specala_emu.url, **FAST)
    created = client.keys.create("ci")
    secret = created.key
    assert created.name == "ci" and secret
    assert secret not in repr(created)
    assert surefoot.mask_key(secret) in repr(created)
    assert created.id in {k.id for k in client.keys.list()}
    new_client = surefoot.Specala(secret, base_url=specala_emu.url, **FAST)
    assert next(new_client.transcriptions.list(limit=1)).id
    client.keys.revoke(created.id)
    assert created.id not in {k.id for k in client.keys.list()}
    try:
        next(new_client.transcriptions.list(limit=1))
        raise AssertionError("a revoked key still works")
    except surefoot.AuthenticationError as e:
        assert e.code == "unauthorized"


def test_pyai_jobs_list_newest_first(pyai_emu: Emulator) -> None:
    client = surefoot.PyAI(PYAI_KEY, base_url=pyai_emu.url, **FAST)
    created = [client.jobs.create(f"https://example.com/{i}.wav") for i in range(5)]
    listed = list(client.jobs.list(limit=2))
    assert [j.id for j in listed] == [j.id for j in reversed(created)]
    job = listed[0]
    assert job.status in {"queued", "running", "succeeded", "failed"}
    assert job.to_dict()["id"] == job.id
    assert repr(job).startswith("Job(id=")
