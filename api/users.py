"""Users, roles and permissions, from a config file plus a bootstrap admin."""

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ARBITRATION_VIEW = "ARBITRATION:VIEW"
ARBITRATION_CREATE = "ARBITRATION:CREATE"
ARBITRATION_UPDATE = "ARBITRATION:UPDATE"
ARBITRATION_DELETE = "ARBITRATION:DELETE"
TASK_VIEWER = "TASK_VIEWER"
TASK_MANAGER = "TASK_MANAGER"
AUDIT_VIEW = "AUDIT:VIEW"
ALL_PERMISSIONS = (
    ARBITRATION_VIEW,
    ARBITRATION_CREATE,
    ARBITRATION_UPDATE,
    ARBITRATION_DELETE,
    TASK_VIEWER,
    TASK_MANAGER,
    AUDIT_VIEW,
)
DEFAULT_ROLES: dict[str, tuple[str, ...]] = {
    "admin": ALL_PERMISSIONS,
    "operator": (
        ARBITRATION_VIEW,
        ARBITRATION_CREATE,
        ARBITRATION_UPDATE,
        ARBITRATION_DELETE,
        TASK_VIEWER,
        TASK_MANAGER,
    ),
    "viewer": (ARBITRATION_VIEW, TASK_VIEWER),
    "auditor": (ARBITRATION_VIEW, TASK_VIEWER, AUDIT_VIEW),
}
_ITERATIONS = 100_000


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"pbkdf2_sha256${_ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    actual = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(actual.hex(), digest)


@dataclass
class User:
    name: str
    password_hash: str
    roles: tuple[str, ...]
    access_keys: dict[str, str] = field(default_factory=dict)  # access key id -> secret


@dataclass
class UserDirectory:
    users: dict[str, User]
    roles: dict[str, tuple[str, ...]]
    _verified: dict[str, str] = field(default_factory=dict)

    def permissions(self, user: User) -> set[str]:
        return {p for role in user.roles for p in self.roles.get(role, ())}

    def check_password(self, name: str, password: str) -> User | None:
        user = self.users.get(name)
        if user is None:
            verify_password(password, _DECOY)  # same cost for unknown users
            return None
        # Remember a verified password by a keyed digest, so each request does not pay PBKDF2.
        token = hmac.new(_CACHE_KEY, f"{name}\0{password}".encode(), "sha256").hexdigest()
        if hmac.compare_digest(self._verified.get(name, ""), token):
            return user
        if verify_password(password, user.password_hash):
            self._verified[name] = token
            return user
        return None

    def by_access_key(self, access_key: str) -> tuple[User, str] | None:
        for user in self.users.values():
            if access_key in user.access_keys:
                return user, user.access_keys[access_key]
        return None


_CACHE_KEY = secrets.token_bytes(32)
_DECOY = hash_password(secrets.token_hex(16))


def load_directory(config: Path | None, data_dir: Path) -> UserDirectory:
    roles = dict(DEFAULT_ROLES)
    users: dict[str, User] = {}
    if config is not None:
        raw = yaml.safe_load(config.read_text()) or {}
        roles.update({name: tuple(perms) for name, perms in (raw.get("roles") or {}).items()})
        for entry in raw.get("users") or []:
            users[entry["name"]] = User(
                entry["name"],
                entry.get("password_hash") or hash_password(entry["password"]),
                tuple(entry.get("roles") or ()),
                {k["id"]: k["secret"] for k in entry.get("access_keys") or []},
            )
    admin = _bootstrap_admin(data_dir)
    users.setdefault(admin.name, admin)
    return UserDirectory(users, roles)


def _bootstrap_admin(data_dir: Path) -> User:
    """ARBITER_ADMIN_USER / ARBITER_ADMIN_PASSWORD, or a password generated and printed once."""
    name = os.environ.get("ARBITER_ADMIN_USER", "admin")
    password = os.environ.get("ARBITER_ADMIN_PASSWORD")
    if password:
        return User(name, hash_password(password), ("admin",))
    saved = data_dir / "bootstrap-admin.json"
    if saved.exists():
        stored = json.loads(saved.read_text())
        if stored["name"] == name:
            return User(name, stored["password_hash"], ("admin",))
    password = secrets.token_urlsafe(12)
    data_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps({"name": name, "password_hash": hash_password(password)}))
    saved.chmod(0o600)
    print(f"arbiter: generated the bootstrap admin: user {name!r}, password {password!r}")
    print("arbiter: it is shown only now; set ARBITER_ADMIN_PASSWORD to choose your own")
    return User(name, json.loads(saved.read_text())["password_hash"], ("admin",))
