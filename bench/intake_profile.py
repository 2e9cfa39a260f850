"""Where one intake's CPU goes: signed handoffs through Django's full stack in this process,
under cProfile, against PostgreSQL and Redis (the benchmark's database, migrated first).

    uv run --frozen python -m bench.intake_profile [--count 300] [--waiting 0] [--top 40]

Not a benchmark (no `_bench` suffix, so `make bench` does not run it): the intake benchmark says
how much an intake costs beside its floors, this says where, so a change can aim at it. Each
request goes through `django.test.Client` with the same headers a platform sends; the figures
are the process's own CPU, with no server, client or thread switches around them.
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
    from handoff.models import Platform
    from handoff.platforms import platform_create
    from handoff.signing import sign_headers

    slug = f"prof-{uuid.uuid4().hex[:8]}"
    secret = platform_create(slug=slug, name=slug).inbound_secret
    Platform.objects.filter(slug=slug).update(rate_limit_per_minute=100_000_000)
    client = Client(HTTP_HOST="127.0.0.1")
    path = f"/api/v1/platforms/{slug}/handoffs"
    levels = ("low", "moderate", "high", "imminent")

    def prepared(n: int) -> list[tuple[bytes, dict[str, str]]]:
        out = []
        for i in range(n):
            body = json.dumps(sample_handoff(level=levels[i % 4])).encode()
            headers = sign_headers(secret=secret, msg_id=f"msg_{uuid.uuid4().hex}", body=body)
            out.append((body, headers))
        return out

    def send(batch: list[tuple[bytes, dict[str, str]]]) -> None:
        for body, headers in batch:
            response = client.post(
                path, data=body, content_type="application/json", headers=headers
            )
            if response.status_code != 202:
                raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")

    send(prepared(30))  # warm caches, connections, templates
    batch = prepared(count)
    hello = [None] * count
    started = time.process_time()
    for _ in hello:
        client.get("/healthz")
    hello_cpu = (time.process_time() - started) / count
    profiler = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
    started = time.process_time()
    profiler.enable()
    send(batch)
    profiler.disable()
    intake_cpu = (time.process_time() - started) / count
    print(
        f"in-process CPU per request: Django hello {hello_cpu * 1000:.2f} ms, intake "
        f"{intake_cpu * 1000:.2f} ms (under cProfile) = {intake_cpu / hello_cpu:.1f}x"
    )
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats(sort).print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    parser = standard_arguments(__doc__.splitlines()[0] if __doc__ else "intake profile")
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
