"""The HMAC string to sign, signatures, password hashing and the users file."""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict

from api.auth import canonical_query, sign, string_to_sign
from api.users import DEFAULT_ROLES, hash_password, load_directory, verify_password
from tests.api.ocp_client import signed_query


def test_string_to_sign_is_exactly_the_documented_lines() -> None:
    body = b'{"rpmName":"x"}'
    headers = {
        "Content-Type": "application/json",
        "Date": "Mon, 23 Dec 2024 12:52:58 GMT",
        "Host": "ocp.example:8080",
        "X-OCP-Trace": " t1 ",
        "x-ocp-a": "first",
        "Accept": "ignored",
    }

    text = string_to_sign(
        "POST", body, headers, "/api/v2/arbitration/services/1/upgrade", {"b": "2", "a": "1"}
    )

    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324
    assert text.split("\n") == [
        "POST",
        md5,
        "application/json",
        "Mon, 23 Dec 2024 12:52:58 GMT",
        "ocp.example:8080",
        "x-ocp-a:first",
        "x-ocp-trace:t1",
        "/api/v2/arbitration/services/1/upgrade?a=1&b=2",
    ]


def test_empty_body_and_no_query() -> None:
    text = string_to_sign("GET", b"", {}, "/api/v2/compute/hosts", {})

    assert text == "GET\n\n\n\n\n/api/v2/compute/hosts"


def test_the_query_is_signed_encoded_as_ocp_clients_sign_it() -> None:
    query = MultiDict(
        [
            ("name", "Upgrade arbitration service"),
            ("status", "RUNNING"),
            ("status", "FAILED"),
            ("since", "2024-12-23T20:52:59.002+08:00"),
            ("keyword", "a/b+c%d&e=f,g é"),
            ("empty", ""),
        ]
    )

    text = string_to_sign("GET", b"", {}, "/api/v2/tasks/instances", query)

    assert text.split("\n")[-1] == (
        "/api/v2/tasks/instances?empty=&keyword=a%2Fb%2Bc%25d%26e%3Df%2Cg%20%C3%A9"
        "&name=Upgrade%20arbitration%20service&since=2024-12-23T20%3A52%3A59.002%2B08%3A00"
        "&status=RUNNING%2CFAILED"
    )


def test_plain_values_sign_the_same_encoded_or_not() -> None:
    """Letters, digits and `-_.~` need no encoding: such queries sign as they always did."""
    assert canonical_query({"size": "5", "keyword": "arb-1_x.y~z"}) == "keyword=arb-1_x.y~z&size=5"


def test_encoding_keeps_separators_inside_a_value_apart() -> None:
    """Decoded values would sign `a=1&b=2` for both of these queries."""
    one_value = canonical_query({"a": "1&b=2"})
    two_values = canonical_query({"a": "1", "b": "2"})

    assert one_value != two_values


def reading(query: MultiDict[str]) -> dict[str, str]:
    """What the handlers act on: a list parameter splits on commas whether it came joined or
    repeated; a single-valued parameter given twice is refused (api.query.single)."""
    return {key: ",".join(query.getall(key)) for key in query}


QUERIES = st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=5).map(MultiDict)


@given(QUERIES, QUERIES)
def test_two_queries_share_a_string_to_sign_only_when_read_alike(
    first: MultiDict[str], second: MultiDict[str]
) -> None:
    same_string = canonical_query(first) == canonical_query(second)

    assert same_string == (reading(first) == reading(second))


@given(st.dictionaries(st.text(), st.text() | st.lists(st.text(), min_size=1)))
def test_the_server_reads_what_an_ocp_client_signed(params: dict[str, str | list[str]]) -> None:
    """An OCP client sends a list joined, or repeated (one pair per item)."""
    joined = MultiDict((k, v if isinstance(v, str) else ",".join(v)) for k, v in params.items())
    repeated = MultiDict(
        (k, item) for k, v in params.items() for item in ([v] if isinstance(v, str) else v)
    )

    assert canonical_query(joined) == signed_query(params)
    assert canonical_query(repeated) == signed_query(params)


def test_sign_is_base64_hmac_sha1() -> None:
    expected = base64.b64encode(hmac.new(b"secret", b"text", hashlib.sha1).digest()).decode()

    assert sign("secret", "text") == expected


def test_passwords_are_salted_hashes() -> None:
    first, second = hash_password("pw"), hash_password("pw")

    assert first != second
    assert "pw" not in first
    assert first.startswith("pbkdf2_sha256$")
    assert verify_password("pw", first)
    assert not verify_password("pw2", first)
    assert not verify_password("pw", "garbage")
    assert not verify_password("pw", "md5$1$00$00")


def test_users_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBITER_ADMIN_PASSWORD", "boot")
    monkeypatch.delenv("ARBITER_ADMIN_USER", raising=False)
    config = tmp_path / "users.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "roles": {"deployer": ["ARBITRATION:UPDATE"]},
                "users": [
                    {
                        "name": "dana",
                        "password": "plain-in-file",
                        "roles": ["deployer", "viewer"],
                        "access_keys": [{"id": "AK1", "secret": "SK1"}],
                    },
                    {"name": "eve", "password_hash": hash_password("hashed"), "roles": []},
                ],
            }
        )
    )

    directory = load_directory(config, tmp_path)

    dana = directory.check_password("dana", "plain-in-file")
    assert dana is not None
    assert directory.permissions(dana) == {"ARBITRATION:UPDATE", *DEFAULT_ROLES["viewer"]}
    assert directory.by_access_key("AK1") == (dana, "SK1")
    assert directory.by_access_key("AK2") is None
    eve = directory.check_password("eve", "hashed")
    assert eve is not None
    assert directory.permissions(eve) == set()
    assert directory.check_password("eve", "wrong") is None
    assert directory.check_password("nobody", "hashed") is None
    admin = directory.check_password("admin", "boot")
    assert admin is not None
    assert directory.permissions(admin) == set(DEFAULT_ROLES["admin"])


def test_generated_admin_password_is_printed_once_and_kept_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ARBITER_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("ARBITER_ADMIN_USER", raising=False)

    load_directory(None, tmp_path)
    printed = capsys.readouterr().out
    directory = load_directory(None, tmp_path)

    password = printed.split("password ")[1].split("'")[1]
    assert capsys.readouterr().out == ""
    assert directory.check_password("admin", password) is not None
    saved = json.loads((tmp_path / "bootstrap-admin.json").read_text())
    assert password not in json.dumps(saved)
    assert (tmp_path / "bootstrap-admin.json").stat().st_mode & 0o777 == 0o600
