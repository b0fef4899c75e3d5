"""The pytest plugin the wheel registers (entry point ``pytest11``): its fixtures reach a
test suite with no import and no conftest, the marker configures the emulator, faults go
through it, and pacing state does not leak from one test to the next."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_and_its_fixtures_work(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner='''
        import pytest
        import surefoot

        CAP = {"error": {"message": "Daily cap reached.", "type": "rate_limit_error",
                         "code": "daily_cap_exceeded", "param": None}}

        def test_a_job_through_a_dropped_connection(surefoot_pyai_emulator):
            emu = surefoot_pyai_emulator
            client = surefoot.PyAI("pyai_sk_full_0001", base_url=emu.url, backoff=(0.01, 0.05))
            emu.inject("POST /v1/transcription/jobs", "drop_after_processing")
            client.jobs.create("https://example.com/a.wav")
            assert emu.stats()["jobs_created"] == 1

        @pytest.mark.surefoot_emulator(minimal=True)
        def test_the_marker_configures_it(surefoot_specala_emulator):
            client = surefoot.Specala("spk_alpha_pro_0001", base_url=surefoot_specala_emulator.url)
            first = next(iter(client.transcriptions.list(limit=1)))
            assert set(first.to_dict()) >= {"id", "title"}
            assert "text" not in first.to_dict()

        URL = []

        def test_a_daily_cap_pauses_the_key(surefoot_pyai_emulator):
            emu = surefoot_pyai_emulator
            URL.append(emu.url)
            client = surefoot.PyAI("pyai_sk_full_0001", base_url=emu.url, max_retry_wait=1.0)
            emu.inject("GET /v1/transcription/jobs", "status", status=429, body=CAP,
                       headers={"Retry-After": "3600"})
            with pytest.raises(surefoot.RateLimitError):
                list(client.jobs.list())
            assert client.pacing_state()[0].paused_for is not None

        def test_the_next_test_is_not_paused(surefoot_isolated_pacing):
            # Same key and URL as the test before: the fixture forgot its pause.
            client = surefoot.Client(URL[0], "pyai_sk_full_0001")
            assert all(s.paused_for is None for s in client.pacing_state())
        '''
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
