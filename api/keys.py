"""Typed keys for what the aiohttp application shares between handlers."""

from aiohttp import web

from api.users import UserDirectory
from infrastructure.engine.worker import Engine
from infrastructure.gate import StoreGate
from infrastructure.settings import Settings
from infrastructure.use_cases.application import ArbiterApp

SETTINGS = web.AppKey("settings", Settings)
USERS = web.AppKey("users", UserDirectory)
ARBITER = web.AppKey("arbiter", ArbiterApp)
GATE = web.AppKey("gate", StoreGate)
ENGINE = web.AppKey("engine", Engine)
AGENT_URL = web.AppKey("agent_url", str)  # the embedded host agent's, when there is one
