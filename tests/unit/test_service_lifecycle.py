"""The service's lifecycle rules: one answer for the commands and for the views' offers."""

import pytest

from domain.enums import ServiceStatus
from domain.errors import ServiceBusy, ServiceStateInvalid
from domain.service_lifecycle import ServiceOperation, allowed_operations, refusal

_S, _O = ServiceStatus, ServiceOperation
# OCP's console: what each status offers while no task holds the service.
OFFERED = {
    _S.RUNNING: [_O.UPGRADE, _O.STOP, _O.RESTART, _O.DELETE],
    _S.STOPPED: [_O.START, _O.DELETE],
    _S.UNAVAILABLE: [_O.DELETE],
}


@pytest.mark.parametrize("status", list(ServiceStatus))
def test_each_status_offers_exactly_what_it_accepts(status: ServiceStatus) -> None:
    offered = allowed_operations(7, status, None)
    assert offered == OFFERED.get(status, [])
    for operation in ServiceOperation:
        error = refusal(7, status, None, operation)
        assert (error is None) == (operation in offered)
        assert error is None or isinstance(error, ServiceStateInvalid)


@pytest.mark.parametrize("status", list(ServiceStatus))
def test_an_unfinished_task_holds_the_service_against_everything(status: ServiceStatus) -> None:
    assert allowed_operations(7, status, 42) == []
    for operation in ServiceOperation:
        error = refusal(7, status, 42, operation)
        assert isinstance(error, ServiceBusy)
        assert (error.service_id, error.task_id) == (7, 42)
