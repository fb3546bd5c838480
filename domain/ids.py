"""Numeric (Long) ids as OCP shows them, mapped to the UUIDs the event store keys aggregates by."""

from uuid import NAMESPACE_URL, UUID, uuid5

_NAMESPACE = uuid5(NAMESPACE_URL, "urn:arbiter")


def aggregate_uuid(kind: str, key: object) -> UUID:
    return uuid5(_NAMESPACE, f"{kind}:{key}")


def task_uuid(task_id: int) -> UUID:
    return aggregate_uuid("task", task_id)


def service_uuid(service_id: int) -> UUID:
    return aggregate_uuid("service", service_id)


def host_uuid(host_id: int) -> UUID:
    return aggregate_uuid("host", host_id)


def package_uuid(rpm_name: str) -> UUID:
    return aggregate_uuid("package", rpm_name)


def client_token_uuid(token: str) -> UUID:
    return aggregate_uuid("client-token", token)


def directory_uuid(kind: str) -> UUID:
    return aggregate_uuid("directory", kind)
