"""Drives a running avito-sim with avito-python-sdk (package `pyavitoapi`), an independent client
whose models are generated from Avito's OpenAPI with extra="forbid", and fails on the first answer
those models reject: a field the spec lacks, a missing field, a wrong type.

Every messenger operation the SDK models is called: token, chats (with filters), chat, messages,
send text, upload + send image, read, voice files, webhook subscribe / unsubscribe, subscriptions,
blacklist, delete. Scenario set-up (a customer writes, replies with a quote, sends a link or a voice
message) goes through the simulator's own /_sim/ control API.

The SDK has no model for the webhook delivery, so the delivery is checked against a strict model
written here from the reference (avito-openrouter.md A6), and its `content` against the SDK's own
MessageContent.

Usage: avito_sdk_check.py <path to the avito-sim binary>
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import queue
import re
import struct
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal, Optional

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from pyavitoapi.client import AvitoAsyncClient
from pyavitoapi.generated_models.messenger import MessageContent, MessengerApiUploadImagesResponse
from pyavitoapi.transport.errors import AvitoApiError, AvitoValidationError

# The simulator's seeded demo account (crates/avito-sim/src/main.rs).
USER_ID = 1001
CLIENT_ID, CLIENT_SECRET = "demo-shop", "demo-shop-secret"
ITEM = 700_001
OTHER_ITEM = 700_002


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookValue(Strict):
    """A6 WebhookMessage, every field the reference lists; nothing else."""

    id: str
    chat_id: str
    user_id: int
    author_id: int
    created: int
    type: Literal[
        "text", "image", "system", "item", "call", "link", "location", "deleted", "appCall",
        "file", "video", "voice",
    ]
    chat_type: Literal["u2i", "u2u", "a2u"]
    content: MessageContent
    item_id: Optional[int] = None
    published_at: str
    read: Optional[int] = None


class WebhookPayload(Strict):
    type: Literal["message"]
    value: WebhookValue


class WebhookEnvelope(Strict):
    id: str
    version: str
    timestamp: int
    payload: WebhookPayload


class Failed(Exception):
    pass


checks = 0


def ok(what: str) -> None:
    global checks
    checks += 1
    print(f"  ok  {what}")


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise Failed(what)


def complete(model: BaseModel, what: str, optional: frozenset[str] = frozenset()) -> None:
    """The SDK's models give every field a default, so they cannot notice a missing one: check that
    every field they declare was sent, recursively, except the `optional` names (by field name)."""
    missing = [
        name for name in type(model).model_fields
        if name not in model.model_fields_set and name not in optional
    ]
    expect(not missing, f"{what}: missing {missing}")
    for name in model.model_fields_set:
        for child in (lambda v: v if isinstance(v, list) else [v])(getattr(model, name)):
            if isinstance(child, BaseModel) and not isinstance(child, MessageContent):
                complete(child, f"{what}.{name}", optional)


# Fields that are absent by meaning: a chat from a profile has no listing `context` and its users
# no `item_id`; a message that replies to nothing has no `quote`.
OPTIONAL = frozenset({"context", "item_id", "quote"})


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x80\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class Receiver:
    """A webhook endpoint on a free port: answers 200 at once and queues every JSON body."""

    def __init__(self) -> None:
        bodies: queue.Queue = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                bodies.put(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/avito-hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 10.0) -> dict:
        return self.bodies.get(timeout=timeout)

    def message(self, message_id: str, timeout: float = 10.0) -> dict:
        """The next delivery of this message, skipping probes and other messages."""
        while True:
            body = self.next(timeout)
            value = body.get("payload", {}).get("value", {})
            if value.get("id") == message_id:
                return body


def start_sim(binary: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            # Keep draining stdout so the simulator never blocks on a full pipe.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, found.group(1)
    raise Failed(f"avito-sim exited with {proc.wait()} before listening")


async def control(http: httpx.AsyncClient, base: str, path: str, body: dict) -> dict:
    r = await http.post(f"{base}/_sim/{path}", json=body)
    expect(r.status_code == 200, f"/_sim/{path}: {r.status_code} {r.text}")
    return r.json()


async def run(base: str) -> None:
    # The SDK's transport honours proxy settings; the simulator and the receiver are local.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    receiver = Receiver()
    user = {"user_id": USER_ID}
    async with httpx.AsyncClient(trust_env=False) as http, AvitoAsyncClient(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base
    ) as client:
        m = client.messenger

        token = await client.auth.get_client_credentials_token()
        expect(token.token_type.lower() == "bearer" and token.expires_in == 86400, f"token {token}")
        ok("POST /token (client_credentials)")
        h = await client.auth.auth_header()

        # A customer asks about the first listing, another about the second (u2u: no listing).
        asked = await control(http, base, "customer_writes", {
            "account": USER_ID, "customer_id": 5101, "customer_name": "Вера", "item_id": ITEM,
            "text": "Велосипед ещё продаётся?",
        })
        chat = asked["chat_id"]
        await control(http, base, "customer_writes", {
            "account": USER_ID, "customer_id": 5102, "customer_name": "Олег", "item_id": None,
            "text": "Здравствуйте, вопрос по профилю",
        })

        chats = await m.get_chats_v2(path_params=user, headers=h)
        expect(all(c.id.startswith("u2i-") for c in chats.chats), "the default lists u2i only")
        ok(f"getChatsV2 default filter: {len(chats.chats)} u2i chats")
        both = await m.get_chats_v2(
            path_params=user, query={"chat_types": "u2i,u2u", "limit": 100, "offset": 0}, headers=h
        )
        expect(any(c.id.startswith("u2u-") for c in both.chats), "chat_types=u2i,u2u lists u2u")
        for c in both.chats:
            complete(c, f"chat {c.id}", OPTIONAL)
        ok(f"getChatsV2 chat_types=u2i,u2u: {len(both.chats)} chats")
        by_item = await m.get_chats_v2(path_params=user, query={"item_ids": str(ITEM)}, headers=h)
        expect(
            by_item.chats and all(c.context.value.id == ITEM for c in by_item.chats),
            "item_ids filters by listing",
        )
        ok("getChatsV2 item_ids")
        unread = await m.get_chats_v2(path_params=user, query={"unread_only": "true"}, headers=h)
        expect(any(c.id == chat for c in unread.chats), "unread_only lists the unread chat")
        page = await m.get_chats_v2(path_params=user, query={"limit": 1, "offset": 1}, headers=h)
        expect(len(page.chats) == 1, "limit/offset page")
        ok("getChatsV2 unread_only, limit/offset")

        one = await m.get_chat_by_id_v2(path_params={**user, "chat_id": chat}, headers=h)
        expect(one.id == chat and one.last_message is not None, "getChatByIdV2")
        complete(one, "getChatByIdV2", OPTIONAL)
        ok("getChatByIdV2")

        # A quoted reply and a link with its preview card: both in the spec's Message.
        reply = await control(http, base, "customer_reply", {
            "account": USER_ID, "chat_id": chat, "quote_id": asked["message_id"],
            "text": "Подскажите, пожалуйста",
        })
        link = await control(http, base, "customer_link", {
            "account": USER_ID, "customer_id": 5101, "customer_name": "Вера", "item_id": ITEM,
            "url": "https://www.avito.ru/help/delivery", "text": "Как тут с доставкой?",
            "title": "Авито Доставка", "description": "Как получить заказ",
        })
        chat_path = {**user, "chat_id": chat}
        listed = (await m.get_messages_v3(path_params=chat_path, headers=h)).root
        by_id = {x.id: x for x in listed}
        for x in listed:
            complete(x, f"message {x.id}", OPTIONAL)
        complete(by_id[reply["message_id"]], "the quoted reply")
        quoted = by_id[reply["message_id"]].quote
        expect(quoted is not None and quoted.id == asked["message_id"], "quote of the reply")
        expect(quoted.content.text == "Велосипед ещё продаётся?", "quoted content")
        preview = by_id[link["message_id"]].content.link.preview
        expect(preview is not None and preview.domain == "www.avito.ru", "link preview")
        expect(bool(preview.images), "preview images")
        ok("getMessagesV3 with quote and link.preview")

        sent = await m.post_send_message(
            path_params=chat_path,
            json_body={"message": {"text": "Да, продаётся"}, "type": "text"},
            headers=h,
        )
        expect(sent.type == "text" and sent.direction == "out", f"send {sent}")
        complete(sent, "postSendMessage")
        ok("postSendMessage")

        # The SDK's upload_images sends JSON only; the spec's multipart upload is made here and its
        # answer validated with the SDK's model.
        r = await http.post(
            f"{base}/messenger/v1/accounts/{USER_ID}/uploadImages",
            headers=h,
            files={"uploadfile[]": ("photo.png", png_1x1(), "image/png")},
        )
        expect(r.status_code == 200, f"upload {r.status_code} {r.text}")
        uploaded = MessengerApiUploadImagesResponse.model_validate(r.json()).root
        image_id = next(iter(uploaded))
        ok("uploadImages (multipart, answer validated by the SDK's model)")
        image = await m.post_send_image_message(
            path_params=chat_path, json_body={"image_id": image_id}, headers=h
        )
        expect(image.type == "image" and image.content.image.sizes, f"send image {image}")
        complete(image, "postSendImageMessage")
        ok("postSendImageMessage")

        read = await m.chat_read(path_params=chat_path, headers=h)
        expect(read.ok is True, "chatRead")
        ok("chatRead")

        voice = await control(http, base, "customer_voice", {
            "account": USER_ID, "customer_id": 5101, "customer_name": "Вера", "item_id": ITEM,
            "audio_base64": base64.b64encode(b"\x00\x00\x00\x18ftypmp42voice").decode(),
        })
        listed = (await m.get_messages_v3(path_params=chat_path, query={"limit": 5}, headers=h)).root
        voice_id = next(x.content.voice.voice_id for x in listed if x.id == voice["message_id"])
        files = await m.get_voice_files(path_params=user, query={"voice_ids": voice_id}, headers=h)
        expect(voice_id in (files.voices_urls or {}), "getVoiceFiles")
        ok("getVoiceFiles")

        subscribed = await m.post_webhook_v3(json_body={"url": receiver.url}, headers=h)
        expect(subscribed.ok is True, "postWebhookV3")
        expect(receiver.next() == {}, "the subscribe probe is {}")
        subs = await m.get_subscriptions(headers=h)
        expect([s.url for s in subs.subscriptions] == [receiver.url], f"subscriptions {subs}")
        ok("postWebhookV3 (probe received), getSubscriptions")

        for path, body in [
            ("customer_writes", {
                "account": USER_ID, "customer_id": 5101, "customer_name": "Вера", "item_id": ITEM,
                "text": "Спасибо!",
            }),
            ("customer_link", {
                "account": USER_ID, "customer_id": 5101, "customer_name": "Вера", "item_id": ITEM,
                "url": "https://habr.com/ru/articles/1/", "title": "Статья", "description": "О велосипедах",
            }),
        ]:
            posted = await control(http, base, path, body)
            delivery = WebhookEnvelope.model_validate(receiver.message(posted["message_id"]))
            expect(delivery.version == "v3.0.0", f"envelope version {delivery.version}")
            expect(delivery.payload.value.user_id == USER_ID, "delivered to the account")
        ok("webhook deliveries (text, link with preview) match A6; content by the SDK's MessageContent")

        gone = await m.post_webhook_unsubscribe(json_body={"url": receiver.url}, headers=h)
        expect(gone.ok is True, "postWebhookUnsubscribe")
        expect((await m.get_subscriptions(headers=h)).subscriptions == [], "no subscriptions left")
        ok("postWebhookUnsubscribe")

        await m.post_blacklist_v2(
            path_params=user,
            json_body={"users": [{"user_id": 5102, "context": {"item_id": OTHER_ITEM, "reason_id": 1}}]},
            headers=h,
        )
        ok("postBlacklistV2")

        deleted = await m.delete_message(
            path_params={**chat_path, "message_id": sent.id}, headers=h
        )
        expect(deleted.model_dump() == {}, "deleteMessage answers {}")
        listed = (await m.get_messages_v3(path_params=chat_path, headers=h)).root
        expect(next(x for x in listed if x.id == sent.id).type == "deleted", "deleted in history")
        ok("deleteMessage")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    proc, base = start_sim(sys.argv[1])
    try:
        print(f"avito-python-sdk against {base}")
        asyncio.run(run(base))
    except AvitoValidationError as e:
        print(f"FAIL {e}\n  errors: {e.details.get('errors') if e.details else None}"
              f"\n  payload: {json.dumps(e.payload, ensure_ascii=False)[:2000]}", file=sys.stderr)
        return 1
    except (Failed, ValidationError, AvitoApiError, queue.Empty) as e:
        detail = getattr(e, "payload", None)
        print(f"FAIL {type(e).__name__}: {e}" + (f"\n  payload: {detail}" if detail else ""), file=sys.stderr)
        return 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"avito-python-sdk: {checks} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
