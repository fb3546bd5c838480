"""OceanBase rpm names and the ordering of their versions."""

import re
from dataclasses import dataclass
from functools import total_ordering

from domain.errors import FieldError, IllegalArgument

# ASCII digits only, and matched with fullmatch: `$` alone would accept a trailing newline.
_RPM = re.compile(
    r"oceanbase-(?P<version>\d+\.\d+\.\d+\.\d+)-(?P<build>\d+)\.el(?P<el>\d+)\.(?P<arch>x86_64|aarch64)\.rpm",
    re.ASCII,
)
_FULL_VERSION = re.compile(r"(?P<version>\d+\.\d+\.\d+\.\d+)-(?P<build>\d+)", re.ASCII)


@total_ordering
@dataclass(frozen=True)
class Version:
    numbers: tuple[int, int, int, int]
    build: int

    @classmethod
    def parse(cls, text: str) -> "Version":
        match = _FULL_VERSION.fullmatch(text)
        if match is None:
            raise ValueError(f"not a full OceanBase version: {text!r}")
        return cls._from(match["version"], match["build"])

    @classmethod
    def _from(cls, version: str, build: str) -> "Version":
        a, b, c, d = (int(part) for part in version.split("."))
        return cls((a, b, c, d), int(build))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.numbers, self.build) < (other.numbers, other.build)

    def __str__(self) -> str:
        return f"{'.'.join(str(n) for n in self.numbers)}-{self.build}"


@dataclass(frozen=True)
class RpmName:
    name: str
    version: Version
    el: int
    architecture: str

    @classmethod
    def parse(cls, name: str) -> "RpmName":
        match = _RPM.fullmatch(name)
        if match is None:
            raise IllegalArgument(
                f"rpmName is not a well-formed OceanBase rpm name: {name!r}",
                [
                    FieldError(
                        "rpmName",
                        name,
                        "must look like oceanbase-<a.b.c.d>-<build>.el<N>.<x86_64|aarch64>.rpm",
                    )
                ],
            )
        return cls(
            name,
            Version._from(match["version"], match["build"]),
            int(match["el"]),
            match["arch"],
        )

    def __str__(self) -> str:
        return self.name
