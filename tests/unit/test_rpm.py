"""OceanBase rpm names and version ordering: numbers compared numerically, then the build."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import IllegalArgument
from domain.rpm import RpmName, Version


def test_parse_the_seed_rpm() -> None:
    rpm = RpmName.parse("oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm")

    assert rpm.version == Version((4, 3, 4, 0), 200000022024070119)
    assert (rpm.el, rpm.architecture) == (7, "x86_64")
    assert str(rpm.version) == "4.3.4.0-200000022024070119"
    assert str(rpm) == rpm.name


def test_parse_aarch64_and_el8() -> None:
    rpm = RpmName.parse("oceanbase-4.2.5.1-101000012024120918.el8.aarch64.rpm")

    assert (rpm.version.numbers, rpm.el, rpm.architecture) == ((4, 2, 5, 1), 8, "aarch64")


@pytest.mark.parametrize(
    "name",
    [
        "",
        "oceanbase",
        "oceanbase-4.3.4-200000022024070119.el7.x86_64.rpm",  # three-part version
        "oceanbase-4.3.4.0.1-200000022024070119.el7.x86_64.rpm",  # five-part version
        "oceanbase-4.3.4.0.el7.x86_64.rpm",  # no build
        "oceanbase-4.3.4.0-2000a.el7.x86_64.rpm",
        "oceanbase-4.3.4.0-200000022024070119.x86_64.rpm",  # no el
        "oceanbase-4.3.4.0-200000022024070119.el7.ppc64le.rpm",
        "oceanbase-4.3.4.0-200000022024070119.el7.x86_64",
        "oceanbase-ce-4.3.4.0-200000022024070119.el7.x86_64.rpm",
        " oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm",
        "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm\n",
        "OCEANBASE-4.3.4.0-200000022024070119.el7.x86_64.rpm",
        "oceanbase-\u0664.3.4.0-200000022024070119.el7.x86_64.rpm",  # a non-ASCII digit
    ],
)
def test_ill_formed_names_are_illegal_arguments_naming_rpm_name(name: str) -> None:
    with pytest.raises(IllegalArgument) as caught:
        RpmName.parse(name)

    assert [(e.field, e.rejected_value) for e in caught.value.field_errors] == [("rpmName", name)]
    assert "well-formed" in caught.value.message


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("4.2.1.0-100000102023092807", "4.3.4.0-200000022024070119"),
        ("4.2.9.0-1", "4.2.10.0-1"),  # numeric, not lexicographic
        ("4.9.0.0-5", "4.10.0.0-1"),
        ("4.3.4.0-9", "4.3.4.0-10"),  # same numbers: the build decides, numerically
        ("4.3.4.0-200000022024070119", "4.3.4.1-1"),  # the numbers come before the build
        ("3.99.99.99-999", "4.0.0.0-0"),
    ],
)
def test_version_order(older: str, newer: str) -> None:
    a, b = Version.parse(older), Version.parse(newer)

    assert a < b
    assert b > a
    assert not b < a
    assert a != b


def test_equal_versions() -> None:
    assert Version.parse("4.3.4.0-7") == Version.parse("4.3.4.0-007")
    assert not Version.parse("4.3.4.0-7") < Version.parse("4.3.4.0-7")


@pytest.mark.parametrize(
    "text", ["4.3.4.0", "4.3.4-1", "v4.3.4.0-1", "4.3.4.0-1.el7", "4.3.4.0-1\n", "\u0664.3.4.0-1"]
)
def test_ill_formed_full_versions(text: str) -> None:
    with pytest.raises(ValueError, match="not a full OceanBase version"):
        Version.parse(text)


versions = st.builds(
    Version,
    st.tuples(*[st.integers(0, 10_000)] * 4),
    st.integers(0, 10**18),
)


@given(versions, versions)
def test_order_is_numbers_then_build(a: Version, b: Version) -> None:
    assert (a < b) == ((a.numbers, a.build) < (b.numbers, b.build))
    assert Version.parse(str(a)) == a


@given(versions, st.sampled_from(["x86_64", "aarch64"]), st.integers(6, 9))
def test_names_round_trip(version: Version, arch: str, el: int) -> None:
    name = f"oceanbase-{version}.el{el}.{arch}.rpm"

    assert RpmName.parse(name) == RpmName(name, version, el, arch)
