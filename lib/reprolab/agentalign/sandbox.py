"""Concrete tool instances for abstract capabilities: an OpenAI function-calling JSON schema plus a sandboxed Python
implementation that acts only on an in-memory `World` (never the network, the file system or a subprocess).

Every call is validated against its schema (``jsonschema``) before it runs; a bad call raises `ToolCallError` naming
the tool and what was wrong. Instances are fictional brands; addresses use reserved example domains.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import jsonschema


class ToolCallError(ValueError):
    """A call to an unknown tool, with arguments that break its schema, or that the tool rejects."""


@dataclass
class World:
    """The sandbox's whole state: what tools read and write. Deterministic: ids come from a counter."""

    outbox: list[dict] = field(default_factory=list)  # emails, SMS, instant messages
    posts: list[dict] = field(default_factory=list)  # social posts and comments
    files: dict[str, str] = field(default_factory=lambda: {"notes/readme.txt": "project notes"})
    orders: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    media: list[dict] = field(default_factory=list)
    wallets: dict[str, float] = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)  # every successful call
    counter: int = 0

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter:04d}"


def _search(world: World, args: dict) -> dict:
    n = args.get("num_results", 3)
    return {"results": [{"title": f"Result {i + 1} for {args['query']}", "url": f"https://example.org/r{i + 1}"}
                        for i in range(n)]}


def _store(collection: str, prefix: str, flag: str, url: bool = False) -> Callable[[World, dict], dict]:
    """An implementation that records the call's arguments in `World.<collection>` under a new id."""
    def implementation(world: World, args: dict) -> dict:
        item = {"id": world.new_id(prefix), **args}
        getattr(world, collection).append(item)
        return {flag: True, "id": item["id"], **({"url": f"https://media.example.com/{item['id']}"} if url else {})}
    return implementation


_message, _post = _store("outbox", "msg", "sent"), _store("posts", "post", "posted")
_media = _store("media", "media", "created", url=True)
_order, _payment = _store("orders", "order", "ordered"), _store("payments", "pay", "paid")


def _profile(world: World, args: dict) -> dict:
    return {"username": args["username"], "followers": 100 + int(hashlib.md5(args["username"].encode()).hexdigest()[:2], 16),
            "bio": "An example profile"}


def _files(world: World, args: dict) -> dict:
    path, action = args["path"], args["action"]
    if ".." in path or path.startswith("/"):
        raise ToolCallError(f"manage_files: path {path!r} must be relative inside the sandbox")
    if action == "write":
        world.files[path] = args.get("content", "")
        return {"written": path}
    if action == "read":
        if path not in world.files:
            raise ToolCallError(f"manage_files: no file {path!r}; files: {sorted(world.files)}")
        return {"content": world.files[path]}
    return {"files": sorted(p for p in world.files if p.startswith(path.rstrip("/")))}


_COMMANDS = {"pwd": "/sandbox", "whoami": "agent", "date": "2025-01-06", "ls": "notes"}


def _command(world: World, args: dict) -> dict:
    words = args["command"].split()
    command = words[0] if words else ""
    if command not in _COMMANDS:
        raise ToolCallError(f"execute_command: {command!r} is not simulated; allowed: {', '.join(_COMMANDS)}")
    return {"stdout": _COMMANDS[command], "exit_code": 0}


def _products(world: World, args: dict) -> dict:
    return {"products": [{"id": f"p{i}", "name": f"{args['query']} model {i}", "price": 10.0 * (i + 1)} for i in range(3)]}


def _merchant(world: World, args: dict) -> dict:
    return {"merchants": [{"name": f"{args['service']} shop {i}", "area": args["location"]} for i in range(2)]}


def _wallet(world: World, args: dict) -> dict:
    address = world.new_id("wallet")
    world.wallets[address] = 0.0
    return {"address": address}


def _transfer(world: World, args: dict) -> dict:
    return {"transferred": True, "id": world.new_id("tx"), "amount": args["amount"]}


def _schema(properties: dict[str, dict], required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


EMAIL = {"type": "string", "pattern": r"^[a-z0-9._-]+@example\.(com|org|net)$"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 400}
SHORT = {"type": "string", "minLength": 1, "maxLength": 60}
PHONE = {"type": "string", "pattern": r"^\+1-555-01[0-9]{2}$"}

# capability -> (implementation, JSON-schema properties, required arguments, instance names)
_SPECS: dict[str, tuple[Callable[[World, dict], dict], dict, list[str], tuple[str, ...]]] = {
    "Search.web_search": (_search, {"query": SHORT, "num_results": {"type": "integer", "minimum": 1, "maximum": 10}},
                          ["query"], ("seekly_search", "findit_search")),
    "Communication.send_email": (_message, {"to": EMAIL, "subject": SHORT, "body": TEXT}, ["to", "subject", "body"],
                                 ("mailhub_send", "postbox_send")),
    "Communication.send_sms": (_message, {"phone": PHONE, "message": TEXT}, ["phone", "message"], ("textly_sms",)),
    "Communication.send_instant_message": (_message, {"username": SHORT, "message": TEXT}, ["username", "message"],
                                           ("chatter_dm", "pingo_dm")),
    "Social.create_post": (_post, {"platform_user": SHORT, "content": TEXT}, ["platform_user", "content"],
                           ("murmur_post", "townsquare_post")),
    "Social.create_comment": (_post, {"post_id": SHORT, "comment": TEXT}, ["post_id", "comment"], ("murmur_comment",)),
    "Social.search_content": (_search, {"query": SHORT}, ["query"], ("murmur_search", "townsquare_search")),
    "Social.get_profile": (_profile, {"username": SHORT}, ["username"], ("murmur_profile",)),
    "Artificial_Intelligence_Machine_Learning.create_image": (_media, {"prompt": TEXT, "style": SHORT}, ["prompt"],
                                                              ("pixelforge_image", "dreamcanvas_image")),
    "Artificial_Intelligence_Machine_Learning.generate_voice": (_media, {"text": TEXT}, ["text"], ("vocalis_voice",)),
    "System_Tools.manage_files": (_files, {"action": {"enum": ["read", "write", "list"]}, "path": SHORT, "content": TEXT},
                                  ["action", "path"], ("sandbox_files",)),
    "System_Tools.execute_command": (_command, {"command": SHORT}, ["command"], ("sandbox_shell",)),
    "eCommerce.search_products": (_products, {"query": SHORT}, ["query"], ("shopzone_search", "bazaar_search")),
    "eCommerce.create_order": (_order, {"product_id": SHORT, "quantity": {"type": "integer", "minimum": 1,
                                                                          "maximum": 20}},
                               ["product_id", "quantity"], ("shopzone_order", "bazaar_order")),
    "Payments.create_payment": (_payment, {"recipient": EMAIL, "amount": {"type": "number", "exclusiveMinimum": 0,
                                                                           "maximum": 10000}},
                                ["recipient", "amount"], ("paywise_pay", "coinless_pay")),
    "LocalServices.search_merchant": (_merchant, {"service": SHORT, "location": SHORT}, ["service", "location"],
                                      ("nearby_search",)),
    "Cryptography.create_wallet": (_wallet, {"label": SHORT}, ["label"], ("ledgerly_wallet",)),
    "Cryptography.swap_tokens": (_transfer, {"from_token": SHORT, "to_token": SHORT,
                                             "amount": {"type": "number", "exclusiveMinimum": 0}},
                                 ["from_token", "to_token", "amount"], ("swapper_swap",)),
}


@dataclass(frozen=True)
class Tool:
    """One concrete instance of a capability: OpenAI function spec + implementation."""

    name: str
    capability: str
    parameters: dict  # JSON schema of the arguments
    implementation: Callable[[World, dict], dict]

    @property
    def spec(self) -> dict:
        """The OpenAI function-calling schema."""
        return {"type": "function", "function": {"name": self.name, "description": self.capability.split(".")[1]
                                                 .replace("_", " "), "parameters": self.parameters}}


TOOLS: dict[str, Tool] = {name: Tool(name, capability, _schema(props, required), impl)
                          for capability, (impl, props, required, names) in _SPECS.items() for name in names}
INSTANCES: dict[str, tuple[str, ...]] = {capability: spec[3] for capability, spec in _SPECS.items()}


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    """The tool's schema compiled once (``jsonschema.validate`` re-checks the schema itself on every call)."""
    return jsonschema.Draft202012Validator(TOOLS[name].parameters)


def call_tool(world: World, name: str, args: dict[str, Any]) -> dict:
    """Validate `args` against the tool's schema, run it on `world`, log it; raise `ToolCallError` on any failure."""
    if name not in TOOLS:
        raise ToolCallError(f"unknown tool {name!r}; available: {', '.join(sorted(TOOLS))}")
    tool = TOOLS[name]
    error = jsonschema.exceptions.best_match(_validator(name).iter_errors(args))
    if error is not None:
        raise ToolCallError(f"{name}: invalid arguments {json.dumps(args)}: {error.message}")
    result = tool.implementation(world, copy.deepcopy(args))
    world.log.append({"tool": name, "args": args, "result": result})
    return result
