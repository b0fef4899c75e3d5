"""Offline testing: the emulator of Specala and PyAI, in-process.

``Emulator(api="pyai", **config)`` starts surefoot's Rust emulator on loopback (a free port
by default) with the APIs' documented keys, limits and error shapes, and stops it on
``close()`` or when the ``with`` block ends::

    from surefoot import PyAI
    from surefoot.testing import Emulator

    with Emulator(api="pyai") as emu:
        client = PyAI("pyai_sk_full_0001", base_url=emu.url)
        emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
        job = client.jobs.create("https://example.com/a.wav")   # retried, created once
        assert emu.stats()["jobs_created"] == 1

Configuration keywords: ``port``, ``host``, ``rate_limit`` (PyAI: ``"50/s"`` or requests
per second; ``None`` disables it) with ``burst``, ``data_limit`` / ``management_limit``
(Specala: ``"500/min"``; ``None`` disables), ``no_rate_limits``, ``realtime_concurrency``,
``concurrency_retry_after``, ``retry_after_on_429``, ``transcriptions_per_workspace``,
``job_timeline`` (``(queued, running)`` seconds), ``latency``, ``window_kind``
(``"sliding"`` / ``"fixed"``), ``record_accepted``, ``minimal`` (answer in the minimal
form: only ids sure, Specala items ``id`` and ``title``, PyAI list items ``id`` and
``status``, Unix-second ``created_at``, unknown members, no ``next_cursor`` on the last
page).

Default keys — Specala: ``spk_alpha_pro_0001``, ``spk_beta_pro_0002`` (another
workspace), ``spk_alpha_free_0003`` (no API access). PyAI: ``pyai_sk_full_0001``,
``pyai_sk_readonly_0002``, ``pyai_pk_web_0003`` (publishable, origin-bound, 100/day),
``pyai_sk_sandbox_0004`` (20/day), ``pyai_sk_budget_0005`` (3 jobs), ``pyai_sk_broke_0006``
(no credit), ``pyai_sk_quota_0007`` (quota used up). ``Emulator.keys`` lists them.
"""

from surefoot._native import Emulator

__all__ = ["Emulator"]
