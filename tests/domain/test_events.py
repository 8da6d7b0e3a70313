from popcon.domain.events import Event, EventBus


def test_listeners_get_events_and_can_leave():
    bus = EventBus()
    got: list[Event] = []
    unsubscribe = bus.subscribe(got.append)
    bus.emit(Event(job_id="j", kind="job", status="animating"))
    unsubscribe()
    bus.emit(Event(job_id="j", kind="job", status="matting"))
    assert [e.status for e in got] == ["animating"]
    assert got[0].to_dict()["kind"] == "job"


def test_a_broken_listener_does_not_stop_the_others():
    bus = EventBus()
    got: list[str] = []

    def broken(_e: Event) -> None:
        raise RuntimeError("display crashed")

    bus.subscribe(broken)
    bus.subscribe(lambda e: got.append(e.status))
    bus.emit(Event(job_id="j", kind="action", status="done"))
    assert got == ["done"]
