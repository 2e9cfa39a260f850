"""Each piece of summary evidence on the case page links to the message it quotes, however many
words the counselor has relayed in between (the engine does not read those)."""

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.test import Client

from handoff.models import MessageRole, TranscriptMessage
from handoff.summary.services import summary_build
from tests.support.factories import post_signed

pytestmark = pytest.mark.django_db

GUN = "my dad keeps a gun in the closet and I know where the key is"


class _Page(HTMLParser):
    """The text of every element with an id, and every evidence link (its target and text)."""

    def __init__(self) -> None:
        super().__init__()
        self.text_by_id: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of elements being read
        self._link: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("br", "input", "img", "meta", "link", "hr"):
            return
        self._open.append((tag, a.get("id")))
        if a.get("id"):
            self.text_by_id[a["id"] or ""] = ""
        if tag == "a" and "evidence" in (a.get("class") or "").split():
            self._link, self._href = [], a.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break
        if tag == "a" and self._link is not None:
            self.links.append((self._href, "".join(self._link)))
            self._link = None

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data
        if self._link is not None:
            self._link.append(data)


def test_evidence_links_reach_the_quoted_message_after_relayed_messages(world) -> None:
    # The counselor writes twice before the person mentions the gun.
    for text in ("I'm here with you. Are you safe right now?", "Is anyone at home with you?"):
        assert world.client.post(f"{world.url}relay", {"text": text}).status_code == 302
    more = {"messages": [{"role": "user", "text": GUN, "at": datetime.now(tz=UTC).isoformat()}]}
    response = post_signed(
        Client(),
        world.platform.url(f"/{world.case_id}/messages"),
        secret=world.platform.inbound_secret,
        body=more,
    )
    assert response.status_code == 202
    handoff = world.handoff()
    summary_build(handoff_id=world.case_id, transcript_version=handoff.transcript_version)
    messages = list(TranscriptMessage.objects.filter(handoff_id=world.case_id))
    (gun_seq,) = [m.seq for m in messages if m.text == GUN]  # stored encrypted: not queryable
    counselor_seqs = {m.seq for m in messages if m.role == MessageRole.COUNSELOR}
    assert len(counselor_seqs) == 2 and gun_seq > max(counselor_seqs)

    page = world.client.get(world.url)
    assert page.status_code == 200
    parsed = _Page()
    parsed.feed(page.content.decode())

    assert parsed.links, "the summary shows its evidence"
    gun_targets = set()
    for href, text in parsed.links:
        target = href.removeprefix("#")
        assert target in parsed.text_by_id, f"{href} points at nothing"
        quote = text.strip().strip("“”").removesuffix("…")
        assert quote in parsed.text_by_id[target], f"{href} does not hold {quote!r}"
        assert target not in {f"msg-{seq}" for seq in counselor_seqs}
        if "gun" in quote:
            gun_targets.add(target)
    assert gun_targets == {f"msg-{gun_seq}"}
