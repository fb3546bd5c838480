"""Console sessions: found while they last, gone when they expire or are closed."""

from api.console.sessions import Sessions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_lasts_its_time_and_no_longer() -> None:
    clock = Clock()
    sessions = Sessions(seconds=60, clock=clock)
    token = sessions.open("dana")
    found = sessions.find(token)

    clock.now += 59.9
    still = sessions.find(token)
    clock.now += 0.1
    expired = sessions.find(token)

    assert found is not None
    assert (found.user, found.expires) == ("dana", 1060.0)
    assert len(found.csrf) >= 32
    assert still == found
    assert expired is None


def test_tokens_are_unguessable_and_closing_ends_one_session_only() -> None:
    sessions = Sessions()
    first, second = sessions.open("dana"), sessions.open("dana")

    sessions.close(first)

    assert first != second
    assert sessions.find(first) is None
    assert sessions.find(second) is not None
    assert sessions.find(None) is None
    assert sessions.find("") is None
    assert sessions.find("made-up") is None


def test_expired_sessions_are_forgotten_when_a_new_one_opens() -> None:
    clock = Clock()
    sessions = Sessions(seconds=60, clock=clock)
    old = sessions.open("dana")
    clock.now += 61
    sessions.open("sam")

    assert old not in sessions._open
    assert len(sessions._open) == 1
