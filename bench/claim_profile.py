"""Where a refused claim's CPU goes: POST /cases/<id>/claim by a signed-in counselor for a case
another holds, through Django's full stack in this process, under cProfile (CPU time), beside
a Django hello. Not a benchmark (`make bench` does not run it); see bench/intake_profile.py.

    uv run --frozen python -m bench.claim_profile [--count 300] [--top 40]
"""

import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from collections.abc import Sequence

import django

from bench.common import ensure_database, manage, production_env, standard_arguments


def _run(count: int, top: int, sort: str) -> None:
    django.setup()
    # After setup: the settings must be loaded before Django's test client is imported.
    from django.test import Client

    from handoff.demo.sample import sample_handoff
    from handoff.platforms import platform_create
    from handoff.signing import sign_headers
    from tests.support.staff import make_staff, signed_in

    slug = f"prof-{uuid.uuid4().hex[:8]}"
    secret = platform_create(slug=slug, name=slug).inbound_secret
    body = json.dumps(sample_handoff()).encode()
    headers = sign_headers(secret=secret, msg_id=f"msg_{uuid.uuid4().hex}", body=body)
    created = Client(HTTP_HOST="127.0.0.1").post(
        f"/api/v1/platforms/{slug}/handoffs",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    case_id = created.json()["id"]
    winner = signed_in(make_staff(f"w{uuid.uuid4().hex[:8]}"))
    loser = signed_in(make_staff(f"l{uuid.uuid4().hex[:8]}"))
    for client in (winner, loser):
        client.defaults["HTTP_HOST"] = "127.0.0.1"
    assert winner.post(f"/cases/{case_id}/claim", headers={"HX-Request": "true"}).status_code == 200

    def refused() -> None:
        response = loser.post(f"/cases/{case_id}/claim", headers={"HX-Request": "true"})
        assert response.status_code == 409, response.status_code

    for _ in range(20):
        refused()
        loser.get("/healthz")
    started = time.process_time()
    for _ in range(count):
        loser.get("/healthz")
    hello = (time.process_time() - started) / count
    profiler = cProfile.Profile(time.process_time)
    started = time.process_time()
    profiler.enable()
    for _ in range(count):
        refused()
    profiler.disable()
    claim = (time.process_time() - started) / count
    print(
        f"in-process CPU per request: Django hello {hello * 1000:.2f} ms, refused claim "
        f"{claim * 1000:.2f} ms (under cProfile)"
    )
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(sort).print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    parser = standard_arguments(__doc__.splitlines()[0] if __doc__ else "claim profile")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args(argv)
    env = production_env()
    ensure_database(env["DATABASE_URL"])
    manage("migrate", "--noinput", env=env)
    os.environ.update(env)
    _run(args.count, args.top, args.sort)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
