"""The views' text times: fixed width, UTC, and the same text whatever the input's zone."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from infrastructure.projections.db import stamp, unstamp

ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=0)),
        timezone(timedelta(hours=8)),
        timezone(-timedelta(hours=5, minutes=30)),
    ]
)
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=ZONES
)


@given(MOMENTS)
def test_a_stamp_is_the_utc_time_in_fixed_width_and_reads_back(moment: datetime) -> None:
    text = stamp(moment)
    assert text == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert len(text) == len("2026-11-29T09:31:57.123456Z")
    assert unstamp(text) == moment


@given(MOMENTS, MOMENTS)
def test_stamps_sort_as_their_times(a: datetime, b: datetime) -> None:
    assert (stamp(a) < stamp(b)) == (a < b)
